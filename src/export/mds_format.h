// MosaicML Streaming's MDS shard format, version 2, as ferry writes it: one `bytes`
// column per file extension and the sample key as a `str` column named "__key__".
//
// A shard file (shard.NNNNN.mds), all integers little-endian u32:
//
//   num_samples | offsets[num_samples + 1] | config JSON | sample 0 | sample 1 | ...
//
// offsets[i] is where sample i begins, counted from the start of the file, and
// offsets[num_samples] is the file's size; the config JSON is the shard's writing
// configuration (see mds_config). A sample is the sizes of its columns (one u32 each,
// in column order: every column is variable-sized here) and then the columns' bytes in
// the same order. Columns are sorted by name. A sample with no file of an extension
// holds an empty value in that column.
//
// With compression "zstd" the shard file is shard.NNNNN.mds.zstd: the whole shard as
// one zstd frame (its content size in the frame header). index.json lists every shard
// with its configuration, sample count and the size and hashes of its raw (and zip)
// file. Offsets are 32-bit, so a shard can hold at most 4 GiB - 1 bytes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ferry::exporting {

constexpr const char* kMdsKeyColumn = "__key__";
constexpr uint64_t kMdsMaxShardBytes = 0xFFFFFFFFull;

struct MdsColumns {
  // Sorted bytewise (as Python sorts str), "__key__" among them.
  std::vector<std::string> names;
  std::vector<std::string> encodings;  // "str" for the key, "bytes" for the rest
};

// The columns for samples whose files have `extensions` (any order, duplicates fine).
MdsColumns mds_columns(const std::vector<std::string>& extensions);

// The shard configuration (version, format, columns, compression, hashes, size_limit)
// as MDS writes it into each shard and into each index.json entry.
nlohmann::json mds_config(const MdsColumns& columns, const std::string& compression,
                          const std::vector<std::string>& hashes, uint64_t size_limit);

// What a shard takes before its first sample: count, one offset, and the config.
uint64_t mds_shard_overhead(size_t config_bytes);
// What a sample takes in its shard: its offset, its column sizes and its bytes.
inline uint64_t mds_sample_bytes(size_t columns, uint64_t data_bytes) {
  return 4 + 4ull * columns + data_bytes;
}

// The shard's head: count, offsets and the config, given each sample's encoded size
// (column sizes and bytes, without the offset).
std::string mds_shard_head(const std::vector<uint64_t>& sample_sizes, const std::string& config);

void put_u32(std::string& out, uint32_t value);

}  // namespace ferry::exporting
