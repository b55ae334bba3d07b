// Cauchy Reed–Solomon over GF(2^8) through ISA-L: k data fragments, m parity
// fragments, any k of the k+m rebuild the rest. The Cauchy matrix keeps every k×k
// sub-matrix invertible, so every erasure pattern of up to m fragments decodes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace ferry::codec {

class ReedSolomon {
 public:
  static constexpr int kMaxFragments = 64;  // n = k + m; bounded so patterns fit a 64-bit mask

  ReedSolomon(int k, int m);

  int k() const { return k_; }
  int m() const { return m_; }

  // Computes the m parity fragments from the k data fragments, each `len` bytes.
  // Thread-safe.
  void encode(size_t len, const uint8_t* const* data, uint8_t* const* parity) const;

  // `fragments` holds n pointers to `len`-byte buffers in fragment order (data, then
  // parity); `present` is a bit mask of those holding good bytes. Rebuilds every
  // fragment not in `present` in place. Needs at least k present; returns false otherwise.
  // Thread-safe; decode tables are cached per erasure pattern.
  bool reconstruct(size_t len, uint8_t* const* fragments, uint64_t present) const;

 private:
  struct DecodePlan {
    std::vector<int> sources;  // the k fragments read
    std::vector<int> targets;  // the fragments rebuilt
    std::vector<uint8_t> tables;
  };
  std::shared_ptr<const DecodePlan> plan_for(uint64_t present) const;

  int k_, m_;
  std::vector<uint8_t> matrix_;        // n × k encoding matrix, identity on top
  std::vector<uint8_t> encode_tables_;  // ec_init_tables of the m parity rows
  mutable std::mutex cache_mutex_;
  mutable std::map<uint64_t, std::shared_ptr<const DecodePlan>> cache_;
};

}  // namespace ferry::codec
