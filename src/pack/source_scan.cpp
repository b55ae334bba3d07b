#include "pack/source_scan.h"

#include <sys/stat.h>

#include <cerrno>

#include "ferry/error.h"
#include "pack/source_walker.h"

namespace ferry::pack {

SourceSummary scan_source(const std::string& root) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) throw_errno("cannot read the source " + root, errno);
  SourceSummary s;
  if (S_ISREG(st.st_mode)) {
    s.files = 1;
    s.bytes = static_cast<uint64_t>(st.st_size);
    return s;
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kInvalidArgument,
                "the source " + root + " is neither a directory nor a regular file");
  }
  WalkTotals totals;
  walk_tree(root, false, [&](std::vector<Found>& batch) {
    for (const Found& f : batch) {
      count(f, totals);
      if (f.skip_reason.empty()) continue;
      if (is_special_file_reason(f.skip_reason)) {
        ++s.others;
      } else {
        ++s.unreadable;
        if (s.first_error.empty()) s.first_error = root + "/" + f.entry.path + ": " + f.skip_reason;
      }
    }
  });
  s.files = totals.files;
  s.bytes = totals.file_bytes;
  s.directories = totals.directories;
  s.symlinks = totals.symlinks;
  return s;
}

}  // namespace ferry::pack
