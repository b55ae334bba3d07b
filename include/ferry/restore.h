// Restoring files from any k drives of a shipment.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
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
  // Refuse before writing when the target's free space cannot hold the files. Off only
  // for file systems that misreport free space.
  bool check_space = true;
  bool numeric_owner = false;  // owners by number even where their names are known here
  bool xattrs = true;          // apply extended attributes (ACLs and capabilities among them)
  // On a target that does not tell case apart, names that differ only in case refuse the
  // restore; with this, the later of each group is restored under a new name (listed).
  bool rename_collisions = false;
  // For tests: treat the target as not telling case apart, as probing it finds for exFAT.
  bool target_folds_case = false;
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
  uint64_t hard_links = 0;       // names made links to a file restored under another name
  std::vector<std::string> lost;      // files that could not be restored (raw paths)
  // Entries restored without something the shipment holds (an owner, a setuid bit, an
  // extended attribute) or in another form (a copy for a hard link), with what and why:
  // raw path, phrase. In catalog order.
  std::vector<std::pair<std::string, std::string>> not_applied;
  // Of those, entries not restored at all (a name or link the target cannot hold, or an
  // entry below such a folder); their content is not on the target.
  uint64_t not_restored = 0;
  std::vector<std::string> warnings;  // drives ignored, damaged catalog copies, ...
};

// Throws ferry::Error before writing anything when the drives, key or target are not
// usable. Files that cannot be recovered are listed in `lost`, never written.
RestoreReport restore_shipment(const RestoreOptions& options, Progress& progress);

}  // namespace ferry
