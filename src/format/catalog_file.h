// The catalog as stored on each drive: the SQLite file sealed in 1 MiB chunks of
// AES-256-GCM under the catalog sub-key. FORMAT.md §Catalog file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "codec/aead.h"
#include "codec/sha256.h"
#include "format/layout.h"

namespace ferry::format {

// What a label records of the catalog as stored on each drive.
struct SealedCatalog {
  codec::Digest sha256{};
  uint64_t bytes = 0;
};

// Encrypts the database at `plain_path` chunk by chunk, handing the sealed file to
// `out` piece by piece, in order (bounded memory, whatever the catalog's size); returns
// its size. Its SHA-256 is the caller's to take of the pieces, on whichever thread
// writes them: at the end of a pack this thread is the only one working.
uint64_t seal_catalog(const std::string& plain_path, const ShipmentId& shipment,
                      const codec::Key& data_key,
                      const std::function<void(const uint8_t*, size_t)>& out);

// Decrypts and authenticates `sealed_path` into `plain_path`. Throws kCorruption when
// any byte was altered, truncated or belongs to another shipment.
void open_catalog(const std::string& sealed_path, const std::string& plain_path,
                  const ShipmentId& shipment, const codec::Key& data_key);

// SHA-256 and size of a whole file, streamed.
codec::Digest file_sha256(const std::string& path, uint64_t* size = nullptr);

}  // namespace ferry::format
