// Files whose format is compressed already, known by their first bytes. pack does not
// try to compress them: the trial (up to 64 KiB of zstd) would only say no, and on a
// typical 110 KB JPEG it costs about a fifth of all the CPU the file takes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::pack {

// How many leading bytes the check looks at, at most.
constexpr size_t kFormatHeadSize = 16;

// True when `head` (the first `len` bytes of a file) starts the way a JPEG, PNG, GIF,
// WebP, MP4/MOV/HEIC/AVIF, Matroska/WebM, FLAC, Ogg or ID3-tagged MP3 file, or a gzip,
// zstd, xz, bzip2, LZ4 or 7-Zip archive does. ZIP is not among them: NumPy's .npz and
// many other ZIP files are stored uncompressed.
bool is_compressed_format(const uint8_t* head, size_t len);

}  // namespace ferry::pack
