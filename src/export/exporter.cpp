// export_shipment: plan the samples and shards from the catalog alone (sizes are known
// before a byte is read), then write each shard from the drives, in order.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <set>
#include <vector>

#include "codec/sha256.h"
#include "export/export_state.h"
#include "export/mds_format.h"
#include "export/prefetch.h"
#include "export/py_json.h"
#include "export/samples.h"
#include "export/shard_file.h"
#include "export/tar_header.h"
#include "ferry/error.h"
#include "ferry/export.h"
#include "ferry/sample_order.h"
#include "ferry/shipment.h"
#include "io/file.h"
#include "read/selection.h"
#include "util/display.h"

namespace ferry {
namespace {

using namespace exporting;

constexpr uint64_t kWebDatasetShard = 1000000000ull;  // 1 GB
constexpr uint64_t kMdsShard = 64ull << 20;           // MDS's own default, 1 << 26
constexpr size_t kReadChunk = 4 << 20;
constexpr size_t kReadAhead = 16 << 20;  // bytes read and not yet written, at most
constexpr const char* kWebDatasetIndex = "shards.json";
constexpr const char* kMdsIndex = "index.json";

struct Plan {
  Samples samples;
  std::vector<uint64_t> order;     // sample indices in shard order
  std::vector<uint64_t> cost;      // bytes each sample takes in its shard (by index)
  std::vector<uint64_t> counts;    // samples per shard
  std::vector<std::string> names;  // shard file names
  std::vector<uint64_t> raw_size;  // bytes of each shard before compression
  MdsColumns columns;              // MDS
  std::string config;              // MDS: the config JSON text
  uint64_t overhead = 0;
  std::string digest;
};

std::string shard_name(const ExportOptions& o, size_t i) {
  char buf[64];
  if (o.format == ExportFormat::kWebDataset) {
    std::snprintf(buf, sizeof buf, "shard-%06zu.tar", i);
  } else {
    std::snprintf(buf, sizeof buf, "shard.%05zu.mds%s", i, o.zstd ? ".zstd" : "");
  }
  return buf;
}

bool is_lost_error(const Error& e) {
  return e.kind() == ErrorKind::kCorruption || e.kind() == ErrorKind::kNotEnoughDrives;
}

// The files selected, each once, in catalog order; symlinks counted apart.
std::vector<ShipmentEntry> selected_files(const Shipment& shipment, const ExportOptions& o,
                                          uint64_t& symlinks) {
  std::vector<ShipmentEntry> files;
  auto take = [&](const ShipmentEntry& e) {
    if (e.kind == ShipmentEntry::Kind::kFile) files.push_back(e);
    if (e.kind == ShipmentEntry::Kind::kSymlink) ++symlinks;
    return true;
  };
  read::Selection selection(o.only);
  if (selection.everything()) {
    shipment.list("", take);
  } else {
    for (const std::string& root : selection.roots()) {
      auto entry = shipment.stat(root);
      if (!entry) {
        throw Error(ErrorKind::kInvalidArgument, "--only " + util::shown(root) +
                                                     ": the shipment holds no such file or folder "
                                                     "(see `ferry ls`)");
      }
      if (entry->kind == ShipmentEntry::Kind::kDirectory) {
        shipment.list(root + "/", take);
      } else {
        take(*entry);
      }
    }
    std::sort(files.begin(), files.end(),
              [](const ShipmentEntry& a, const ShipmentEntry& b) { return a.id < b.id; });
    files.erase(
        std::unique(files.begin(), files.end(),
                    [](const ShipmentEntry& a, const ShipmentEntry& b) { return a.id == b.id; }),
        files.end());
  }
  return files;
}

TarMember tar_member(const SampleFile& f) {
  return TarMember{f.entry.path, f.entry.size, f.entry.mode, f.entry.mtime_ns};
}

Plan make_plan(const Shipment& shipment, const ExportOptions& o, uint64_t shard_size,
               const std::vector<std::string>& hashes, std::vector<std::string>& warnings) {
  Plan plan;
  uint64_t symlinks = 0;
  plan.samples = group_samples(selected_files(shipment, o, symlinks), o.group);
  if (symlinks) {
    warnings.push_back(std::to_string(symlinks) +
                       " symlinks left out: shards hold the files themselves");
  }
  const auto& samples = plan.samples.samples;
  uint64_t limit = shard_size;
  if (o.format == ExportFormat::kMds) {
    std::set<std::string> exts;
    for (const Sample& s : samples) {
      if (!is_utf8(s.key)) {
        throw Error(ErrorKind::kInvalidArgument,
                    "the sample key " + util::shown(s.key) +
                        " is not UTF-8, and MDS keeps keys as text; export it as WebDataset "
                        "or leave it out with --only");
      }
      for (const SampleFile& f : s.files) {
        if (!is_utf8(f.ext)) {
          throw Error(ErrorKind::kInvalidArgument,
                      "the extension of " + util::shown(f.entry.path) +
                          " is not UTF-8, and MDS names its columns in text; export it as "
                          "WebDataset or leave it out with --only");
        }
        exts.insert(f.ext);
      }
    }
    plan.columns = mds_columns({exts.begin(), exts.end()});
    plan.config = python_json(mds_config(plan.columns, o.zstd ? "zstd" : "", hashes, shard_size));
    plan.overhead = mds_shard_overhead(plan.config.size());
    limit = std::min(limit, kMdsMaxShardBytes);
    for (const Sample& s : samples) {
      plan.cost.push_back(mds_sample_bytes(plan.columns.names.size(), s.key.size() + s.bytes));
      if (plan.overhead + plan.cost.back() > kMdsMaxShardBytes) {
        throw Error(ErrorKind::kInvalidArgument,
                    "sample " + util::shown(s.key) + " takes " + std::to_string(s.bytes) +
                        " bytes, more than an MDS shard can hold (4 GiB, its offsets are "
                        "32-bit); export it as WebDataset");
      }
    }
  } else {
    plan.overhead = kTarEndBytes;
    for (const Sample& s : samples) {
      uint64_t c = 0;
      for (const SampleFile& f : s.files) c += tar_member_bytes(tar_member(f));
      plan.cost.push_back(c);
    }
  }

  std::vector<uint64_t> sizes;
  sizes.reserve(samples.size());
  for (const Sample& s : samples) sizes.push_back(s.bytes);
  SampleOrderOptions order_options;
  order_options.shuffle = o.shuffle;
  order_options.seed = o.seed;
  plan.order = sample_order(sizes, order_options).order;
  plan.counts = cut_shards(plan.order, plan.cost, plan.overhead, limit);

  codec::Sha256 digest;
  uint64_t at = 0;
  for (size_t i = 0; i < plan.counts.size(); ++i) {
    plan.names.push_back(shard_name(o, i));
    uint64_t raw = plan.overhead;
    for (uint64_t j = 0; j < plan.counts[i]; ++j) raw += plan.cost[plan.order[at + j]];
    plan.raw_size.push_back(raw);
    for (uint64_t j = 0; j < plan.counts[i]; ++j) {
      const std::string& key = samples[plan.order[at + j]].key;
      digest.update(key.data(), key.size() + 1);
    }
    std::string line =
        plan.names.back() + " " + std::to_string(plan.counts[i]) + " " + std::to_string(raw) + "\n";
    digest.update(line.data(), line.size());
    at += plan.counts[i];
  }
  plan.digest = codec::to_hex(digest.finish());
  return plan;
}

nlohmann::json options_fingerprint(const ExportOptions& o, uint64_t shard_size,
                                   const std::vector<std::string>& hashes) {
  read::Selection selection(o.only);
  std::vector<std::string> only;
  for (const std::string& r : selection.roots()) only.push_back(util::shown(r));
  std::sort(only.begin(), only.end());
  return {{"format", o.format == ExportFormat::kMds ? "mds" : "webdataset"},
          {"group", o.group == SampleGrouping::kFile ? "file" : "basename"},
          {"only", only},
          {"shard_size", shard_size},
          {"shuffle", o.shuffle},
          {"seed", o.shuffle ? o.seed : 0},
          {"compression", o.zstd ? "zstd" : ""},
          {"hashes", hashes}};
}

bool is_export_file(const std::string& name) {
  auto digits = [&](size_t from, size_t n) {
    if (name.size() < from + n) return false;
    for (size_t i = from; i < from + n; ++i) {
      if (name[i] < '0' || name[i] > '9') return false;
    }
    return true;
  };
  if (name == kStateFile || name == kMdsIndex || name == kWebDatasetIndex) return true;
  if (name.size() > 9 && name[0] == '.' && name.compare(name.size() - 8, 8, ".partial") == 0) {
    return true;
  }
  if (name.rfind("shard-", 0) == 0 && digits(6, 6) && name.substr(12) == ".tar") return true;
  if (name.rfind("shard.", 0) == 0 && digits(6, 5)) {
    std::string rest = name.substr(11);
    return rest == ".mds" || rest == ".mds.zstd";
  }
  return false;
}

std::vector<std::string> folder_names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  return names;
}

// Two exports into one folder would tear each other's shards and state: the folder is
// locked (flock on the folder itself, so nothing is added to it) while an export runs.
class TargetLock {
 public:
  explicit TargetLock(const std::string& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) throw_errno("cannot open " + util::shown(dir), errno);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd_);
      if (err == EWOULDBLOCK) {
        throw Error(ErrorKind::kConflict, "another ferry export is writing into " +
                                              util::shown(dir) + "; wait for it to finish");
      }
      throw_errno("cannot lock " + util::shown(dir), err);
    }
  }
  ~TargetLock() { ::close(fd_); }
  TargetLock(const TargetLock&) = delete;
  TargetLock& operator=(const TargetLock&) = delete;

 private:
  int fd_;
};

