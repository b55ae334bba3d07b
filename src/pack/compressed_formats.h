// Files compressed already, known by their first bytes or by bytes that look random.
// pack does not try to compress them: the trial (up to 64 KiB of zstd) would only say
// no, and on a typical 110 KB JPEG it costs about a fifth of all the CPU the file takes;
// on a 6 KiB file of random bytes, as much as its SHA-256.
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

// Order-0 entropy, in bits per byte, of up to 1 KiB of `data`: all of it when shorter,
// else 16 pieces of 64 bytes spread evenly over it.
double sampled_byte_entropy(const uint8_t* data, size_t len);

// Above this sampled entropy zstd cannot pay (shrink a sample to nine tenths) by coding
// bytes alone, which would need about 7.2 bits a byte or less; only repeats could, and
// data this random seldom repeats. Random bytes measure 7.7-7.9 in 1 KiB, text 4-5,
// 16-bit audio and float arrays about 7.0-7.3.
constexpr double kRandomLookingEntropy = 7.5;

// Whether to store `data` (a file's start: the whole file, or the trial's sample) as it
// is without a trial compression: a known compressed format, or random-looking bytes.
// A wrong "yes" costs one file's compression, never its contents.
bool looks_compressed(const uint8_t* data, size_t len);

}  // namespace ferry::pack
