// The constants of on-drive format version 1: every magic, name, size and string that
// the format fixes lives here. Each is specified in docs/FORMAT.md, in the section named
// above it; change one only together with the document and the version.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::format {

constexpr uint16_t kFormatVersion = 1;  // FORMAT.md §Versioning

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
