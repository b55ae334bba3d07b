// Checking a shipment on arrival: without the key, every block's header, position and
// CRC and every stripe's parity; with the key, also every unit's authentication, the
// catalog and every file's SHA-256.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/credentials.h"
#include "ferry/drive_role.h"
#include "ferry/progress.h"
#include "ferry/read_env.h"

namespace ferry {

struct VerifyOptions {
  std::vector<std::string> drives;
  std::string shipment;  // empty, or the shipment id (a unique prefix) the drives must hold
  Credentials credentials;  // empty: keyless verification
  int threads = 0;          // 0: one per core
  const io::ReadEnv* env = nullptr;  // nullptr: the real file system
};

struct DriveCheck {
  std::string path;      // as given; for a missing slot, empty
  int slot = -1;         // -1 when the drive is not a member of the shipment
  DriveRole role = DriveRole::kMissing;
  uint64_t ok = 0, damaged = 0, missing = 0, truncated = 0, misplaced = 0, foreign = 0,
           unreadable = 0;
  bool catalog_ok = false;
  std::string problem;                // why the drive is not used, if it is not
  std::vector<std::string> examples;  // the first few damaged blocks, for people
};

// kIncomplete: drives not attached, and those attached intact (with k or more of them,
// every stripe rebuildable). Neither damage nor data lost: the others may simply not
// have arrived, or wait for the one dock.
enum class Verdict { kIntact, kRecoverable, kDataLost, kIncomplete };

struct VerifyReport {
  std::string shipment_id;
  uint32_t k = 0, m = 0;
  bool keyed = false;
  std::vector<DriveCheck> drives;  // the drives given, then one entry per missing slot
  uint32_t attached = 0;           // members of the shipment among the drives given
  bool attached_intact = false;    // every block and catalog copy on them as written
  uint64_t stripes = 0;
  uint64_t stripes_intact = 0;
  uint64_t stripes_degraded = 0;  // damaged but rebuildable
  uint64_t stripes_lost = 0;
  uint64_t parity_mismatches = 0;  // every block's CRC right, yet parity disagrees
  bool catalog_intact = false;     // at least one intact copy
  // Some drive holds blocks past the stripes the labels claim: the labels may have been
  // edited to hide data; not intact.
  bool blocks_beyond_labels = false;
  // With the key:
  uint64_t units_unauthentic = 0;    // altered blocks the CRC did not reveal (rebuilt)
  uint64_t units_unrecoverable = 0;  // data units beyond repair
  uint64_t files_checked = 0;
  std::vector<std::string> lost_files;  // raw paths
  Verdict verdict = Verdict::kIntact;
};

VerifyReport verify_shipment(const VerifyOptions& options, Progress& progress);

}  // namespace ferry
