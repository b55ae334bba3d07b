// zstd, one independent frame per call, so any frame of a file can be read alone.
#pragma once

#include <cstddef>
#include <cstdint>

typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;

namespace ferry::codec {

size_t zstd_bound(size_t len);

// Not thread-safe; one per thread.
class ZstdCompressor {
 public:
  explicit ZstdCompressor(int level = 1);
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;
  // Returns the compressed size; `out` must hold zstd_bound(len) bytes.
  size_t compress(const void* in, size_t len, void* out, size_t out_capacity);

 private:
  ZSTD_CCtx* ctx_;
  int level_;
};

class ZstdDecompressor {
 public:
  ZstdDecompressor();
  ~ZstdDecompressor();
  ZstdDecompressor(const ZstdDecompressor&) = delete;
  ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;
  // Returns the decompressed size; throws kCorruption when the frame is not valid.
  size_t decompress(const void* in, size_t len, void* out, size_t out_capacity);

 private:
  ZSTD_DCtx* ctx_;
};

}  // namespace ferry::codec
