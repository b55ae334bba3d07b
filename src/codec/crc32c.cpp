#include "codec/crc32c.h"

#include <isa-l/crc.h>

#include "codec/vector_state.h"

namespace ferry::codec {

uint32_t crc32c(const void* data, size_t len) {
  // ISA-L's crc32_iscsi neither pre- nor post-inverts; the standard CRC32C does both.
  const uint32_t crc = crc32_iscsi(static_cast<unsigned char*>(const_cast<void*>(data)),
                                   static_cast<int>(len), 0xFFFFFFFFu);
  clear_upper_vector_state();
  return ~crc;
}

}  // namespace ferry::codec
