// Key derivation: scrypt (memory-hard) for passphrases, HKDF-SHA-256 for sub-keys,
// and the system CSPRNG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codec/aead.h"

namespace ferry::codec {

struct ScryptParams {
  uint64_t log2_n = 17;  // N = 2^17, r = 8: 128 MiB of memory per derivation
  uint32_t r = 8;
  uint32_t p = 1;
  bool operator==(const ScryptParams&) const = default;
};

Key scrypt(const std::string& passphrase, const std::vector<uint8_t>& salt,
           const ScryptParams& params);

// HKDF-SHA-256 with no salt: a sub-key of `key` for the purpose named by `info`.
Key hkdf(const Key& key, const std::string& info);

// Cryptographically secure random bytes.
void random_bytes(void* out, size_t len);

}  // namespace ferry::codec
