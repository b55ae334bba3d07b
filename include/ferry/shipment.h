// Reading a shipment in place: any byte range of any file, straight off any k drives,
// without restoring it first. The base of `ferry mount`, the Python dataset and export.
//
//   ferry::ShipmentOptions options;
//   options.drives = {"/mnt/a", "/mnt/b", "/mnt/c"};
//   options.credentials.key_file = key;
//   auto shipment = ferry::Shipment::open(options);
//   auto info = shipment->stat("train/7/00042.png");         // nullopt: no such entry
//   std::string bytes = shipment->read("train/7/00042.png");  // whole file, checked
//   size_t got = shipment->read(*info, 4096, buffer, 65536);  // any range
//
// Every byte returned was authenticated (AES-GCM of its unit) and, when a file is read
// whole in order, checked against its SHA-256 as well; bytes that cannot be recovered
// are an Error (kCorruption or kNotEnoughDrives), never returned. A Shipment is
// thread-safe: any number of threads may call any method at once.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/credentials.h"
#include "ferry/read_env.h"

namespace ferry {

struct ShipmentOptions {
  std::vector<std::string> drives;  // any order, any mount paths; at least k of the N
  Credentials credentials;
  // The shipment id the drives must hold (a unique prefix of its hex digits), or "" for
  // whichever shipment most of the drives hold.
  std::string shipment;
  // Decrypted units kept for reuse, in bytes. Peak memory is about this plus a few
  // units per reading thread.
  uint64_t cache_bytes = 256ull << 20;
  // Stripes read ahead of a file read in order (0: none).
  uint32_t read_ahead_stripes = 2;
  // A block that has not arrived in three times the drives' usual time for one (plus
  // 10 ms), or after this many milliseconds at most, is read around from parity when
  // the layout has any (a hedged read), and its drive is counted slow.
  uint32_t hedge_after_ms = 200;
  const io::ReadEnv* env = nullptr;  // nullptr: the real file system
};

struct ShipmentEntry {
  enum class Kind { kFile, kDirectory, kSymlink };
  std::string path;  // relative, '/'-separated, raw bytes; "" is the root folder
  Kind kind = Kind::kFile;
  uint32_t mode = 0;  // permission bits, 07777
  uint32_t uid = 0, gid = 0;  // owner and group, as numbers on the source
  int64_t mtime_ns = 0;
  uint64_t size = 0;                   // files: bytes; symlinks: target length
  std::array<uint8_t, 32> sha256{};    // files
  std::string target;                  // symlinks, raw bytes
  int64_t id = 0;                      // catalog order: files lie on the drives in this order
  // Files: bytes on the drives, after compression (runs of zeros squeezed to little):
  // what the file takes, as a file system's allocated size would say.
  uint64_t stored = 0;
  // Files: the names of one file (hard links) share `file_id` (the first name's id) and
  // all say how many names it has.
  int64_t file_id = 0;
  uint32_t links = 1;
};

struct ShipmentStats {
  std::vector<uint64_t> bytes_per_slot;   // bytes read from each drive, by slot
  std::vector<uint64_t> slow_per_slot;    // reads of each slot that were read around
  std::vector<uint64_t> errors_per_slot;  // blocks missing, damaged or failing there
  uint64_t units_opened = 0;     // data units decrypted and authenticated
  uint64_t frames_opened = 0;    // zstd frames decompressed
  uint64_t stripes_rebuilt = 0;  // stripes rebuilt from parity
  uint64_t cache_hits = 0, cache_misses = 0;
  uint64_t bytes_returned = 0;   // file bytes handed to callers
  uint64_t files_verified = 0;   // files read whole in order and found to match SHA-256
};

class Shipment {
 public:
  // Opens the shipment the drives hold: labels sorted out, the data key unwrapped, the
  // catalog decrypted (into memory that never outlives the process). Throws Error:
  // kWrongKey, kNotEnoughDrives, kCorruption, kInvalidArgument.
  static std::unique_ptr<Shipment> open(const ShipmentOptions& options);
  virtual ~Shipment() = default;

  virtual std::string id() const = 0;  // 32 hex digits
  virtual uint32_t k() const = 0;
  virtual uint32_t m() const = 0;
  virtual std::vector<uint32_t> missing_slots() const = 0;
  // Warnings met while opening: drives ignored, damaged catalog copies.
  virtual std::vector<std::string> warnings() const = 0;

  // The entry at `path` ("" for the root folder), or nullopt.
  virtual std::optional<ShipmentEntry> stat(std::string_view path) const = 0;
  // Every entry whose path is `prefix` or lies below it (a folder prefix ends in '/', or
  // is "" for all), in catalog order; `visit` returns false to stop.
  virtual void list(std::string_view prefix,
                    const std::function<bool(const ShipmentEntry&)>& visit) const = 0;
  // The entries directly inside folder `dir` ("" for the root), by name.
  virtual void children(std::string_view dir,
                        const std::function<bool(const ShipmentEntry&)>& visit) const = 0;
  // The extended attributes `entry` had on the source (POSIX ACLs and file capabilities
  // among them), as (name, value), by name.
  virtual std::vector<std::pair<std::string, std::string>> xattrs(
      const ShipmentEntry& entry) const = 0;

  // Copies up to `len` bytes of file `entry` from `offset` into `out`; returns how many
  // (fewer only at the end of the file). Throws Error when a byte cannot be recovered.
  virtual size_t read(const ShipmentEntry& entry, uint64_t offset, void* out,
                      size_t len) const = 0;
  // The whole file, checked against its SHA-256 (kCorruption on mismatch).
  virtual std::string read(std::string_view path) const = 0;
  // `len` bytes (fewer at the end of the file) from `offset`.
  virtual std::string read(std::string_view path, uint64_t offset, uint64_t len) const = 0;

  virtual ShipmentStats stats() const = 0;
};

}  // namespace ferry
