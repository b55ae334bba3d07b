// Packing a source tree onto N drives.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/credentials.h"
#include "ferry/progress.h"
#include "ferry/write_env.h"

namespace ferry {

struct PackOptions {
  std::string source;
  std::vector<std::string> drives;  // N drives; slot i is drives[i]
  uint32_t parity = 1;              // m; k = N - m
  uint32_t block_size = 1u << 20;
  uint64_t segment_bytes = 1ull << 30;  // per segment file: below FAT32's 4 GiB limit
  Credentials credentials;
  bool force = false;     // replace shipments already on the drives
  int threads = 0;        // workers of each kind; 0: one per usable core (the CLI also limits the cores)
  bool compress = true;   // zstd where a sample shows it pays
  bool xattrs = true;     // record extended attributes (ACLs and capabilities among them)
  uint32_t scrypt_log2_n = 17;
  // Refuse before writing when the drives' free space cannot hold the shipment. Off only
  // for file systems that misreport free space.
  bool check_space = true;
  // Stream bytes between checkpoints; a resumed pack loses at most this much work.
  // Grows with the catalog, whose snapshot each checkpoint writes to every drive.
  uint64_t checkpoint_bytes = 1ull << 30;
  // When set (by a SIGINT/SIGTERM handler), pack checkpoints and throws kInterrupted.
  const std::atomic<bool>* stop = nullptr;
  // Where blocks, labels, checkpoints and catalog copies are written; nullptr: the real
  // file system.
  const io::WriteEnv* env = nullptr;
  // Called with each warning as soon as it is known (drives sharing a file system are
  // known before anything is written), besides PackReport::warnings; may be empty.
  std::function<void(const std::string&)> warn;
};

struct PackReport {
  std::string shipment_id;  // 32 hex digits
  uint32_t k = 0, m = 0;
  uint64_t files = 0, directories = 0, symlinks = 0;
  uint64_t source_bytes = 0;  // bytes of the files packed
  uint64_t stream_bytes = 0;  // bytes in the data stream (after compression)
  uint64_t stripes = 0;
  // Special files left out on purpose (socket, FIFO, device), with their kind.
  std::vector<std::pair<std::string, std::string>> skipped;
  // Files or folders that could not be read, or kept changing, with why.
  std::vector<std::pair<std::string, std::string>> unreadable;
  // Set when the drives held an unfinished pack of the same source that this run completed.
  bool resumed = false;
  // Set when the drives already held this source's complete shipment: nothing was written
  // but, after a pack stopped while its labels turned complete, the labels still to do.
  bool already_complete = false;
  uint32_t labels_completed = 0;  // drives whose label this run turned complete that way
  uint64_t resumed_files = 0, resumed_bytes = 0;  // already packed before this run
  // Drives that share a file system with each other or with `/` (a disk lost takes
  // several drives with it, or a drive not mounted fills the system disk); a space check
  // passed only by the estimate of what the files compress to.
  std::vector<std::string> warnings;
};

// Throws ferry::Error; on success every drive holds a complete, consistent shipment.
PackReport pack_shipment(const PackOptions& options, Progress& progress);

}  // namespace ferry
