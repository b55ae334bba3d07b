#include "codec/erasure.h"

#include <isa-l/erasure_code.h>

#include <string>

#include "codec/vector_state.h"
#include "ferry/error.h"

namespace ferry::codec {

ReedSolomon::ReedSolomon(int k, int m) : k_(k), m_(m) {
  if (k < 1 || m < 0 || k + m > kMaxFragments) {
    throw Error(ErrorKind::kInvalidArgument,
                "unsupported layout " + std::to_string(k) + "+" + std::to_string(m) +
                    ": need at least one data drive and at most " +
                    std::to_string(kMaxFragments) + " drives in all");
  }
  const int n = k + m;
  matrix_.resize(static_cast<size_t>(n) * k);
  gf_gen_cauchy1_matrix(matrix_.data(), n, k);
  encode_tables_.resize(static_cast<size_t>(32) * k * (m ? m : 1));
  if (m) ec_init_tables(k, m, &matrix_[static_cast<size_t>(k) * k], encode_tables_.data());
}

void ReedSolomon::encode(size_t len, const uint8_t* const* data, uint8_t* const* parity) const {
  if (!m_ || !len) return;
  ec_encode_data(static_cast<int>(len), k_, m_, const_cast<uint8_t*>(encode_tables_.data()),
                 const_cast<uint8_t**>(data), const_cast<uint8_t**>(parity));
  clear_upper_vector_state();
}

std::shared_ptr<const ReedSolomon::DecodePlan> ReedSolomon::plan_for(uint64_t present) const {
  {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(present);
    if (it != cache_.end()) return it->second;
  }
  const int n = k_ + m_;
  auto plan = std::make_shared<DecodePlan>();
  for (int i = 0; i < n && static_cast<int>(plan->sources.size()) < k_; ++i) {
    if (present >> i & 1) plan->sources.push_back(i);
  }
  for (int i = 0; i < n; ++i) {
    if (!(present >> i & 1)) plan->targets.push_back(i);
  }
  // Invert the rows of the chosen sources: inverse × sources = data fragments.
  std::vector<uint8_t> chosen(static_cast<size_t>(k_) * k_), inverse(chosen.size());
  for (int r = 0; r < k_; ++r) {
    for (int c = 0; c < k_; ++c) chosen[r * k_ + c] = matrix_[plan->sources[r] * k_ + c];
  }
  if (gf_invert_matrix(chosen.data(), inverse.data(), k_) != 0) {
    throw Error(ErrorKind::kCorruption, "Reed–Solomon: singular decode matrix");
  }
  // One row per target: a data row of the inverse, or a parity row pushed through it.
  std::vector<uint8_t> rows(static_cast<size_t>(plan->targets.size()) * k_);
  for (size_t t = 0; t < plan->targets.size(); ++t) {
    int target = plan->targets[t];
    for (int c = 0; c < k_; ++c) {
      uint8_t v = 0;
      if (target < k_) {
        v = inverse[target * k_ + c];
      } else {
        for (int j = 0; j < k_; ++j) v ^= gf_mul(matrix_[target * k_ + j], inverse[j * k_ + c]);
      }
      rows[t * k_ + c] = v;
    }
  }
  plan->tables.resize(static_cast<size_t>(32) * k_ * plan->targets.size());
  ec_init_tables(k_, static_cast<int>(plan->targets.size()), rows.data(), plan->tables.data());
  std::lock_guard lock(cache_mutex_);
  return cache_.emplace(present, std::move(plan)).first->second;
}

bool ReedSolomon::reconstruct(size_t len, uint8_t* const* fragments, uint64_t present) const {
  const int n = k_ + m_;
  const uint64_t all = n == 64 ? ~0ull : ((1ull << n) - 1);
  present &= all;
  if (present == all) return true;
  if (__builtin_popcountll(present) < k_) return false;
  auto plan = plan_for(present);
  if (!len) return true;
  std::vector<uint8_t*> sources, targets;
  for (int s : plan->sources) sources.push_back(fragments[s]);
  for (int t : plan->targets) targets.push_back(fragments[t]);
  ec_encode_data(static_cast<int>(len), k_, static_cast<int>(targets.size()),
                 const_cast<uint8_t*>(plan->tables.data()), sources.data(), targets.data());
  clear_upper_vector_state();
  return true;
}

}  // namespace ferry::codec
