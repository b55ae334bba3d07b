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

struct SealedCatalog {
  codec::Digest sha256{};  // of the file as stored on each drive
  uint64_t bytes = 0;
};

// Encrypts the database at `plain_path` chunk by chunk, handing the sealed file to
// `out` piece by piece, in order (bounded memory, whatever the catalog's size).
SealedCatalog seal_catalog(const std::string& plain_path, const ShipmentId& shipment,
                           const codec::Key& data_key,
                           const std::function<void(const uint8_t*, size_t)>& out);

// Decrypts and authenticates `sealed_path` into `plain_path`. Throws kCorruption when
// any byte was altered, truncated or belongs to another shipment.
void open_catalog(const std::string& sealed_path, const std::string& plain_path,
                  const ShipmentId& shipment, const codec::Key& data_key);

// SHA-256 and size of a whole file, streamed.
codec::Digest file_sha256(const std::string& path, uint64_t* size = nullptr);

}  // namespace ferry::format
