// pack: walk the source into a working catalog, check the drives and the space, then
// stream every file through the stripe pipeline and seal the catalog and labels onto
// every drive. The labels say "complete" only once everything else is durable.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <climits>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <thread>

#include "codec/kdf.h"
#include "ferry/error.h"
#include "ferry/pack.h"
#include "format/catalog.h"
#include "format/catalog_file.h"
#include "format/drive_folder.h"
#include "format/keys.h"
#include "io/drive_lock.h"
#include "io/file.h"
#include "pack/file_packer.h"
#include "pack/source_walker.h"
#include "pack/stream_writer.h"
#include "util/dir_chain.h"

namespace ferry {
namespace {

constexpr size_t kCatalogBatch = 2000;

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) throw_errno("cannot resolve " + path, errno);
  return buf;
}

void check_options(const PackOptions& o) {
  const size_t n = o.drives.size();
  if (n < 2) throw Error(ErrorKind::kInvalidArgument, "pack needs at least two drives (--to A B ...)");
  if (o.parity < 1 || o.parity >= n) {
    throw Error(ErrorKind::kInvalidArgument,
                "--parity must be between 1 and " + std::to_string(n - 1) + " for " +
                    std::to_string(n) + " drives");
  }
  if (o.credentials.empty()) {
    throw Error(ErrorKind::kInvalidArgument,
                "pack needs a key: --key-file F, --passphrase-file F or FERRY_PASSPHRASE");
  }
  if (!io::is_directory(o.source)) {
    throw Error(ErrorKind::kInvalidArgument, "source " + o.source + " is not a directory");
  }
  std::string source = real_path(o.source) + "/";
  std::vector<std::pair<dev_t, ino_t>> seen;
  for (const std::string& drive : o.drives) {
    struct stat st;
    if (::stat(drive.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw Error(ErrorKind::kInvalidArgument,
                  "drive " + drive + " is not a directory: mount the drive or create the folder");
    }
    for (auto& [dev, ino] : seen) {
      if (dev == st.st_dev && ino == st.st_ino) {
        throw Error(ErrorKind::kInvalidArgument, "drive " + drive + " is given twice");
      }
    }
    seen.emplace_back(st.st_dev, st.st_ino);
    std::string real = real_path(drive) + "/";
    if (real.compare(0, source.size(), source) == 0) {
      throw Error(ErrorKind::kInvalidArgument,
                  "drive " + drive + " lies inside the source " + o.source + "; choose another");
    }
  }
}

// Shipment folders already on the drives: refused, or with --force removed.
std::vector<std::string> existing_shipments(const PackOptions& o) {
  std::vector<std::string> found;
  for (const std::string& drive : o.drives) {
    for (const std::string& folder : format::find_shipment_folders(drive)) {
      if (!o.force) {
        std::string what = folder;
        try {
          format::Label l = format::read_label(folder);
          what = "shipment " + format::id_short(l.shipment) + " (slot " + std::to_string(l.slot) + ")";
        } catch (const Error&) {
        }
        throw Error(ErrorKind::kConflict, "drive " + drive + " already holds " + what +
                                              "; use --force to replace it, or choose another drive");
      }
      found.push_back(folder);
    }
  }
  return found;
}

void check_space(const PackOptions& o, const format::Layout& layout, const pack::WalkTotals& t) {
  uint64_t stripes = layout.stripes_for(t.file_bytes);
  uint64_t catalog = (t.files + t.directories + t.symlinks) * 256 + (1 << 20);
  uint64_t need = stripes * layout.record_size() + catalog + (64 << 10);
  for (const std::string& drive : o.drives) {
    struct statvfs vfs;
    if (::statvfs(drive.c_str(), &vfs) != 0) throw_errno("cannot query free space of " + drive, errno);
    uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < need) {
      uint64_t fits = free_bytes > catalog ? (free_bytes - catalog) / layout.record_size() *
                                                 layout.stripe_plain() : 0;
      throw Error(ErrorKind::kNoSpace,
                  "the shipment does not fit: each drive needs " + std::to_string(need) +
                      " bytes (" + std::to_string(t.file_bytes) + " bytes of files over " +
                      std::to_string(layout.k) + " data drives + " + std::to_string(layout.m) +
                      " parity), but drive " + drive + " has " + std::to_string(free_bytes) +
                      " bytes free, enough for about " + std::to_string(fits) +
                      " bytes of files. Use larger or more drives (see `ferry plan`). Nothing was written.");
    }
  }
}

}  // namespace

