#include "read/stripe_reader.h"

#include <cstring>

#include "codec/crc32c.h"
#include "format/block.h"
#include "format/drive_folder.h"
#include "ferry/error.h"

namespace ferry::read {

StripeScratch::StripeScratch(const format::Layout& layout, const codec::Key& block_key)
    : records(layout.n() * layout.record_size()), aead(block_key) {}

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

StripeResult StripeReader::read(uint64_t stripe, StripeScratch& scratch, uint8_t* plain) const {
  const format::Layout& layout = label_.layout;
  const uint32_t k = layout.k, n = layout.n(), unit_plain = layout.unit_plain();
  const size_t record = layout.record_size();
  StripeResult result;
  result.unit_ok.assign(k, false);
  uint64_t good = 0;     // members whose block passed the checks
  std::vector<uint8_t*> payloads(n);
  for (uint32_t i = 0; i < n; ++i) {
    payloads[i] = scratch.records.data() + i * record + format::kBlockHeaderSize;
  }

  auto try_fetch = [&](uint32_t member) {
    std::string problem;
    if (fetch(stripe, member, scratch.records.data() + member * record, &problem) ==
        BlockStatus::kOk) {
      good |= 1ull << member;
    } else {
      result.problems.push_back(problem);
    }
  };
  const uint32_t attempt = attempts_.of(stripe);
  auto open_unit = [&](uint32_t j) {
    return format_.open_unit(scratch.aead, attempt, stripe, j, payloads[j],
                             plain + static_cast<size_t>(j) * unit_plain);
  };

  // Data blocks first: with every drive present and intact, parity is never read.
  for (uint32_t j = 0; j < k; ++j) try_fetch(j);
  for (uint32_t j = 0; j < k; ++j) {
    if (good >> j & 1) {
      if (open_unit(j)) {
        result.unit_ok[j] = true;
      } else {
        // Right CRC but wrong authentication: deliberately altered. Treat as lost.
        good &= ~(1ull << j);
        ++result.unauthentic;
        result.problems.push_back("stripe " + std::to_string(stripe) + " unit " +
                                  std::to_string(j) + " fails authentication");
      }
    }
  }
  uint32_t missing = 0;
  for (uint32_t j = 0; j < k; ++j) missing += !result.unit_ok[j];
  if (missing == 0) return result;

  for (uint32_t i = k; i < n && static_cast<uint32_t>(__builtin_popcountll(good)) < k; ++i) {
    try_fetch(i);
  }
  if (static_cast<uint32_t>(__builtin_popcountll(good)) < k) return result;  // beyond repair
  if (!rs_.reconstruct(layout.block_size, payloads.data(), good)) return result;
  for (uint32_t j = 0; j < k; ++j) {
    if (result.unit_ok[j]) continue;
    if (open_unit(j)) {
      result.unit_ok[j] = true;
      ++result.rebuilt;
    } else {
      result.problems.push_back("stripe " + std::to_string(stripe) + " unit " +
                                std::to_string(j) + " could not be rebuilt");
    }
  }
  return result;
}

}  // namespace ferry::read
