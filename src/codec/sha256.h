// SHA-256 through OpenSSL EVP (SHA-NI where the CPU has it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace ferry::codec {

using Digest = std::array<uint8_t, 32>;

// Incremental hasher. Not thread-safe; one per thread. Reusable after finish().
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t len);
  Digest finish();  // returns the digest and resets for the next message

 private:
  EVP_MD_CTX* ctx_;
};

// The digest of one message, on a hasher kept by each thread.
Digest sha256(const void* data, size_t len);

std::string to_hex(const uint8_t* data, size_t len);
inline std::string to_hex(const Digest& d) { return to_hex(d.data(), d.size()); }
// Parses exactly `len` bytes of hex; returns false on any other input.
bool from_hex(const std::string& hex, uint8_t* out, size_t len);

}  // namespace ferry::codec
