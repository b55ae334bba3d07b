// Fuzzes the block header decoder: any 64 bytes decode or are rejected with a reason,
// and a decoded header encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "format/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t in[ferry::format::kBlockHeaderSize] = {};
  std::memcpy(in, data, size < sizeof in ? size : sizeof in);
  std::string why;
  auto header = ferry::format::decode_block_header(in, &why);
  if (header) {
    uint8_t out[ferry::format::kBlockHeaderSize];
    ferry::format::encode_block_header(*header, out);
    // Reserved bytes are not kept, so compare what the header carries.
    auto again = ferry::format::decode_block_header(out, &why);
    if (!again || again->stripe != header->stripe || again->slot != header->slot ||
        again->member != header->member || again->payload_crc != header->payload_crc) {
      std::abort();
    }
  } else if (why.empty()) {
    std::abort();  // a rejection must say why
  }
  return 0;
}
