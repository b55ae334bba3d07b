#include "export/mds_format.h"

#include <algorithm>

#include "ferry/error.h"

namespace ferry::exporting {

MdsColumns mds_columns(const std::vector<std::string>& extensions) {
  std::vector<std::string> names = extensions;
  names.push_back(kMdsKeyColumn);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  MdsColumns columns;
  columns.names = names;
  for (const std::string& name : names) {
    columns.encodings.push_back(name == kMdsKeyColumn ? "str" : "bytes");
  }
  return columns;
}

nlohmann::json mds_config(const MdsColumns& columns, const std::string& compression,
                          const std::vector<std::string>& hashes, uint64_t size_limit) {
  nlohmann::json sizes = nlohmann::json::array();
  for (size_t i = 0; i < columns.names.size(); ++i) sizes.push_back(nullptr);
  return {
      {"version", 2},
      {"format", "mds"},
      {"compression", compression.empty() ? nlohmann::json(nullptr) : nlohmann::json(compression)},
      {"hashes", hashes},
      {"size_limit", size_limit},
      {"column_names", columns.names},
      {"column_encodings", columns.encodings},
      {"column_sizes", sizes}};
}

uint64_t mds_shard_overhead(size_t config_bytes) { return 4 + 4 + config_bytes; }

void put_u32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

std::string mds_shard_head(const std::vector<uint64_t>& sample_sizes, const std::string& config) {
  const uint64_t n = sample_sizes.size();
  std::string out;
  out.reserve(4 * (n + 2) + config.size());
  put_u32(out, static_cast<uint32_t>(n));
  uint64_t offset = 4 + 4 * (n + 1) + config.size();
  for (uint64_t i = 0; i <= n; ++i) {
    if (offset > kMdsMaxShardBytes) {
      throw Error(ErrorKind::kInvalidArgument,
                  "an MDS shard cannot exceed 4 GiB (its offsets are 32-bit); use a smaller "
                  "--shard-size");
    }
    put_u32(out, static_cast<uint32_t>(offset));
    if (i < n) offset += sample_sizes[i];
  }
  out += config;
  return out;
}

}  // namespace ferry::exporting
