// The constants of on-drive format version 2: every magic, name, size and string that
// the format fixes lives here. Each is specified in docs/FORMAT.md, in the section named
// above it; change one only together with the document and the version.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::format {

constexpr uint16_t kFormatVersion = 2;  // FORMAT.md §Versioning

// FORMAT.md §Drive layout
constexpr const char* kShipmentDirPrefix = "ferry-";  // + 32 hex digits of the shipment id
constexpr const char* kLabelFile = "label.json";
constexpr const char* kNoteFile = "README.txt";
constexpr const char* kCatalogFile = "catalog.ferry";
constexpr const char* kSegmentDir = "segments";
constexpr const char* kLockFile = "lock";
constexpr const char* kCheckpointPrefix = "checkpoint-";  // + sequence + ".ferry"

// FORMAT.md §Blocks
constexpr char kBlockMagic[4] = {'F', 'R', 'Y', 'B'};
constexpr size_t kBlockHeaderSize = 64;
constexpr size_t kUnitOverhead = 12 + 16;  // nonce in front, GCM tag behind the ciphertext
constexpr uint32_t kDefaultBlockSize = 1u << 20;
constexpr uint32_t kMinBlockSize = 4096;
constexpr uint32_t kMaxBlockSize = 64u << 20;

// SECURITY.md §Resource bounds: what a drive may make ferry read or spend.
constexpr uint64_t kMaxLabelBytes = 64u << 10;  // labels ferry writes are about 1 KiB
constexpr int kMaxLabelDepth = 8;               // nesting of arrays and objects
constexpr size_t kMaxKeyWraps = 16;             // wraps a label may hold
constexpr size_t kMaxPassphraseWrapsTried = 2;  // scrypt runs per label, at most
// scrypt as a label may ask for it: memory 128 * r * 2^log2_n bytes at most 256 MiB
// (ferry's default is 128 MiB), and p, which multiplies the time, at most 2.
constexpr uint64_t kMinScryptLog2N = 10;
constexpr uint64_t kMaxScryptMemory = 256u << 20;
constexpr uint32_t kMaxScryptR = 32;
constexpr uint32_t kMaxScryptP = 2;
// The most stripes a label may claim: 2^40 stripes of the smallest block are far beyond
// any drive, and keep stripe * k * ... and every byte count within 64 bits.
constexpr uint64_t kMaxStripes = 1ull << 40;
// A stripe's blocks, N x block size, at most: what one reading thread holds in memory.
constexpr uint64_t kMaxStripeBytes = 1ull << 30;

// FORMAT.md §Data units: the first 4 bytes of every data unit's AAD.
constexpr char kUnitAadMagic[4] = {'F', 'R', 'Y', 'U'};

// FORMAT.md §Catalog file
constexpr char kCatalogMagic[4] = {'F', 'R', 'Y', 'C'};
constexpr size_t kCatalogHeaderSize = 48;
constexpr uint32_t kCatalogChunkSize = 1u << 20;

// FORMAT.md §Compression
constexpr uint32_t kCompressionFrameSize = 1u << 20;

// FORMAT.md §Keys: HKDF "info" strings naming each sub-key, the start of a key wrap's
// AAD, and the first word of a key file.
constexpr const char* kBlockKeyInfo = "ferry v1 block key";
constexpr const char* kCatalogKeyInfo = "ferry v1 catalog key";
constexpr const char* kWrapKeyInfo = "ferry v1 key-file wrap";
constexpr const char* kWrapAadPrefix = "ferry v1 wrap ";
constexpr const char* kKeyFileTag = "ferry-key-1";

}  // namespace ferry::format
