// Writes the shards of a plan, one at a time, from files the read-ahead hands over in
// plan order: a tar member per file for WebDataset, the MDS head and then each sample's
// column sizes and bytes for MDS.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "export/export_plan.h"
#include "export/prefetch.h"
#include "export/shard_file.h"
#include "ferry/progress.h"

namespace ferry::exporting {

// Not thread-safe; one per export.
class ShardWriter {
 public:
  ShardWriter(FilePrefetcher& prefetch, const ExportOptions& o, const Plan& plan,
              const std::vector<std::string>& hashes, Progress& progress)
      : prefetch_(&prefetch), o_(o), plan_(plan), hashes_(hashes), progress_(progress) {}

  // Writes shard `shard`, whose samples begin at `first` in the plan's order. Returns
  // nullopt (and leaves nothing behind) when a file of it cannot be recovered; every such
  // file is added to `lost`, and the shard's other files are still taken in turn.
  std::optional<ShardFileInfo> write(size_t shard, uint64_t first, std::vector<std::string>& lost);

 private:
  void copy_file(ShardFile& out, const SampleFile& f, std::vector<std::string>& lost);

  void write_tar_sample(ShardFile& out, const Sample& s, std::vector<std::string>& lost);

  void write_mds_sample(ShardFile& out, const Sample& s, std::vector<std::string>& lost);

  FilePrefetcher* prefetch_;
  const ExportOptions& o_;
  const Plan& plan_;
  const std::vector<std::string>& hashes_;
  Progress& progress_;
  bool failed_ = false;
};

// What index.json lists for MDS shard `shard`: its configuration, sample count and the
// size and `hashes` of its raw (and zstd) file.
nlohmann::json mds_index_entry(const Plan& plan, const ExportOptions& o, size_t shard,
                               const ShardFileInfo& info, const std::vector<std::string>& hashes);

}  // namespace ferry::exporting
