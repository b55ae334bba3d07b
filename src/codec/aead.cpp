#include "codec/aead.h"

#include <openssl/evp.h>

#include <climits>

#include "ferry/error.h"

namespace ferry::codec {
namespace {

const EVP_CIPHER* aes_gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (!cipher) throw Error(ErrorKind::kIO, "OpenSSL has no AES-256-GCM");
  return cipher;
}

EVP_CIPHER_CTX* make_ctx(const Key& key, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx || EVP_CipherInit_ex(ctx, aes_gcm(), nullptr, key.data(), nullptr, encrypt) != 1) {
    throw Error(ErrorKind::kIO, "OpenSSL: cannot set up AES-256-GCM");
  }
  return ctx;
}

// EVP takes int lengths: feed large buffers in pieces.
bool update(EVP_CIPHER_CTX* ctx, const uint8_t* in, size_t len, uint8_t* out) {
  while (len) {
    int piece = len > (1u << 30) ? (1 << 30) : static_cast<int>(len);
    int n = 0;
    if (EVP_CipherUpdate(ctx, out, &n, in, piece) != 1) return false;
    in += piece;
    out += piece;
    len -= piece;
  }
  return true;
}

}  // namespace

AesGcm::AesGcm(const Key& key) : enc_(make_ctx(key, true)), dec_(make_ctx(key, false)) {}

AesGcm::~AesGcm() {
  EVP_CIPHER_CTX_free(enc_);
  EVP_CIPHER_CTX_free(dec_);
}

void AesGcm::seal(const Nonce& nonce, const void* aad, size_t aad_len, const void* in, size_t len,
                  void* out, uint8_t tag[kTagSize]) {
  int n = 0;
  bool ok = EVP_CipherInit_ex(enc_, nullptr, nullptr, nullptr, nonce.data(), 1) == 1 &&
            (aad_len == 0 || EVP_CipherUpdate(enc_, nullptr, &n, static_cast<const uint8_t*>(aad),
                                              static_cast<int>(aad_len)) == 1) &&
            update(enc_, static_cast<const uint8_t*>(in), len, static_cast<uint8_t*>(out)) &&
            EVP_CipherFinal_ex(enc_, nullptr, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(enc_, EVP_CTRL_GCM_GET_TAG, kTagSize, tag) == 1;
  if (!ok) throw Error(ErrorKind::kIO, "OpenSSL: AES-256-GCM encryption failed");
}

bool AesGcm::open(const Nonce& nonce, const void* aad, size_t aad_len, const void* in, size_t len,
                  void* out, const uint8_t tag[kTagSize]) {
  int n = 0;
  if (EVP_CipherInit_ex(dec_, nullptr, nullptr, nullptr, nonce.data(), 0) != 1) return false;
  if (aad_len && EVP_CipherUpdate(dec_, nullptr, &n, static_cast<const uint8_t*>(aad),
                                  static_cast<int>(aad_len)) != 1) {
    return false;
  }
  if (!update(dec_, static_cast<const uint8_t*>(in), len, static_cast<uint8_t*>(out))) return false;
  if (EVP_CIPHER_CTX_ctrl(dec_, EVP_CTRL_GCM_SET_TAG, kTagSize, const_cast<uint8_t*>(tag)) != 1) {
    return false;
  }
  return EVP_CipherFinal_ex(dec_, nullptr, &n) == 1;
}

}  // namespace ferry::codec
