// Reads one stripe back: fetches blocks from the present drives, checks each block's
// header, position and CRC, rebuilds what is missing or damaged from parity, and
// decrypts and authenticates every data unit. Corruption is never returned as data:
// a unit that cannot be recovered is flagged, not filled with guesses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codec/aead.h"
#include "codec/erasure.h"
#include "format/label.h"
#include "ferry/read_env.h"
#include "util/no_init_allocator.h"

namespace ferry::read {

// What a block check found, for verify's per-drive counts.
enum class BlockStatus { kOk, kMissing, kTruncated, kDamaged, kMisplaced, kForeign, kUnreadable };

struct StripeResult {
  std::vector<bool> unit_ok;  // per data unit: plaintext is authentic
  uint32_t rebuilt = 0;       // data units rebuilt from parity
  uint32_t unauthentic = 0;   // blocks whose CRC was right but whose unit failed authentication
  std::vector<std::string> problems;  // damaged or missing blocks, for the report
};

// Per-thread buffers and cipher contexts.
class StripeScratch {
 public:
  StripeScratch(const format::Layout& layout, const codec::Key& block_key);
  util::ByteBuffer records;  // n records
  codec::AesGcm aead;
};

class StripeReader {
 public:
  // `folders` is indexed by slot; an empty string is a missing drive. Thread-safe.
  StripeReader(const format::Label& label, std::vector<std::string> folders,
               const io::ReadEnv& env = io::ReadEnv::posix());

  // Fills `plain` (k × unit_plain bytes) with stripe `stripe`'s plaintext.
  StripeResult read(uint64_t stripe, StripeScratch& scratch, uint8_t* plain) const;

  const format::Layout& layout() const { return label_.layout; }

  // Reads the block of `member` of `stripe` into `record` and checks header, position
  // and CRC. Anything but kOk comes with a reason for people in `problem`.
  BlockStatus fetch(uint64_t stripe, uint32_t member, uint8_t* record, std::string* problem) const;

  const codec::ReedSolomon& erasure() const { return rs_; }
  // Whether the drive of `slot` was given.
  bool has_slot(uint32_t slot) const { return !folders_[slot].empty(); }

 private:
  std::shared_ptr<io::RandomAccessFile> segment(uint32_t slot, uint64_t index) const;

  format::Label label_;
  std::vector<std::string> folders_;
  const io::ReadEnv& env_;
  codec::ReedSolomon rs_;
  mutable std::mutex mutex_;
  mutable std::map<std::pair<uint32_t, uint64_t>, std::shared_ptr<io::RandomAccessFile>> segments_;
};

}  // namespace ferry::read