void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove " + path, errno);
}

// Writes one shard, its files taken from the prefetcher in order. Returns nullopt (and
// writes nothing) when a file of it cannot be recovered; every such file is added to `lost`.
class ShardWriter {
 public:
  ShardWriter(FilePrefetcher& prefetch, const ExportOptions& o, const Plan& plan,
              const std::vector<std::string>& hashes, Progress& progress)
      : prefetch_(&prefetch), o_(o), plan_(plan), hashes_(hashes), progress_(progress) {}

  std::optional<ShardFileInfo> write(size_t shard, uint64_t first, std::vector<std::string>& lost) {
    ShardFile file(o_.target, plan_.names[shard], plan_.raw_size[shard], o_.zstd, hashes_);
    failed_ = false;
    const auto& samples = plan_.samples.samples;
    const uint64_t count = plan_.counts[shard];
    if (o_.format == ExportFormat::kMds) {
      std::vector<uint64_t> sizes;
      for (uint64_t j = 0; j < count; ++j) sizes.push_back(plan_.cost[plan_.order[first + j]] - 4);
      file.write(mds_shard_head(sizes, plan_.config));
    }
    for (uint64_t j = 0; j < count; ++j) {
      const Sample& s = samples[plan_.order[first + j]];
      if (o_.format == ExportFormat::kWebDataset) {
        write_tar_sample(file, s, lost);
      } else {
        write_mds_sample(file, s, lost);
      }
    }
    if (o_.format == ExportFormat::kWebDataset && !failed_) {
      file.write(std::string(kTarEndBytes, '\0'));
    }
    if (failed_) {
      file.discard();
      return std::nullopt;
    }
    return file.commit();
  }

