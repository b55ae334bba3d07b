// export_shipment: the plan (export_plan.h), the target (empty, or an export to carry on),
// then each shard not already there written from the drives (shard_writer.h), in order,
// and the index once every shard is there.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "export/export_plan.h"
#include "export/export_state.h"
#include "export/prefetch.h"
#include "export/py_json.h"
#include "export/shard_writer.h"
#include "ferry/error.h"
#include "ferry/export.h"
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

// Shard names as the writers spell them: at least 6 digits for WebDataset, 5 for MDS,
// more past a million (or 100,000) shards.
bool is_export_file(const std::string& name) {
  auto numbered = [&](const std::string& prefix, size_t at_least,
                      std::initializer_list<const char*> suffixes) {
    if (name.rfind(prefix, 0) != 0) return false;
    size_t end = prefix.size();
    while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
    if (end - prefix.size() < at_least) return false;
    for (const char* suffix : suffixes) {
      if (name.compare(end, std::string::npos, suffix) == 0) return true;
    }
    return false;
  };
  if (name == kStateFile || name == kMdsIndex || name == kWebDatasetIndex) return true;
  if (name.size() > 9 && name[0] == '.' && name.compare(name.size() - 8, 8, ".partial") == 0) {
    return true;
  }
  return numbered("shard-", 6, {".tar"}) || numbered("shard.", 5, {".mds", ".mds.zstd"});
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

  // The journal starts afresh with the shards kept: a rerun of this command, even of an
  // export that writes no shard, finds it and carries on.
  save_state(o.target, state);

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
      ShardRecord record{shard.samples, shard.bytes, shard.sha256, entry,
                         file_mtime_ns(io::join(o.target, name))};
      add_shard(o.target, name, record);
      state.shards[name] = std::move(record);
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
  so.shipment = options.shipment;
  so.env = options.env;
  // Each unit is read once, in order: a cache beyond the read-ahead only costs memory.
  so.cache_bytes = 32ull << 20;
  std::unique_ptr<Shipment> shipment = Shipment::open(so);
  return export_shipment(*shipment, options, progress);
}

}  // namespace ferry
