// AES-256-GCM through OpenSSL EVP (AES-NI). 12-byte nonces, 16-byte tags.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace ferry::codec {

constexpr size_t kKeySize = 32;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
using Key = std::array<uint8_t, kKeySize>;
using Nonce = std::array<uint8_t, kNonceSize>;

// One key, many messages. Not thread-safe: give each thread its own instance.
// The caller guarantees a nonce is never used twice with one key.
class AesGcm {
 public:
  explicit AesGcm(const Key& key);
  ~AesGcm();
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;

  // Encrypts `len` bytes from `in` to `out` (may be the same buffer) and writes the tag.
  void seal(const Nonce& nonce, const void* aad, size_t aad_len, const void* in, size_t len,
            void* out, uint8_t tag[kTagSize]);
  // Decrypts and authenticates; false (and `out` unspecified) when anything was altered.
  bool open(const Nonce& nonce, const void* aad, size_t aad_len, const void* in, size_t len,
            void* out, const uint8_t tag[kTagSize]);

 private:
  EVP_CIPHER_CTX* enc_;
  EVP_CIPHER_CTX* dec_;
};

}  // namespace ferry::codec
