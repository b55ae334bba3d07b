#include "codec/zstd.h"

#include <zstd.h>

#include <string>

#include "ferry/error.h"

namespace ferry::codec {

size_t zstd_bound(size_t len) { return ZSTD_compressBound(len); }

ZstdCompressor::ZstdCompressor(int level) : ctx_(ZSTD_createCCtx()), level_(level) {
  if (!ctx_) throw Error(ErrorKind::kIO, "zstd: out of memory");
}
ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(ctx_); }

size_t ZstdCompressor::compress(const void* in, size_t len, void* out, size_t out_capacity) {
  size_t n = ZSTD_compressCCtx(ctx_, out, out_capacity, in, len, level_);
  if (ZSTD_isError(n)) throw Error(ErrorKind::kIO, std::string("zstd: ") + ZSTD_getErrorName(n));
  return n;
}

ZstdDecompressor::ZstdDecompressor() : ctx_(ZSTD_createDCtx()) {
  if (!ctx_) throw Error(ErrorKind::kIO, "zstd: out of memory");
}
ZstdDecompressor::~ZstdDecompressor() { ZSTD_freeDCtx(ctx_); }

size_t ZstdDecompressor::decompress(const void* in, size_t len, void* out, size_t out_capacity) {
  size_t n = ZSTD_decompressDCtx(ctx_, out, out_capacity, in, len);
  if (ZSTD_isError(n)) {
    throw Error(ErrorKind::kCorruption, std::string("zstd frame: ") + ZSTD_getErrorName(n));
  }
  return n;
}

}  // namespace ferry::codec
