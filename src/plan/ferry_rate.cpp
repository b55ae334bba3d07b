#include "plan/ferry_rate.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "codec/aead.h"
#include "codec/crc32c.h"
#include "codec/erasure.h"
#include "codec/sha256.h"
#include "format/constants.h"
#include "plan/units.h"
#include "util/threads.h"

namespace ferry::plan {

double measure_ns_per_byte(int data_drives, int parity_drives, double seconds) {
  int k = data_drives, m = parity_drives;
  if (k < 1 || m < 0 || k + m > codec::ReedSolomon::kMaxFragments) k = 3, m = 1;
  const size_t block = format::kDefaultBlockSize;
  const size_t unit = block - format::kUnitOverhead;
  // One stripe: k units of source bytes in, n blocks out. Buffers are reused, so the
  // copies stand for the kernel's reads and writes on warm pages.
  std::vector<uint8_t> source(k * unit, 0x5a), data(k * block), parity(m * block), out(block);
  std::vector<uint8_t*> data_ptrs, parity_ptrs;
  for (int i = 0; i < k; ++i) data_ptrs.push_back(data.data() + i * block);
  for (int i = 0; i < m; ++i) parity_ptrs.push_back(parity.data() + i * block);

  codec::Key key{};
  codec::AesGcm aead(key);
  codec::Nonce nonce{};
  uint8_t aad[40] = {};
  std::optional<codec::ReedSolomon> rs;
  if (m > 0) rs.emplace(k, m);
  codec::Sha256 file_hash;
  uint32_t crc = 0;

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  uint64_t bytes = 0;
  double elapsed = 0;
  for (uint64_t stripe = 0; elapsed < seconds; ++stripe) {
    for (int i = 0; i < k; ++i) {
      uint8_t* in = source.data() + i * unit;
      uint8_t* payload = data_ptrs[i];
      std::memcpy(out.data(), in, unit);  // the file's bytes read into the stripe
      file_hash.update(out.data(), unit);
      std::memcpy(nonce.data() + 4, &stripe, sizeof stripe);
      nonce[0] = static_cast<uint8_t>(i);
      aead.seal(nonce, aad, sizeof aad, out.data(), unit, payload + 12,
                payload + 12 + unit);
    }
    if (rs) rs->encode(block, data_ptrs.data(), parity_ptrs.data());
    for (int i = 0; i < k; ++i) {
      crc ^= codec::crc32c(data_ptrs[i], block);
      std::memcpy(out.data(), data_ptrs[i], block);  // the block written to its drive
    }
    for (int i = 0; i < m; ++i) {
      crc ^= codec::crc32c(parity_ptrs[i], block);
      std::memcpy(out.data(), parity_ptrs[i], block);
    }
    bytes += k * unit;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  // Keep the work from being optimised away.
  if (crc == 0x12345678 && file_hash.finish()[0] == 0) bytes += 1;
  return elapsed * 1e9 / static_cast<double>(bytes);
}

FerryRate ferry_rate(const std::optional<std::string>& given, int data_drives,
                     int parity_drives) {
  FerryRate r;
  if (given) {
    r.bytes_per_second = parse_rate(*given);
    return r;
  }
  r.measured = true;
  r.cores = util::usable_cores();
  double ns = measure_ns_per_byte(data_drives, parity_drives, 0.2);
  // Three significant digits: a measurement of 0.2 s is no finer, and the plan shows it.
  double rate = 1e9 / ns * r.cores * kCoresKeptBusy;
  double step = std::pow(10, std::floor(std::log10(rate)) - 2);
  r.bytes_per_second = std::round(rate / step) * step;
  return r;
}

}  // namespace ferry::plan
