#include "read/restore_space.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "ferry/error.h"
#include "format/constants.h"
#include "plan/units.h"

namespace ferry::read {
namespace {

constexpr uint64_t kBlock = 4096;

uint64_t in_blocks(uint64_t bytes) { return (bytes + kBlock - 1) / kBlock * kBlock; }

}  // namespace

uint64_t restored_bytes(format::Catalog& catalog, const Selection& selection,
                        const HardLinks& links, bool holes) {
  uint64_t total = 0;
  auto cursor = catalog.entries();
  format::Entry e;
  while (cursor.next(e)) {
    const bool wanted = (selection.contains(e.path) && !links.linked(e.id)) || links.stand_in(e.id);
    if (!wanted) continue;
    if (e.kind != format::EntryKind::kFile) {
      total += kBlock;
      continue;
    }
    if (e.encoding != format::Encoding::kZstdFrames || !holes) {
      total += in_blocks(e.size);
      continue;
    }
    uint64_t left = e.size;
    for (uint32_t frame : e.frames) {
      const uint64_t plain = std::min<uint64_t>(left, format::kCompressionFrameSize);
      if (uint64_t{frame} * 1024 > plain) total += in_blocks(plain);
      left -= plain;
    }
    total += in_blocks(left);  // frames missing from a damaged row: counted whole
  }
  return total;
}

bool target_keeps_holes(const std::string& target) {
  constexpr off_t kReach = 8 << 20;
  const std::string probe = target + "/.ferry-probe-holes";
  int fd = ::open(probe.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return true;  // cannot tell: as before, holes counted as holes
  struct stat st {};
  const bool written = ::pwrite(fd, "x", 1, kReach - 1) == 1 && ::fstat(fd, &st) == 0;
  ::close(fd);
  ::unlink(probe.c_str());
  return !written || static_cast<uint64_t>(st.st_blocks) * 512 < static_cast<uint64_t>(kReach) / 2;
}

void check_target_space(const std::string& target, uint64_t needed) {
  struct statvfs vfs;
  if (::statvfs(target.c_str(), &vfs) != 0)
    throw_errno("cannot query free space of " + target, errno);
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (needed <= free_bytes) return;
  throw Error(ErrorKind::kNoSpace,
              "the target " + target + " has " + plan::approx_bytes(free_bytes) +
                  " free, but the files to restore take about " + plan::approx_bytes(needed) +
                  " (counted on the safe side). Make room, restore a part with --only, or add "
                  "--no-space-check if the file system misreports its free space. Nothing was "
                  "written.");
}

}  // namespace ferry::read
