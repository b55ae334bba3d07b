// A shipment opened with its key: drives sorted out, data key unwrapped, catalog
// decrypted from the first intact copy into a private temporary file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/read_env.h"
#include "codec/aead.h"
#include "ferry/credentials.h"
#include "format/attempts.h"
#include "format/catalog.h"
#include "io/file.h"
#include "read/drive_set.h"

namespace ferry::read {

struct OpenShipment {
  DriveSet drives;
  codec::Key data_key{};
  std::unique_ptr<io::TempFile> catalog_file;  // the decrypted SQLite database
  std::vector<std::string> catalog_problems;   // copies found damaged, for the report
  format::PackAttempts attempts;               // which pack attempt sealed which stripes

  // A new read-only connection to the catalog (one per thread).
  format::Catalog catalog() const { return format::Catalog::open_immutable(catalog_file->path()); }
};

// Throws kWrongKey when the credentials do not open the shipment, kCorruption when no
// catalog copy on the present drives is intact, or when the labels' layout or size is
// not what the authenticated catalog records (labels edited).
// The catalog copies are read through `env`.
std::unique_ptr<OpenShipment> open_shipment(DriveSet drives, const Credentials& credentials,
                                            const io::ReadEnv& env = io::ReadEnv::posix());

}  // namespace ferry::read
