#include "pack/compressed_formats.h"

#include <array>
#include <cmath>
#include <cstring>
#include <string_view>

namespace ferry::pack {
namespace {

// A signature: the file starts with `start`, and has `then` at byte `offset` (when
// given). Each is long or specific enough that text or tabular data does not begin that
// way by chance; a wrong guess would cost only the compression of one file, never its
// contents.
struct Signature {
  std::string_view start;
  size_t offset = 0;
  std::string_view then = {};
};

using namespace std::string_view_literals;

constexpr Signature kSignatures[] = {
    {"\xFF\xD8\xFF"sv},                // JPEG
    {"\x89PNG\r\n\x1A\n"sv},           // PNG
    {"GIF87a"sv},                      // GIF
    {"GIF89a"sv},                      // GIF
    {"RIFF"sv, 8, "WEBP"sv},           // WebP
    {""sv, 4, "ftyp"sv},               // ISO media: MP4, MOV, HEIC, AVIF, M4A
    {"\x1A\x45\xDF\xA3"sv},            // Matroska, WebM
    {"fLaC"sv},                        // FLAC
    {"OggS\x00"sv},                    // Ogg: Vorbis, Opus, Theora
    {"ID3\x02"sv},                     // MP3 behind an ID3v2.2 tag
    {"ID3\x03"sv},                     // ... ID3v2.3
    {"ID3\x04"sv},                     // ... ID3v2.4
    {"\x1F\x8B\x08"sv},                // gzip
    {"\x28\xB5\x2F\xFD"sv},            // zstd
    {"\xFD" "7zXZ\x00"sv},             // xz
    {"BZh"sv, 4, "1AY&SY"sv},          // bzip2: level digit, then the block magic
    {"\x04\x22\x4D\x18"sv},            // LZ4 frame
    {"7z\xBC\xAF\x27\x1C"sv},          // 7-Zip
};

bool has(const uint8_t* head, size_t len, size_t offset, std::string_view bytes) {
  if (bytes.empty()) return true;  // an empty view's data() may be null, which memcmp must not get
  return len >= offset + bytes.size() && std::memcmp(head + offset, bytes.data(), bytes.size()) == 0;
}

constexpr size_t kEntropySample = 1024;
constexpr size_t kEntropyPiece = 64;

// c * log2(c) for every count a sample can reach, so the entropy costs no logarithm.
const std::array<double, kEntropySample + 1>& count_log_counts() {
  static const auto table = [] {
    std::array<double, kEntropySample + 1> t{};
    for (size_t c = 1; c <= kEntropySample; ++c) {
      t[c] = static_cast<double>(c) * std::log2(static_cast<double>(c));
    }
    return t;
  }();
  return table;
}

}  // namespace

bool is_compressed_format(const uint8_t* head, size_t len) {
  for (const Signature& s : kSignatures) {
    if (has(head, len, 0, s.start) && has(head, len, s.offset, s.then)) return true;
  }
  return false;
}

double sampled_byte_entropy(const uint8_t* data, size_t len) {
  if (len == 0) return 0;
  uint16_t counts[256] = {};
  size_t sampled = 0;
  if (len <= kEntropySample) {
    for (size_t i = 0; i < len; ++i) ++counts[data[i]];
    sampled = len;
  } else {
    constexpr size_t pieces = kEntropySample / kEntropyPiece;
    const size_t stride = (len - kEntropyPiece) / (pieces - 1);
    for (size_t p = 0; p < pieces; ++p) {
      const uint8_t* piece = data + p * stride;
      for (size_t i = 0; i < kEntropyPiece; ++i) ++counts[piece[i]];
    }
    sampled = kEntropySample;
  }
  // H = log2(n) - sum(c * log2 c) / n over the byte values' counts c.
  const auto& table = count_log_counts();
  double sum = 0;
  for (uint16_t c : counts) sum += table[c];
  const double n = static_cast<double>(sampled);
  return std::log2(n) - sum / n;
}

bool looks_compressed(const uint8_t* data, size_t len) {
  return is_compressed_format(data, len) ||
         sampled_byte_entropy(data, len) >= kRandomLookingEntropy;
}

}  // namespace ferry::pack
