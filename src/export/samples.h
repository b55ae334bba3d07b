// From the files of a shipment to samples: a sample's key is the file's folder and its
// name up to the first dot, the rest of the name its extension (WebDataset's rule, so
// that the tar member of a file is the file's own path).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/export.h"
#include "ferry/shipment.h"

namespace ferry::exporting {

struct SampleFile {
  std::string ext;
  ShipmentEntry entry;
};

struct Sample {
  std::string key;
  std::vector<SampleFile> files;  // sorted by extension
  uint64_t bytes = 0;             // file bytes
};

struct Samples {
  std::vector<Sample> samples;       // in the order their first files lie on the drives
  std::vector<std::string> skipped;  // files with no extension to name them by
};

// Splits a path into key and extension; false when the file name has none (no dot,
// only a leading dot, or a dot at its end).
bool split_key(const std::string& path, std::string& key, std::string& ext);

// `files` in catalog order (each once). Throws kConflict naming both files when two
// files of one sample share an extension, or, with kFile, when two files share a key
// (a loader would read them as one sample).
Samples group_samples(std::vector<ShipmentEntry> files, SampleGrouping grouping);

// Cuts samples, taken in `order`, into shards: a new shard begins when the next
// sample's `cost` would take the current one past `limit` bytes (`overhead` counts
// once per shard). A sample larger than the limit is a shard of its own. Returns the
// number of samples in each shard.
std::vector<uint64_t> cut_shards(const std::vector<uint64_t>& order,
                                 const std::vector<uint64_t>& cost, uint64_t overhead,
                                 uint64_t limit);

}  // namespace ferry::exporting
