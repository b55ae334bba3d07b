// Restoring files from any k drives of a shipment.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/credentials.h"
#include "ferry/progress.h"
#include "ferry/read_env.h"

namespace ferry {

struct RestoreOptions {
  std::vector<std::string> drives;  // any order, any mount paths
  std::string shipment;  // empty, or the shipment id (a unique prefix) the drives must hold
  std::string target;
  Credentials credentials;
  std::vector<std::string> only;  // restrict to these files or folders of the shipment
  bool overwrite = false;
  int threads = 0;  // 0: one per core
  const io::ReadEnv* env = nullptr;  // nullptr: the real file system
  // When set (by a SIGINT/SIGTERM handler), restore stops between files and throws
  // kInterrupted; running it again continues.
  const std::atomic<bool>* stop = nullptr;
};

struct RestoreReport {
  std::string shipment_id;
  uint64_t files = 0, directories = 0, symlinks = 0;
  uint64_t bytes = 0;            // file bytes written
  uint64_t already_present = 0;  // files left alone because the target held the same content
  uint64_t units_rebuilt = 0;    // data units rebuilt from parity on the fly
  std::vector<std::string> lost;      // files that could not be restored (raw paths)
  std::vector<std::string> warnings;  // drives ignored, damaged catalog copies, ...
};

// Throws ferry::Error before writing anything when the drives, key or target are not
// usable. Files that cannot be recovered are listed in `lost`, never written.
RestoreReport restore_shipment(const RestoreOptions& options, Progress& progress);

}  // namespace ferry