PackReport pack_shipment(const PackOptions& o, Progress& progress) {
  check_options(o);
  std::vector<std::string> old_shipments = existing_shipments(o);

  format::Layout layout;
  layout.m = o.parity;
  layout.k = static_cast<uint32_t>(o.drives.size()) - o.parity;
  layout.block_size = o.block_size;
  layout.segment_stripes = std::max<uint64_t>(1, o.segment_bytes / (format::kBlockHeaderSize + layout.block_size));
  format::validate(layout);

  // 1. Walk the source into a working catalog.
  progress.phase = "scanning";
  io::TempFile work_db("ferry-catalog");
  format::Catalog catalog = format::Catalog::create(work_db.path());
  pack::WalkTotals totals = pack::walk_source(o.source, catalog);
  progress.files_total = totals.files;
  progress.bytes_total = totals.file_bytes;

  // 2. Nothing is written before we know it fits.
  if (o.check_space) check_space(o, layout, totals);
  for (const std::string& folder : old_shipments) io::remove_tree(folder);

  // 3. Claim the drives: folder, lock, label saying "packing", the note.
  format::Label label;
  codec::random_bytes(label.shipment.data(), label.shipment.size());
  label.created_unix = static_cast<int64_t>(std::time(nullptr));
  label.layout = layout;
  codec::Key data_key;
  codec::random_bytes(data_key.data(), data_key.size());
  codec::ScryptParams scrypt;
  scrypt.log2_n = o.scrypt_log2_n;
  label.keys = format::wrap_data_key(data_key, label.shipment, o.credentials, scrypt);

  std::vector<std::string> folders;
  std::vector<std::unique_ptr<io::DriveLock>> locks;
  for (uint32_t slot = 0; slot < layout.n(); ++slot) {
    std::string folder = io::join(o.drives[slot], format::shipment_dir_name(label.shipment));
    io::make_directories(io::join(folder, format::kSegmentDir));
    locks.push_back(std::make_unique<io::DriveLock>(folder));
    label.slot = slot;
    format::write_label(folder, label);
    format::write_note(folder, label);
    folders.push_back(folder);
  }

  // 4. Stream every file.
  progress.phase = "packing";
  pack::PipelineConfig config;
  config.shipment = label.shipment;
  config.layout = layout;
  config.block_key = codec::hkdf(data_key, format::kBlockKeyInfo);
  config.attempt = label.pack_attempt;
  config.folders = folders;
  config.threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  pack::StripePipeline pipeline(config);
  pack::StreamWriter stream(pipeline, layout, 0);
  util::DirChain source(o.source);
  pack::FilePacker packer(stream, source, progress, o.compress);

  PackReport report;
  report.skipped = totals.skipped;
  if (totals.unreadable) {
    for (auto& [path, why] : totals.skipped) {
      if (why.find("cannot") != std::string::npos) report.unreadable.emplace_back(path, why);
    }
    std::erase_if(report.skipped, [](const auto& s) { return s.second.find("cannot") != std::string::npos; });
  }
  int64_t last_id = 0;
  for (;;) {
    std::vector<format::Entry> batch;
    {
      auto cursor = catalog.entries(last_id);
      format::Entry e;
      while (batch.size() < kCatalogBatch && cursor.next(e)) batch.push_back(e);
    }
    if (batch.empty()) break;
    last_id = batch.back().id;
    catalog.begin();
    for (format::Entry& e : batch) {
      if (e.kind == format::EntryKind::kDirectory) {
        ++report.directories;
        continue;
      }
      if (e.kind == format::EntryKind::kSymlink) {
        ++report.symlinks;
        continue;
      }
      std::string reason;
      if (packer.pack(e, &reason) == pack::FileOutcome::kPacked) {
        catalog.set_file_data(e);
        ++report.files;
        report.source_bytes += e.size;
      } else {
        catalog.remove(e.id);
        catalog.add_skipped(e.path, reason);
        report.unreadable.emplace_back(e.path, reason);
      }
      ++progress.files_done;
    }
    catalog.commit();
  }
  const uint64_t stream_end = stream.position();  // before the last stripe's padding
  stream.finish();

  // 5. Seal the catalog onto every drive, then publish the final labels.
  progress.phase = "finishing";
  label.stream_bytes = stream_end;
  label.stripes = label.layout.stripes_for(label.stream_bytes);
  catalog.set_meta("format_version", std::to_string(format::kFormatVersion));
  catalog.set_meta("shipment", format::id_hex(label.shipment));
  catalog.set_meta("stream_bytes", std::to_string(label.stream_bytes));
  catalog.set_meta("created_unix", std::to_string(label.created_unix));
  io::TempFile sealed("ferry-catalog-sealed");
  format::seal_catalog(work_db.path(), sealed.path(), label.shipment, data_key);
  label.catalog_sha256 = format::file_sha256(sealed.path(), &label.catalog_bytes);
  std::string sealed_bytes = io::read_whole_file(sealed.path());
  for (uint32_t slot = 0; slot < layout.n(); ++slot) {
    io::write_file_atomically(format::catalog_path(folders[slot]), sealed_bytes);
  }
  label.state = "complete";
  for (uint32_t slot = 0; slot < layout.n(); ++slot) {
    label.slot = slot;
    format::write_label(folders[slot], label);
  }

  report.shipment_id = format::id_hex(label.shipment);
  report.k = layout.k;
  report.m = layout.m;
  report.stream_bytes = label.stream_bytes;
  report.stripes = label.stripes;
  return report;
}

}  // namespace ferry
