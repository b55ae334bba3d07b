#include "read/shipment_reader.h"

#include <algorithm>
#include <cstring>

#include "codec/kdf.h"
#include "codec/zstd.h"
#include "ferry/error.h"
#include "format/constants.h"
#include "util/display.h"

namespace ferry {

std::unique_ptr<Shipment> Shipment::open(const ShipmentOptions& options) {
  return std::make_unique<read::ShipmentReader>(options);
}

namespace read {
namespace {

constexpr size_t kFilesRemembered = 4096;     // FileData kept for files read lately
constexpr size_t kInOrderRemembered = 256;    // files whose in-order hash is running

// A folder's subtree in bytewise path order is [dir + "/", dir + "0"): '0' follows '/'.
std::string subtree_end(const std::string& dir_slash) {
  std::string end = dir_slash;
  end.back() = '0';
  return end;
}

}  // namespace

ShipmentEntry ShipmentReader::public_entry(const format::Entry& e) const {
  ShipmentEntry out;
  out.path = e.path;
  out.kind = e.kind == format::EntryKind::kDirectory ? ShipmentEntry::Kind::kDirectory
             : e.kind == format::EntryKind::kSymlink ? ShipmentEntry::Kind::kSymlink
                                                     : ShipmentEntry::Kind::kFile;
  out.mode = e.mode;
  out.uid = e.uid;
  out.gid = e.gid;
  out.mtime_ns = e.mtime_ns;
  out.size = e.kind == format::EntryKind::kSymlink ? e.target.size() : e.size;
  out.sha256 = e.sha256;
  out.target = e.target;
  out.id = e.id;
  if (e.kind == format::EntryKind::kFile) {
    out.stored = e.stored;
    out.file_id = e.link != 0 ? e.link : e.id;
    auto it = later_names_.find(out.file_id);
    if (it != later_names_.end()) out.links += it->second;
  }
  return out;
}

struct ShipmentReader::FileData {
  format::Entry entry;
  std::vector<uint64_t> frame_starts;  // stored offset of each frame in the file, and the end
};

class ShipmentReader::Borrowed {
 public:
  Borrowed(const ShipmentReader& owner, std::unique_ptr<format::Catalog> catalog)
      : owner_(owner), catalog_(std::move(catalog)) {}
  ~Borrowed() {
    std::lock_guard lock(owner_.catalogs_mutex_);
    owner_.catalogs_.push_back(std::move(catalog_));
  }
  format::Catalog* operator->() { return catalog_.get(); }
  format::Catalog& operator*() { return *catalog_; }

