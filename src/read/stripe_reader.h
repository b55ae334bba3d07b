// The blocks of a shipment on its drives: fetches one member of a stripe from the drive
// of its slot and checks its header, position and CRC. Rebuilding and opening data units
// is UnitFetcher's (unit_fetcher.h), on top of this. Corruption is never returned as
// data: a unit that cannot be recovered is flagged, not filled with guesses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codec/aead.h"
#include "codec/erasure.h"
#include "format/attempts.h"
#include "format/label.h"
#include "format/stripe_format.h"
#include "ferry/read_env.h"
#include "util/no_init_allocator.h"

namespace ferry::read {

using format::BlockStatus;

struct StripeResult {
  std::vector<bool> unit_ok;  // per data unit: plaintext is authentic
  uint32_t rebuilt = 0;       // data units rebuilt from parity
  uint32_t unauthentic = 0;   // blocks whose CRC was right but whose unit failed authentication
  std::vector<std::string> problems;  // damaged or missing blocks, for the report
};

class StripeReader {
 public:
  // `folders` is indexed by slot; an empty string is a missing drive. `attempts`, from
  // the authenticated catalog, says which pack attempt sealed each stripe; opening units
  // needs it, fetch() does not. Thread-safe.
  StripeReader(const format::Label& label, std::vector<std::string> folders,
               const io::ReadEnv& env = io::ReadEnv::posix(), format::PackAttempts attempts = {});

  const format::Layout& layout() const { return label_.layout; }

  // Reads the block of `member` of `stripe` into `record` and checks header, position
  // and CRC. Anything but kOk comes with a reason for people in `problem`.
  BlockStatus fetch(uint64_t stripe, uint32_t member, uint8_t* record, std::string* problem) const;

  const codec::ReedSolomon& erasure() const { return rs_; }
  // Whether the drive of `slot` was given.
  bool has_slot(uint32_t slot) const { return !folders_[slot].empty(); }
  const format::StripeFormat& stripe_format() const { return format_; }
  const format::PackAttempts& attempts() const { return attempts_; }

 private:
  std::shared_ptr<io::RandomAccessFile> segment(uint32_t slot, uint64_t index) const;

  format::Label label_;
  std::vector<std::string> folders_;
  const io::ReadEnv& env_;
  format::PackAttempts attempts_;
  format::StripeFormat format_;
  codec::ReedSolomon rs_;
  mutable std::mutex mutex_;
  mutable std::map<std::pair<uint32_t, uint64_t>, std::shared_ptr<io::RandomAccessFile>> segments_;
};

}  // namespace ferry::read
