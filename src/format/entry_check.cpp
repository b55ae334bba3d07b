#include "format/entry_check.h"

#include "ferry/error.h"
#include "util/display.h"

namespace ferry::format {

void check_extent(const Entry& e, uint64_t stream_bytes) {
  if (e.kind != EntryKind::kFile) return;
  auto refuse = [&](const std::string& why) {
    return Error(ErrorKind::kCorruption, "the catalog entry " + util::shown(e.path) + " " + why +
                                             "; the catalog was written wrongly or by someone "
                                             "else holding the key. Nothing was written");
  };
  if (e.offset > stream_bytes || e.stored > stream_bytes - e.offset) {
    throw refuse("claims bytes " + std::to_string(e.offset) + "+" + std::to_string(e.stored) +
                 " beyond the data stream's " + std::to_string(stream_bytes));
  }
  if (e.encoding == Encoding::kZstdFrames) {
    uint64_t total = 0;
    for (uint32_t f : e.frames) total += f;
    if (total != e.stored) throw refuse("has frames that do not add up to its stored bytes");
  }
}

}  // namespace ferry::format