 private:
  const ShipmentReader& owner_;
  std::unique_ptr<format::Catalog> catalog_;
};

ShipmentReader::ShipmentReader(const ShipmentOptions& options)
    : options_(options), cache_(options.cache_bytes), ahead_(2) {
  if (options.drives.empty()) {
    throw Error(ErrorKind::kInvalidArgument, "no drives given: name the drives of the shipment");
  }
  if (options.credentials.empty()) {
    throw Error(ErrorKind::kInvalidArgument,
                "reading a shipment needs its key: give a key file or a passphrase");
  }
  const io::ReadEnv& env = options.env ? *options.env : io::ReadEnv::posix();
  DriveSet drives = open_drives(options.drives, options.shipment, env);
  require_k(drives);
  require_complete(drives);
  warnings_ = drives.warnings();
  shipment_ = open_shipment(std::move(drives), options.credentials, env);
  for (const auto& p : shipment_->catalog_problems) warnings_.push_back(p);
  layout_ = shipment_->drives.label.layout;
  stripes_ = std::make_unique<StripeReader>(shipment_->drives.label, shipment_->drives.folders, env,
                                            shipment_->attempts);
  fetcher_ = std::make_unique<UnitFetcher>(
      *stripes_, codec::hkdf(shipment_->data_key, format::kBlockKeyInfo),
      std::chrono::milliseconds(options.hedge_after_ms));

  auto c = catalog();
  root_.kind = ShipmentEntry::Kind::kDirectory;
  root_.mode = 0755;
  try {
    if (auto mode = c->meta("root_mode")) root_.mode = static_cast<uint32_t>(std::stoul(*mode)) & 07777;
    if (auto mtime = c->meta("root_mtime_ns")) root_.mtime_ns = std::stoll(*mtime);
    if (auto uid = c->meta("root_uid")) root_.uid = static_cast<uint32_t>(std::stoul(*uid));
    if (auto gid = c->meta("root_gid")) root_.gid = static_cast<uint32_t>(std::stoul(*gid));
    for (format::Xattr& x : format::decode_xattrs(c->meta("root_xattrs").value_or(""))) {
      root_xattrs_.emplace_back(std::move(x.name), std::move(x.value));
    }
  } catch (const std::exception&) {
    // Not numbers: not what pack writes; the defaults stand.
  }
  format::Catalog::Query links(
      *c, "SELECT link, count(*) FROM entries WHERE link != 0 GROUP BY link", "hard-link groups");
  while (links.next()) {
    later_names_[links.integer(0)] = static_cast<uint32_t>(links.integer(1));
  }
}

ShipmentReader::~ShipmentReader() = default;

std::string ShipmentReader::id() const { return format::id_hex(shipment_->drives.label.shipment); }

ShipmentReader::Borrowed ShipmentReader::catalog() const {
  std::unique_ptr<format::Catalog> c;
  {
    std::lock_guard lock(catalogs_mutex_);
    if (!catalogs_.empty()) {
      c = std::move(catalogs_.back());
      catalogs_.pop_back();
    }
  }
  if (!c) c = std::make_unique<format::Catalog>(shipment_->catalog());
  return Borrowed(*this, std::move(c));
}

std::optional<ShipmentEntry> ShipmentReader::stat(std::string_view path) const {
  if (path.empty()) return root_;
  auto e = catalog()->find(std::string(path));
  if (!e) return std::nullopt;
  return public_entry(*e);
}

void ShipmentReader::list(std::string_view prefix,
                          const std::function<bool(const ShipmentEntry&)>& visit) const {
  auto c = catalog();
  format::Entry e;
  if (prefix.empty()) {
    auto cursor = c->entries();
    while (cursor.next(e)) {
      if (!visit(public_entry(e))) return;
    }
    return;
  }
  std::string low(prefix);
  if (low.back() != '/') {
    // A path names that entry and, when it is a folder, everything below it.
    if (auto self = c->find(low)) {
      if (!visit(public_entry(*self))) return;
    }
    low += '/';
  }
  auto cursor = c->entries_between(low, subtree_end(low));
  while (cursor.next(e)) {
    if (!visit(public_entry(e))) return;
  }
}

void ShipmentReader::children(std::string_view dir,
                              const std::function<bool(const ShipmentEntry&)>& visit) const {
  auto c = catalog();
  const std::string base = dir.empty() ? std::string() : std::string(dir) + "/";
  const std::string end = base.empty() ? std::string() : subtree_end(base);
  // Skip-scan the path index: each child is found with one look-up, and a child folder's
  // subtree is stepped over in one more, so a folder costs O(children) look-ups.
  std::string low = base;
  for (;;) {
    auto e = c->first_path_from(low);
    if (!e || (!end.empty() && e->path >= end) || e->path.compare(0, base.size(), base) != 0) {
      return;
    }
    const size_t slash = e->path.find('/', base.size());
    if (slash == std::string::npos) {
      if (!visit(public_entry(*e))) return;
      low = e->path + '\0';  // the next path after it
    } else {
      low = e->path.substr(0, slash) + '0';  // past that child's subtree
    }
  }
}

std::vector<std::pair<std::string, std::string>> ShipmentReader::xattrs(
    const ShipmentEntry& entry) const {
  if (entry.path.empty()) return root_xattrs_;  // the source folder's own, apart from the entries
  std::vector<std::pair<std::string, std::string>> out;
  // A hard link's attributes are its file's, kept with the first name.
  const int64_t id = entry.file_id != 0 ? entry.file_id : entry.id;
  for (format::Xattr& x : catalog()->xattrs(id)) out.emplace_back(std::move(x.name), std::move(x.value));
  return out;
}

std::shared_ptr<const ShipmentReader::FileData> ShipmentReader::file_data(
    const ShipmentEntry& entry) const {
  {
    std::lock_guard lock(files_mutex_);
    auto it = files_.find(entry.id);
    if (it != files_.end()) return it->second;
  }
  auto e = catalog()->find_id(entry.id);  // by id: quicker than by path, for many small files
  if (!e || e->kind != format::EntryKind::kFile || e->path != entry.path) {
    throw Error(ErrorKind::kInvalidArgument,
                util::shown(entry.path) + " is not a file of shipment " + id().substr(0, 8) + "…");
  }
  auto data = std::make_shared<FileData>();
  data->entry = std::move(*e);
  const format::Entry& f = data->entry;
  const uint64_t stream_end = shipment_->drives.label.stream_bytes;
  if (f.offset > stream_end || f.stored > stream_end - f.offset) {
    throw Error(ErrorKind::kCorruption, "the catalog places " + util::shown(f.path) +
                                            " beyond the end of the data stream");
  }
  if (f.encoding == format::Encoding::kZstdFrames) {
    uint64_t at = 0;
    for (uint32_t size : f.frames) {
      data->frame_starts.push_back(at);
      at += size;
    }
    data->frame_starts.push_back(at);
    const uint64_t frames_needed =
        (f.size + format::kCompressionFrameSize - 1) / format::kCompressionFrameSize;
    if (at != f.stored || f.frames.size() != frames_needed) {
      throw Error(ErrorKind::kCorruption,
                  "the catalog's frames of " + util::shown(f.path) + " do not add up to its size");
    }
  } else if (f.stored != f.size) {
    throw Error(ErrorKind::kCorruption,
                "the catalog's stored size of " + util::shown(f.path) + " is not its size");
  }
  std::lock_guard lock(files_mutex_);
  if (files_.size() >= kFilesRemembered) files_.erase(files_.begin());
  files_[entry.id] = data;
  return data;
}

UnitCache::Item ShipmentReader::unit(uint64_t number) const {
  bool hit = false;
  auto item = cache_.get(
      UnitCache::unit(number),
      [&] {
        return fetcher_->fetch(number, [&](uint64_t other, UnitCache::Item plain) {
          cache_.put(UnitCache::unit(other), std::move(plain));
        });
      },
      &hit);
  ++(hit ? cache_hits_ : cache_misses_);
  return item;
}

void ShipmentReader::read_stream(uint64_t pos, uint8_t* out, size_t len, uint64_t ahead_to) const {
  const uint64_t unit_plain = layout_.unit_plain();
  while (len > 0) {
    const uint64_t number = pos / unit_plain;
    if (ahead_to > number + 1) read_ahead(number + 1, ahead_to);
    const size_t within = static_cast<size_t>(pos % unit_plain);
    const size_t take = std::min<size_t>(len, unit_plain - within);
    auto plain = unit(number);
    std::memcpy(out, plain->data() + within, take);
    out += take;
    pos += take;
    len -= take;
  }
}

UnitCache::Item ShipmentReader::frame(const FileData& file, uint64_t index) const {
  bool hit = false;
  auto item = cache_.get(
      UnitCache::frame(file.entry.id, index),
      [&] {
        const uint64_t begin = file.frame_starts[index], end = file.frame_starts[index + 1];
        util::ByteBuffer stored(end - begin);
        read_stream(file.entry.offset + begin, stored.data(), stored.size());
        const uint64_t plain_begin = index * format::kCompressionFrameSize;
        const size_t plain_len = static_cast<size_t>(
            std::min<uint64_t>(format::kCompressionFrameSize, file.entry.size - plain_begin));
        auto plain = std::make_shared<util::ByteBuffer>(plain_len);
        thread_local codec::ZstdDecompressor zstd;
        if (zstd.decompress(stored.data(), stored.size(), plain->data(), plain_len) != plain_len) {
          throw Error(ErrorKind::kCorruption, "frame " + std::to_string(index) + " of " +
                                                  util::shown(file.entry.path) +
                                                  " does not decompress to its size");
        }
        ++frames_opened_;
        return UnitCache::Item(std::move(plain));
      },
      &hit);
  ++(hit ? cache_hits_ : cache_misses_);
  return item;
}

void ShipmentReader::read_ahead(uint64_t from_unit, uint64_t end_unit) const {
  const uint64_t last =
      std::min<uint64_t>(end_unit, from_unit + uint64_t{options_.read_ahead_stripes} * layout_.k);
  for (uint64_t u = from_unit; u < last; ++u) {
    if (cache_.contains(UnitCache::unit(u))) continue;
    ahead_.submit([this, u] {
      try {
        unit(u);
      } catch (const std::exception&) {
        // The read that needs it will meet the same error and report it.
      }
    });
  }
}

size_t ShipmentReader::read(const ShipmentEntry& entry, uint64_t offset, void* out,
                            size_t len) const {
  if (entry.kind != ShipmentEntry::Kind::kFile) {
    throw Error(ErrorKind::kInvalidArgument, util::shown(entry.path) + " is not a file");
  }
  if (offset >= entry.size) return 0;
  len = static_cast<size_t>(std::min<uint64_t>(len, entry.size - offset));
  auto file = file_data(entry);
  const format::Entry& f = file->entry;
  auto* dest = static_cast<uint8_t*>(out);
  // One read over several units (a whole file read at once): the pool opens the units
  // ahead while this thread opens the current one, as read-ahead does for reads in order.
  const uint64_t unit_plain = layout_.unit_plain();
  const bool long_read = options_.read_ahead_stripes > 0 && len > 2 * unit_plain;
  const uint64_t stored_end = f.encoding == format::Encoding::kZstdFrames ? f.stored : offset + len;
  const uint64_t end_unit = long_read ? (f.offset + stored_end + unit_plain - 1) / unit_plain : 0;
  uint64_t stream_end;  // the stream byte after the last one this read needed
  if (f.encoding == format::Encoding::kZstdFrames) {
    const uint64_t frame_size = format::kCompressionFrameSize;
    uint64_t index = offset / frame_size;
    for (size_t done = 0; done < len; ++index) {
      if (long_read) read_ahead((f.offset + file->frame_starts[index]) / unit_plain + 1, end_unit);
      auto plain = frame(*file, index);
      const size_t within = static_cast<size_t>((offset + done) - index * frame_size);
      const size_t take = std::min(len - done, plain->size() - within);
      std::memcpy(dest + done, plain->data() + within, take);
      done += take;
    }
    stream_end = f.offset + file->frame_starts[index];
  } else {
    read_stream(f.offset + offset, dest, len, end_unit);
    stream_end = f.offset + offset + len;
  }
  bytes_returned_ += len;
  if (options_.read_ahead_stripes > 0 && offset > 0) {
    std::lock_guard lock(in_order_mutex_);
    auto it = in_order_.find(entry.id);
    if (it != in_order_.end() && it->second->next == offset) {
      read_ahead((stream_end + unit_plain - 1) / unit_plain,
                 (f.offset + f.stored + unit_plain - 1) / unit_plain);
    }
  }
  check_in_order(entry, offset, dest, len);
  return len;
}

void ShipmentReader::check_in_order(const ShipmentEntry& entry, uint64_t offset,
                                    const uint8_t* data, size_t len) const {
  std::shared_ptr<InOrder> state;
  {
    std::lock_guard lock(in_order_mutex_);
    auto it = in_order_.find(entry.id);
    if (offset == 0 && (it == in_order_.end() || it->second->next != 0)) {
      if (it == in_order_.end() && in_order_.size() >= kInOrderRemembered) {
        in_order_.erase(std::min_element(in_order_.begin(), in_order_.end(), [](auto& a, auto& b) {
          return a.second->used < b.second->used;
        }));
      }
      it = in_order_.insert_or_assign(entry.id, std::make_shared<InOrder>()).first;
    }
    if (it == in_order_.end()) return;
    state = it->second;
    state->used = ++clock_;
  }
  auto forget = [&] {
    std::lock_guard lock(in_order_mutex_);
    auto it = in_order_.find(entry.id);
    if (it != in_order_.end() && it->second == state) in_order_.erase(it);
  };
  std::lock_guard file_lock(state->mutex);
  if (state->given_up) return;
  if (state->next != offset) {
    // Read out of order (a re-read, or the kernel's read-ahead racing): the units are
    // still authenticated, only the whole-file check is given up.
    if (offset > state->next || offset + len < state->next) {
      state->given_up = true;
      forget();
    }
    return;
  }
  state->hash.update(data, len);
  state->next += len;
  if (state->next < entry.size) return;
  state->given_up = true;  // done: a later read of the same bytes starts afresh
  forget();
  if (state->hash.finish() != entry.sha256) {
    throw Error(ErrorKind::kCorruption,
                util::shown(entry.path) + " read whole does not match its SHA-256: the drives "
                                          "hold altered data; run `ferry verify` with the key");
  }
  ++files_verified_;
}

ShipmentEntry ShipmentReader::file_at(std::string_view path) const {
  auto entry = stat(path);
  if (!entry || entry->kind != ShipmentEntry::Kind::kFile) {
    throw Error(ErrorKind::kInvalidArgument,
                "no file " + util::shown(std::string(path)) + " in shipment " + id().substr(0, 8) + "…");
  }
  return *entry;
}

std::string ShipmentReader::read(std::string_view path) const {
  const auto entry = file_at(path);
  std::string out(entry.size, '\0');
  // Read in one call: it starts at 0 and ends at the size, so the SHA-256 is checked.
  size_t got = read(entry, 0, out.data(), out.size());
  if (entry.size == 0) {
    if (codec::sha256("", 0) != entry.sha256) {
      throw Error(ErrorKind::kCorruption, util::shown(entry.path) + " does not match its SHA-256");
    }
  }
  out.resize(got);
  return out;
}

std::string ShipmentReader::read(std::string_view path, uint64_t offset, uint64_t len) const {
  const auto entry = file_at(path);
  if (offset >= entry.size) return {};
  std::string out(static_cast<size_t>(std::min<uint64_t>(len, entry.size - offset)), '\0');
  out.resize(read(entry, offset, out.data(), out.size()));
  return out;
}

ShipmentStats ShipmentReader::stats() const {
  ShipmentStats s;
  const FetchCounters& c = fetcher_->counters();
  for (uint32_t i = 0; i < layout_.n(); ++i) {
    s.bytes_per_slot.push_back(c.bytes[i]);
    s.slow_per_slot.push_back(c.slow[i]);
    s.errors_per_slot.push_back(c.errors[i]);
  }
  s.units_opened = c.units_opened;
  s.stripes_rebuilt = c.stripes_rebuilt;
  s.frames_opened = frames_opened_;
  s.cache_hits = cache_hits_;
  s.cache_misses = cache_misses_;
  s.bytes_returned = bytes_returned_;
  s.files_verified = files_verified_;
  return s;
}

}  // namespace read
}  // namespace ferry
