// What an export will write, worked out from the catalog alone before a byte is read
// (every size is known): the samples, their order, and which go into which shard, with
// each shard's name and exact size before compression. The same shipment and options
// always give the same plan; its digest tells a carried-on export that nothing moved.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "export/mds_format.h"
#include "export/samples.h"
#include "export/tar_header.h"
#include "ferry/export.h"
#include "ferry/shipment.h"

namespace ferry::exporting {

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

// Throws kInvalidArgument (an --only path the shipment lacks, a key or extension MDS
// cannot name, a sample too large for an MDS shard) or kConflict (see group_samples).
// Symlinks are left out, with a warning added to `warnings`.
Plan make_plan(const Shipment& shipment, const ExportOptions& o, uint64_t shard_size,
               const std::vector<std::string>& hashes, std::vector<std::string>& warnings);

inline TarMember tar_member(const SampleFile& f) {
  return TarMember{f.entry.path, f.entry.size, f.entry.mode, f.entry.mtime_ns};
}

}  // namespace ferry::exporting
