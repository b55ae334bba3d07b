#include "read/stripe_reader.h"

#include <cstring>

#include "codec/crc32c.h"
#include "format/block.h"
#include "format/drive_folder.h"
#include "ferry/error.h"

namespace ferry::read {

StripeReader::StripeReader(const format::Label& label, std::vector<std::string> folders,
                           const io::ReadEnv& env, format::PackAttempts attempts)
    : label_(label),
      folders_(std::move(folders)),
      env_(env),
      attempts_(std::move(attempts)),
      format_(label.shipment, label.layout),
      rs_(static_cast<int>(label.layout.k), static_cast<int>(label.layout.m)) {}

std::shared_ptr<io::RandomAccessFile> StripeReader::segment(uint32_t slot, uint64_t index) const {
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(slot, index);
  auto it = segments_.find(key);
  if (it != segments_.end()) return it->second;
  std::shared_ptr<io::RandomAccessFile> file;
  try {
    file = env_.open(format::segment_path(folders_[slot], index));
  } catch (const Error&) {
    // Missing or unreadable: remembered as absent, reported per block.
  }
  segments_[key] = file;
  return file;
}

BlockStatus StripeReader::fetch(uint64_t stripe, uint32_t member, uint8_t* record,
                                std::string* problem) const {
  const format::Layout& layout = label_.layout;
  uint32_t slot = layout.slot_of(stripe, member);
  std::string where = "slot " + std::to_string(slot) + " stripe " + std::to_string(stripe);
  if (folders_[slot].empty()) {
    *problem = "slot " + std::to_string(slot) + " missing";
    return BlockStatus::kMissing;
  }
  auto file = segment(slot, layout.segment_of(stripe));
  if (!file) {
    *problem = where + ": segment file missing or unreadable";
    return BlockStatus::kMissing;
  }
  size_t got = 0;
  try {
    got = file->pread(record, layout.record_size(), layout.offset_in_segment(stripe));
  } catch (const Error& e) {
    *problem = where + ": " + e.what();
    return BlockStatus::kUnreadable;
  }
  if (got == 0) {
    *problem = where + ": block missing (segment too short)";
    return BlockStatus::kMissing;
  }
  if (got != layout.record_size()) {
    *problem = where + ": block truncated";
    return BlockStatus::kTruncated;
  }
  return format_.check_record(stripe, member, record, problem);
}

}  // namespace ferry::read
