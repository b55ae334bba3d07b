// CRC32C (Castagnoli) through ISA-L. Guards every stored block and label against
// accidental damage; it is not a defence against an attacker (the AEAD is).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::codec {

// The standard CRC32C of `len` bytes: crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t len);

}  // namespace ferry::codec
