// Key files, and wrapping the shipment's random data key under a key file or a
// passphrase. Changing a passphrase re-wraps 32 bytes and re-encrypts nothing.
// FORMAT.md §Keys.
#pragma once

#include <optional>
#include <string>

#include "codec/aead.h"
#include "ferry/credentials.h"
#include "format/label.h"

namespace ferry::format {

// Creates a key file of mode 0600 holding a new random key; refuses an existing path.
void write_new_key_file(const std::string& path);
// Reads a key file; throws kInvalidArgument naming the file when it is not one.
codec::Key read_key_file(const std::string& path);

using ferry::Credentials;

// Wraps `data_key` for every credential given.
std::vector<KeyWrap> wrap_data_key(const codec::Key& data_key, const ShipmentId& shipment,
                                   const Credentials& credentials,
                                   const codec::ScryptParams& scrypt);

// The data key, or nullopt when none of the credentials opens any of the label's wraps.
std::optional<codec::Key> unwrap_data_key(const Label& label, const Credentials& credentials);

}  // namespace ferry::format