 private:
  void copy_file(ShardFile& out, const SampleFile& f, std::vector<std::string>& lost) {
    uint64_t done = 0;
    for (;;) {
      FilePrefetcher::Chunk chunk = prefetch_->next();
      if (chunk.error) {
        if (!is_lost_error(*chunk.error)) throw *chunk.error;
        lost.push_back(f.entry.path);
        failed_ = true;
        progress_.bytes_done += f.entry.size - done;
        break;
      }
      if (!failed_) out.write(chunk.data.data(), chunk.data.size());
      done += chunk.data.size();
      progress_.bytes_done += chunk.data.size();
      bool last = chunk.last;
      prefetch_->recycle(std::move(chunk.data));
      if (last) break;
    }
    ++progress_.files_done;
  }

  void write_tar_sample(ShardFile& out, const Sample& s, std::vector<std::string>& lost) {
    for (const SampleFile& f : s.files) {
      if (!failed_) out.write(tar_header(tar_member(f)));
      copy_file(out, f, lost);
      if (!failed_) out.write(std::string(tar_padding(f.entry.size), '\0'));
    }
  }

  void write_mds_sample(ShardFile& out, const Sample& s, std::vector<std::string>& lost) {
    // Column i holds the key, a file, or nothing.
    std::vector<const SampleFile*> column(plan_.columns.names.size(), nullptr);
    size_t key_column = 0;
    for (size_t i = 0; i < column.size(); ++i) {
      const std::string& name = plan_.columns.names[i];
      if (name == kMdsKeyColumn) {
        key_column = i;
        continue;
      }
      for (const SampleFile& f : s.files) {
        if (f.ext == name) column[i] = &f;
      }
    }
    std::string sizes;
    for (size_t i = 0; i < column.size(); ++i) {
      uint64_t n = i == key_column ? s.key.size() : column[i] ? column[i]->entry.size : 0;
      put_u32(sizes, static_cast<uint32_t>(n));
    }
    if (!failed_) out.write(sizes);
    for (size_t i = 0; i < column.size(); ++i) {
      if (i == key_column) {
        if (!failed_) out.write(s.key);
      } else if (column[i]) {
        copy_file(out, *column[i], lost);
      }
    }
  }

