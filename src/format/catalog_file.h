// The catalog as stored on each drive: the SQLite file sealed in 1 MiB chunks of
// AES-256-GCM under the catalog sub-key. FORMAT.md §Catalog file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ferry/read_env.h"
#include "codec/aead.h"
#include "codec/sha256.h"
#include "format/layout.h"

namespace ferry::format {

// What a label records of the catalog as stored on each drive.
struct SealedCatalog {
  codec::Digest sha256{};
  uint64_t bytes = 0;
};

// Which catalog a sealed copy is, bound into every chunk's authentication: the
// shipment's catalog, or the snapshot of checkpoint n. A snapshot put in the catalog's
// place (its digest copied into the label) fails to open as the catalog.
constexpr uint64_t kFinalCatalog = 0;
inline uint64_t checkpoint_catalog(uint64_t sequence) { return sequence + 1; }

// Encrypts the database at `plain_path` chunk by chunk, handing the sealed file to
// `out` piece by piece, in order (bounded memory, whatever the catalog's size); returns
// its size. Its SHA-256 is the caller's to take of the pieces, on whichever thread
// writes them: at the end of a pack this thread is the only one working.
uint64_t seal_catalog(const std::string& plain_path, const ShipmentId& shipment,
                      const codec::Key& data_key,
                      const std::function<void(const uint8_t*, size_t)>& out,
                      uint64_t role = kFinalCatalog);

// Decrypts and authenticates `sealed_path` into `plain_path`. Throws kCorruption when
// any byte was altered, truncated, belongs to another shipment or is sealed for another
// role than `role`.
void open_catalog(const std::string& sealed_path, const std::string& plain_path,
                  const ShipmentId& shipment, const codec::Key& data_key,
                  uint64_t role = kFinalCatalog, const io::ReadEnv& env = io::ReadEnv::posix());

// Whether the file at `path` on a drive is `bytes` long with SHA-256 `sha256`. The size
// is checked before a byte is hashed, so a huge or sparse planted file costs nothing; a
// link, FIFO or device is refused (kCorruption), never followed or waited on.
bool drive_file_matches(const std::string& path, uint64_t bytes, const codec::Digest& sha256,
                        const io::ReadEnv& env = io::ReadEnv::posix());

}  // namespace ferry::format
