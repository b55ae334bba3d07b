// A shipment as a read-only FUSE 3 file system: the catalog's tree (names as raw bytes,
// modes, times, sizes, symbolic links), file bytes straight off the drives through a
// ferry::Shipment. A read that cannot be served gets EIO, never wrong bytes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/shipment.h"

namespace ferry::mount {

struct MountOptions {
  ShipmentOptions shipment;
  std::string mountpoint;
  std::vector<std::string> only;  // show only these files or folders (and their parents)
  bool foreground = false;
  bool allow_other = false;  // let other users read it (root, or user_allow_other)
  bool debug = false;        // FUSE's own request log (implies foreground)
  // Told, before mounting, what opening the drives found: drives ignored or missing
  // (their blocks rebuilt from parity), damaged catalog copies.
  std::function<void(const std::string&)> warn;
};

// Whether this machine can mount FUSE file systems; when not, `why` says what to do.
bool fuse_available(std::string* why);

// Opens the shipment, mounts it and serves requests until unmounted (`fusermount3 -u`,
// `umount`, or Ctrl-C in the foreground). Without `foreground` it returns in the
// parent once mounted, and the served file system lives in a background process.
// Throws Error when the shipment cannot be opened or the mount fails.
void serve(const MountOptions& options);

}  // namespace ferry::mount
