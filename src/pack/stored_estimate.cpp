#include "pack/stored_estimate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "codec/zstd.h"
#include "ferry/error.h"
#include "pack/source_file.h"
#include "util/dir_chain.h"

namespace ferry::pack {
namespace {

// The share of its bytes a file takes stored: 1 when pack would store it as it is.
double stored_ratio(int fd, const struct stat& st, codec::ZstdCompressor& zstd,
                    std::vector<uint8_t>& scratch, std::vector<uint8_t>& packed) {
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return 1;
  const uint64_t allocated = static_cast<uint64_t>(st.st_blocks) * 512;
  if (allocated < size) return static_cast<double>(allocated) / static_cast<double>(size);
  if (!worth_compressing(fd, size, zstd, scratch, packed)) return 1;
  uint64_t in = 0, out = 0;
  for (uint64_t at : sample_offsets(size)) {
    ssize_t n = ::pread(fd, scratch.data(), std::min<size_t>(scratch.size(), kCompressionSample),
                        static_cast<off_t>(at));
    if (n <= 0) break;
    packed.resize(std::max(packed.size(), codec::zstd_bound(static_cast<size_t>(n))));
    out += zstd.compress(scratch.data(), static_cast<size_t>(n), packed.data(), packed.size());
    in += static_cast<uint64_t>(n);
  }
  return in == 0 ? 1 : std::min(1.0, static_cast<double>(out) / static_cast<double>(in));
}

}  // namespace

StoredEstimate estimate_stored_bytes(const std::string& source, format::Catalog& catalog,
                                     uint64_t file_bytes, bool compress, uint32_t samples) {
  StoredEstimate estimate;
  estimate.bytes = file_bytes;
  if (!compress || file_bytes == 0 || samples == 0) return estimate;
  util::DirChain tree(source);
  codec::ZstdCompressor zstd;
  std::vector<uint8_t> scratch(kCompressionSample), packed;
  const double step = static_cast<double>(file_bytes) / samples;
  double next = step / 2;  // the byte whose file is sampled next
  uint64_t before = 0;     // bytes of the files before this one
  double sampled_bytes = 0, sampled_stored = 0;
  auto files = catalog.entries_of(format::EntryKind::kFile);
  format::Entry e;
  while (files.next(e)) {
    if (e.link) continue;  // stored once, with its first name
    const uint64_t end = before + e.size;
    if (static_cast<double>(end) > next) {
      double ratio = 1;
      try {
        std::string leaf;
        const int dirfd = tree.parent_of(e.path, &leaf, false);
        const int fd = ::openat(dirfd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && ::fstat(fd, &st) == 0) ratio = stored_ratio(fd, st, zstd, scratch, packed);
        if (fd >= 0) ::close(fd);
      } catch (const Error&) {
      }
      sampled_bytes += static_cast<double>(e.size);
      sampled_stored += static_cast<double>(e.size) * ratio;
      ++estimate.files_sampled;
      while (next < static_cast<double>(end)) next += step;
    }
    before = end;
  }
  if (sampled_bytes <= 0) return estimate;
  const double ratio = std::min(1.0, sampled_stored / sampled_bytes * kEstimateMargin);
  estimate.bytes = std::min<uint64_t>(
      file_bytes, static_cast<uint64_t>(ratio * static_cast<double>(file_bytes)) + 1);
  return estimate;
}

}  // namespace ferry::pack
