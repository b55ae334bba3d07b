#include "codec/kdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "ferry/error.h"

namespace ferry::codec {

Key scrypt(const std::string& passphrase, const std::vector<uint8_t>& salt,
           const ScryptParams& params) {
  if (params.log2_n < 10 || params.log2_n > 24 || params.r == 0 || params.r > 32 ||
      params.p == 0 || params.p > 16) {
    throw Error(ErrorKind::kCorruption, "implausible scrypt parameters in the label");
  }
  Key out{};
  uint64_t n = 1ull << params.log2_n;
  uint64_t max_mem = 128ull * params.r * (n + params.p + 2) + (64ull << 20);
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt.data(), salt.size(), n, params.r,
                     params.p, max_mem, out.data(), out.size()) != 1) {
    throw Error(ErrorKind::kIO, "scrypt key derivation failed (out of memory?)");
  }
  return out;
}

Key hkdf(const Key& key, const std::string& info) {
  Key out{};
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  bool ok = ctx && EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  if (!ok) throw Error(ErrorKind::kIO, "OpenSSL: HKDF failed");
  return out;
}

void random_bytes(void* out, size_t len) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(len)) != 1) {
    throw Error(ErrorKind::kIO, "OpenSSL: no random bytes available");
  }
}

}  // namespace ferry::codec
