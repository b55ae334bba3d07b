// Which pack attempt sealed which stripes. A pack resumed from a checkpoint rewrites the
// stripes from the checkpoint on under a new attempt number, so the attempts form runs
// of stripes. The list is kept in the catalog (meta key `attempts`), where the key
// protects it: a reader opens each unit with the attempt recorded for its stripe, so a
// block replayed from an earlier attempt is damage, never data. FORMAT.md §Catalog.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ferry::format {

class PackAttempts {
 public:
  PackAttempts() = default;
  // Only attempt `attempt` sealed every stripe: what a test or a one-attempt pack has.
  explicit PackAttempts(uint32_t attempt) : runs_{{0, attempt}} {}

  // Attempt `attempt` writes the stripes from `first_stripe` on; runs that started at
  // or after it are forgotten (their stripes are written again).
  void begin(uint64_t first_stripe, uint32_t attempt);
  // The attempt that sealed `stripe`; 0 when none is recorded.
  uint32_t of(uint64_t stripe) const;
  bool empty() const { return runs_.empty(); }
  size_t runs() const { return runs_.size(); }

  // "0:1,4096:2": first stripe and attempt of each run, in order.
  std::string to_string() const;
  // Throws kCorruption naming `where` unless `text` is a list to_string() could write
  // (runs from stripe 0, stripes and attempts rising, at most 65536 runs).
  static PackAttempts parse(const std::string& text, const std::string& where);

 private:
  std::vector<std::pair<uint64_t, uint32_t>> runs_;  // (first stripe, attempt), rising
};

}  // namespace ferry::format