  FilePrefetcher* prefetch_;
  const ExportOptions& o_;
  const Plan& plan_;
  const std::vector<std::string>& hashes_;
  Progress& progress_;
  bool failed_ = false;
};

nlohmann::json filtered(const nlohmann::json& hashes, const std::vector<std::string>& names) {
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& n : names) out[n] = hashes.at(n);
  return out;
}

nlohmann::json mds_index_entry(const Plan& plan, const ExportOptions& o, size_t shard,
                               const ShardFileInfo& info, const std::vector<std::string>& hashes) {
  nlohmann::json entry = nlohmann::json::parse(plan.config);
  std::string raw_name = plan.names[shard];
  if (o.zstd) raw_name = raw_name.substr(0, raw_name.size() - 5);  // without ".zstd"
  entry["samples"] = plan.counts[shard];
  entry["raw_data"] = {{"basename", raw_name},
                       {"bytes", info.raw_bytes},
                       {"hashes", filtered(info.raw_hashes, hashes)}};
  entry["zip_data"] = nullptr;
  if (o.zstd) {
    entry["zip_data"] = {{"basename", plan.names[shard]},
                         {"bytes", info.file_bytes},
                         {"hashes", filtered(info.file_hashes, hashes)}};
  }
  return entry;
}

}  // namespace

