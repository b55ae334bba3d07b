// The state file an export keeps in its target (.ferry-export.json), so that a killed
// export run again carries on from its last complete shard: which shipment, which
// options and which plan of shards it is writing, and each shard completed so far with
// its size, mtime and SHA-256. A journal of JSON lines: the first says what the export
// is (written atomically, with the shards kept from before, when a run starts), then one
// line is appended and fsynced as each shard is renamed into place, so that the cost of a
// shard does not grow with the number before it. A shard found complete on disk but not
// recorded (a line cut short by a kill is not read) is written again, to the same bytes.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ferry::exporting {

constexpr const char* kStateFile = ".ferry-export.json";

struct ShardRecord {
  uint64_t samples = 0;
  uint64_t bytes = 0;
  std::string sha256;
  nlohmann::json index_entry;  // what the index lists for the shard
  int64_t mtime_ns = 0;        // of the shard file once renamed into place
};

struct ExportState {
  std::string shipment;
  nlohmann::json options;                     // everything that decides the shards' bytes
  std::string plan;                           // digest of the shard plan
  std::map<std::string, ShardRecord> shards;  // by file name
};

// The state in `dir`, or nullopt when there is none or it cannot be read as one.
std::optional<ExportState> load_state(const std::string& dir);
// Writes the whole state afresh (atomically), shards included.
void save_state(const std::string& dir, const ExportState& state);
// Records one more shard complete, after the state save_state() wrote.
void add_shard(const std::string& dir, const std::string& name, const ShardRecord& record);

// The SHA-256 (hex) of the file at `path`, or "" when it cannot be read.
std::string file_sha256(const std::string& path);

// Whether the shard file at `path` is still the one `record` describes. Size and mtime
// are compared, not the bytes: a shard reaches its name only complete and fsynced, and
// hashing every shard again would make carrying on a large export as slow as starting
// over; with `rehash`, the SHA-256 is compared as well.
bool shard_unchanged(const std::string& path, const ShardRecord& record, bool rehash);
int64_t file_mtime_ns(const std::string& path);  // -1 when it cannot be read

}  // namespace ferry::exporting
