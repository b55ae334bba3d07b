// Repairing a shipment without the key: damaged or missing blocks are rewritten in
// place from parity, damaged catalog copies replaced by an intact one, and lost slots
// rebuilt onto blank drives.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/progress.h"
#include "ferry/read_env.h"

namespace ferry {

struct RepairOptions {
  std::vector<std::string> drives;
  std::vector<std::string> rebuild;  // blank drives, one per missing slot to recreate
  int threads = 0;
  const io::ReadEnv* env = nullptr;
};

struct RepairReport {
  std::string shipment_id;
  uint64_t blocks_rewritten = 0;
  std::vector<uint32_t> slots_rebuilt;
  uint64_t catalogs_rewritten = 0;
  uint64_t stripes_unrepairable = 0;  // fewer than k good blocks: data lost
  std::vector<uint32_t> slots_still_missing;
};

RepairReport repair_shipment(const RepairOptions& options, Progress& progress);

}  // namespace ferry