ExportReport export_shipment(const Shipment& shipment, const ExportOptions& o, Progress& progress) {
  if (o.target.empty()) throw Error(ErrorKind::kInvalidArgument, "no target folder (--to)");
  const bool mds = o.format == ExportFormat::kMds;
  if (o.zstd && !mds) {
    throw Error(ErrorKind::kInvalidArgument,
                "--compression zstd is for --format mds; WebDataset shards are plain tar");
  }
  if (!o.hashes.empty() && !mds) {
    throw Error(ErrorKind::kInvalidArgument, "--hash is for --format mds (its index.json)");
  }
  std::vector<std::string> hashes =
      o.hashes.empty() ? std::vector<std::string>{"sha256"} : o.hashes;
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  for (const std::string& h : hashes) {
    if (!is_supported_hash(h)) {
      throw Error(
          ErrorKind::kInvalidArgument,
          "--hash " + h + ": not a hash ferry computes; choose from " + supported_hash_names());
    }
  }
  if (!mds) hashes.clear();
  const uint64_t shard_size = o.shard_size ? o.shard_size : mds ? kMdsShard : kWebDatasetShard;

  ExportReport report;
  report.shipment_id = shipment.id();
  report.warnings = shipment.warnings();
  progress.phase = "listing";
  Plan plan = make_plan(shipment, o, shard_size, hashes, report.warnings);
  report.skipped = plan.samples.skipped;

  // The target: empty, missing, or an export of the same shipment with the same options
  // and plan, which this run carries on.
  ExportState state;
  state.shipment = report.shipment_id;
  state.options = options_fingerprint(o, shard_size, hashes);
  state.plan = plan.digest;
  io::make_directories(o.target);
  TargetLock lock(o.target);
  std::vector<std::string> present = folder_names(o.target);
  if (!present.empty()) {
    auto previous = load_state(o.target);
    bool same = previous && previous->shipment == state.shipment &&
                previous->options == state.options && previous->plan == state.plan;
    if (same) {
      state.shards = previous->shards;
    } else if (!o.overwrite) {
      throw Error(ErrorKind::kConflict,
                  "the target " + util::shown(o.target) + " is not empty" +
                      (previous ? " (it holds an export with other options or of another "
                                  "shipment)"
                                : "") +
                      "; give an empty folder, or --overwrite to export into it anyway. "
                      "Nothing was written.");
    } else {
      for (const std::string& name : present) {
        if (is_export_file(name)) remove_file(io::join(o.target, name));
      }
    }
  }
  for (const std::string& name : folder_names(o.target)) {
    if (name[0] == '.' && is_export_file(name) && name != kStateFile) {
      remove_file(io::join(o.target, name));  // a shard a killed run left half written
    }
  }
  // An index from before is rewritten at the end, when every shard is there.
  remove_file(io::join(o.target, mds ? kMdsIndex : kWebDatasetIndex));

  for (const Sample& s : plan.samples.samples) {
    progress.bytes_total += s.bytes;
    progress.files_total += s.files.size();
  }
  // Shards complete from before, if still as they were (size, mtime); the rest is written.
  std::vector<bool> kept(plan.counts.size(), false);
  {
    progress.phase = "checking";
    for (size_t i = 0; i < plan.counts.size(); ++i) {
      auto done = state.shards.find(plan.names[i]);
      if (done == state.shards.end()) continue;
      const std::string path = io::join(o.target, plan.names[i]);
      kept[i] = shard_unchanged(path, done->second, false);
      if (!kept[i]) state.shards.erase(done);
    }
  }
  std::vector<const ShipmentEntry*> to_read;
  {
    uint64_t at = 0;
    for (size_t i = 0; i < plan.counts.size(); ++i) {
      for (uint64_t j = 0; j < plan.counts[i] && !kept[i]; ++j) {
        for (const SampleFile& f : plan.samples.samples[plan.order[at + j]].files) {
          to_read.push_back(&f.entry);
        }
      }
      at += plan.counts[i];
    }
  }

  progress.phase = "exporting";
  FilePrefetcher prefetch(shipment, std::move(to_read), kReadChunk, kReadAhead);
  ShardWriter writer(prefetch, o, plan, hashes, progress);
  nlohmann::json index_entries = nlohmann::json::array();
  bool complete = true;
  uint64_t first = 0;
  for (size_t i = 0; i < plan.counts.size(); ++i) {
    if (o.stop && o.stop->load()) {
      throw Error(ErrorKind::kInterrupted, "export stopped after " + std::to_string(i) + " of " +
                                               std::to_string(plan.counts.size()) +
                                               " shards; run the same command again to carry on");
    }
    const std::string& name = plan.names[i];
    uint64_t sample_bytes = 0, sample_files = 0;
    for (uint64_t j = 0; j < plan.counts[i]; ++j) {
      const Sample& s = plan.samples.samples[plan.order[first + j]];
      sample_bytes += s.bytes;
      sample_files += s.files.size();
    }
    ExportedShard shard;
    shard.name = name;
    shard.samples = plan.counts[i];
    if (kept[i]) {
      const ShardRecord& done = state.shards.at(name);
      shard.bytes = done.bytes;
      shard.sha256 = done.sha256;
      shard.resumed = true;
      index_entries.push_back(done.index_entry);
      progress.bytes_done += sample_bytes;
      progress.files_done += sample_files;
    } else {
      auto info = writer.write(i, first, report.lost);
      if (!info) {
        report.shards_not_written.push_back(name);
        complete = false;
        first += plan.counts[i];
        continue;
      }
      shard.bytes = info->file_bytes;
      shard.sha256 = info->sha256;
      nlohmann::json entry;
      if (mds) {
        entry = mds_index_entry(plan, o, i, *info, hashes);
      } else {
        entry = {{"url", name},
                 {"nsamples", plan.counts[i]},
                 {"filesize", info->file_bytes},
                 {"sha256", info->sha256}};
      }
      index_entries.push_back(entry);
      state.shards[name] = ShardRecord{shard.samples, shard.bytes, shard.sha256, entry,
                                       file_mtime_ns(io::join(o.target, name))};
      save_state(o.target, state);
    }
    report.samples += shard.samples;
    report.files += sample_files;
    report.bytes += sample_bytes;
    report.shards.push_back(shard);
    first += plan.counts[i];
  }

  if (complete) {
    if (mds) {
      nlohmann::json index = {{"version", 2}, {"shards", index_entries}};
      io::write_file_atomically(io::join(o.target, kMdsIndex), python_json(index));
      report.index = kMdsIndex;
    } else {
      nlohmann::json index = {{"__kind__", "wids-shard-index-v1"},
                              {"wids_version", 1},
                              {"name", "ferry-" + report.shipment_id},
                              {"shardlist", index_entries}};
      io::write_file_atomically(io::join(o.target, kWebDatasetIndex), index.dump(2) + "\n");
      report.index = kWebDatasetIndex;
    }
  }
  progress.phase = "done";
  return report;
}

ExportReport export_shipment(const ExportOptions& options, Progress& progress) {
  progress.phase = "opening";
  ShipmentOptions so;
  so.drives = options.drives;
  so.credentials = options.credentials;
  so.env = options.env;
  // Each unit is read once, in order: a cache beyond the read-ahead only costs memory.
  so.cache_bytes = 32ull << 20;
  std::unique_ptr<Shipment> shipment = Shipment::open(so);
  return export_shipment(*shipment, options, progress);
}

}  // namespace ferry
