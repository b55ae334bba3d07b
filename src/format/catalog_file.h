// The catalog as stored on each drive: the SQLite file sealed in 1 MiB chunks of
// AES-256-GCM under the catalog sub-key. FORMAT.md §Catalog file.
#pragma once

#include <string>

#include "codec/aead.h"
#include "codec/sha256.h"
#include "format/layout.h"

namespace ferry::format {

struct SealedCatalog {
  std::string bytes;  // the file as stored on each drive
  codec::Digest sha256{};
};

// Encrypts the database at `plain_path`, in memory: every drive gets a copy, written in
// parallel. It takes about as much memory as the database (some 140 bytes a file).
SealedCatalog seal_catalog(const std::string& plain_path, const ShipmentId& shipment,
                           const codec::Key& data_key);

// Decrypts and authenticates `sealed_path` into `plain_path`. Throws kCorruption when
// any byte was altered, truncated or belongs to another shipment.
void open_catalog(const std::string& sealed_path, const std::string& plain_path,
                  const ShipmentId& shipment, const codec::Key& data_key);

// SHA-256 and size of a whole file, streamed.
codec::Digest file_sha256(const std::string& path, uint64_t* size = nullptr);

}  // namespace ferry::format
