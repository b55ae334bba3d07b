#include "plan/ferry_rate.h"

#include <fcntl.h>
#include <unistd.h>

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

namespace {

// Where the measurement reads its source and writes its blocks: unlinked files in
// memory-backed or temporary storage, so the kernel's copies and page allocations are
// paid as pack pays them. -1 when none can be made (the copies are then made in memory).
int scratch_file() {
  for (const char* dir : {"/dev/shm", "/tmp"}) {
    int fd = ::open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
  }
  return -1;
}

// The pages pack writes are new ones: the block file is cut back to nothing past this.
constexpr uint64_t kWrittenBeforeCut = 128u << 20;
constexpr uint64_t kSourceBytes = 16u << 20;

}  // namespace

double measure_ns_per_byte(int data_drives, int parity_drives, double seconds) {
  int k = data_drives, m = parity_drives;
  if (k < 1 || m < 0 || k + m > codec::ReedSolomon::kMaxFragments) k = 3, m = 1;
  const size_t block = format::kDefaultBlockSize;
  const size_t unit = block - format::kUnitOverhead;
  // One stripe: k units of source bytes read in, n blocks written out.
  std::vector<uint8_t> data(k * block), parity(m * block), in(unit, 0x5a);
  std::vector<uint8_t*> data_ptrs, parity_ptrs;
  for (int i = 0; i < k; ++i) data_ptrs.push_back(data.data() + i * block);
  for (int i = 0; i < m; ++i) parity_ptrs.push_back(parity.data() + i * block);
  const int source = scratch_file(), blocks = scratch_file();
  const uint64_t source_units = kSourceBytes / unit;
  bool files = source >= 0 && blocks >= 0;
  for (uint64_t u = 0; files && u < source_units; ++u) {
    files = ::pwrite(source, in.data(), unit, static_cast<off_t>(u * unit)) ==
            static_cast<ssize_t>(unit);
  }
  std::vector<uint8_t> out(block);
  uint64_t written = 0, read_unit = 0;
  auto read_in = [&](uint8_t* to) {
    const auto at = static_cast<off_t>(read_unit++ % source_units * unit);
    if (!files || ::pread(source, to, unit, at) != static_cast<ssize_t>(unit)) {
      std::memcpy(to, in.data(), unit);
    }
  };
  auto write_out = [&](const uint8_t* from) {
    if (files && written >= kWrittenBeforeCut && ::ftruncate(blocks, 0) == 0) written = 0;
    if (files && ::pwrite(blocks, from, block, static_cast<off_t>(written)) ==
                     static_cast<ssize_t>(block)) {
      written += block;
    } else {
      std::memcpy(out.data(), from, block);
    }
  };

  codec::Key key{};
  codec::AesGcm aead(key);
  codec::Nonce nonce{};
  uint8_t aad[40] = {};
  std::optional<codec::ReedSolomon> rs;
  if (m > 0) rs.emplace(k, m);
  codec::Sha256 file_hash;
  uint32_t crc = 0;
  std::vector<uint8_t> stripe(unit);

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  uint64_t bytes = 0;
  double elapsed = 0;
  for (uint64_t n = 0; elapsed < seconds; ++n) {
    for (int i = 0; i < k; ++i) {
      uint8_t* payload = data_ptrs[i];
      read_in(stripe.data());  // the file's bytes read into the stripe
      file_hash.update(stripe.data(), unit);
      std::memcpy(nonce.data() + 4, &n, sizeof n);
      nonce[0] = static_cast<uint8_t>(i);
      aead.seal(nonce, aad, sizeof aad, stripe.data(), unit, payload + 12, payload + 12 + unit);
    }
    if (rs) rs->encode(block, data_ptrs.data(), parity_ptrs.data());
    for (int i = 0; i < k; ++i) {
      crc ^= codec::crc32c(data_ptrs[i], block);
      write_out(data_ptrs[i]);  // the block written to its drive
    }
    for (int i = 0; i < m; ++i) {
      crc ^= codec::crc32c(parity_ptrs[i], block);
      write_out(parity_ptrs[i]);
    }
    bytes += k * unit;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  if (source >= 0) ::close(source);
  if (blocks >= 0) ::close(blocks);
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
