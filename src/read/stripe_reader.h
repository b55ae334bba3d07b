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
#include "io/file.h"

namespace ferry::read {

struct StripeResult {
  std::vector<bool> unit_ok;  // per data unit: plaintext is authentic
  uint32_t rebuilt = 0;       // data units rebuilt from parity
  std::vector<std::string> problems;  // damaged or missing blocks, for the report
};

// Per-thread buffers and cipher contexts.
class StripeScratch {
 public:
  StripeScratch(const format::Layout& layout, const codec::Key& block_key);
  std::vector<uint8_t> records;  // n records
  codec::AesGcm aead;
};

class StripeReader {
 public:
  // `folders` is indexed by slot; an empty string is a missing drive. Thread-safe.
  StripeReader(const format::Label& label, std::vector<std::string> folders);

  // Fills `plain` (k × unit_plain bytes) with stripe `stripe`'s plaintext.
  StripeResult read(uint64_t stripe, StripeScratch& scratch, uint8_t* plain) const;

  const format::Layout& layout() const { return label_.layout; }

 private:
  // Reads and checks the block of `member`; false (with a reason) if missing or damaged.
  bool fetch(uint64_t stripe, uint32_t member, uint8_t* record, std::string* problem) const;
  std::shared_ptr<io::File> segment(uint32_t slot, uint64_t index) const;

  format::Label label_;
  std::vector<std::string> folders_;
  codec::ReedSolomon rs_;
  mutable std::mutex mutex_;
  mutable std::map<std::pair<uint32_t, uint64_t>, std::shared_ptr<io::File>> segments_;
};

}  // namespace ferry::read
