// Repairing a shipment without the key: damaged or missing blocks are rewritten in
// place from parity, damaged catalog copies replaced by an intact one, and lost slots
// rebuilt onto blank drives.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/credentials.h"
#include "ferry/progress.h"
#include "ferry/read_env.h"
#include "ferry/write_env.h"

namespace ferry {

struct RepairOptions {
  std::vector<std::string> drives;
  std::string shipment;  // empty, or the shipment id (a unique prefix) the drives must hold
  std::vector<std::string> rebuild;  // blank drives, one per missing slot to recreate
  // Optional: with the key, a block altered together with its CRC is found by its
  // failing authentication even with a single parity drive.
  Credentials credentials;
  int threads = 0;
  const io::ReadEnv* env = nullptr;
  // How repair writes to the drives; nullptr: the real file system. Tests pass one
  // that simulates a power cut.
  const io::WriteEnv* write_env = nullptr;
  // When set (by a SIGINT/SIGTERM handler), repair stops between stripes and throws
  // kInterrupted; running it again finishes the job.
  const std::atomic<bool>* stop = nullptr;
};

struct RepairReport {
  std::string shipment_id;
  uint64_t blocks_rewritten = 0;
  std::vector<uint32_t> slots_rebuilt;
  uint64_t catalogs_rewritten = 0;
  uint64_t stripes_unrepairable = 0;  // fewer than k good blocks: data lost
  // Parity disagrees though every CRC is right, and without the key (or with one parity
  // member) the altered block cannot be told: left alone.
  uint64_t stripes_unlocatable = 0;
  std::vector<uint32_t> slots_still_missing;
};

RepairReport repair_shipment(const RepairOptions& options, Progress& progress);

}  // namespace ferry
