#include "read/target_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "codec/sha256.h"
#include "ferry/error.h"
#include "util/dir_chain.h"
#include "util/display.h"

namespace ferry::read {
namespace {

bool same_file_content(int dirfd, const std::string& leaf, const format::Entry& entry) {
  // O_NONBLOCK: a FIFO or device in the target must not hold the restore.
  int fd = ::openat(dirfd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool same = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              static_cast<uint64_t>(st.st_size) == entry.size;
  if (same) {
    codec::Sha256 h;
    std::vector<uint8_t> buf(1 << 20);
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) h.update(buf.data(), static_cast<size_t>(n));
    same = n == 0 && h.finish() == entry.sha256;
  }
  ::close(fd);
  return same;
}

std::vector<std::string> top_level_names(const std::string& target) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(target.c_str());
  if (!dir) throw_errno("cannot read target " + target, errno);
  while (dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
  }
  ::closedir(dir);
  return names;
}

}  // namespace

bool holds_nothing(const std::string& target) { return top_level_names(target).empty(); }

bool already_restored(int dirfd, const std::string& leaf, const format::Entry& entry) {
  struct stat st;
  if (::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  switch (entry.kind) {
    case format::EntryKind::kDirectory:
      return S_ISDIR(st.st_mode);
    case format::EntryKind::kSymlink: {
      if (!S_ISLNK(st.st_mode)) return false;
      std::string target(entry.target.size() + 1, '\0');
      ssize_t n = ::readlinkat(dirfd, leaf.c_str(), target.data(), target.size());
      return n >= 0 && static_cast<size_t>(n) == entry.target.size() &&
             target.compare(0, static_cast<size_t>(n), entry.target) == 0;
    }
    case format::EntryKind::kFile:
      return same_file_content(dirfd, leaf, entry);
  }
  return false;
}

void check_target(const std::string& target, format::Catalog& catalog, const Selection& selection,
                  const Renames* renames, bool overwrite) {
  std::vector<std::string> names = top_level_names(target);
  if (names.empty()) return;
  // Every conflict is counted, the first few named: one at a time, a user fixing them
  // would run the restore once for each.
  constexpr size_t kNamed = 10;
  std::vector<std::string> conflicts;
  uint64_t count = 0;
  auto conflict = [&](const std::string& what) {
    if (conflicts.size() < kNamed) conflicts.push_back(what);
    ++count;
  };
  auto refuse = [&] {
    if (count == 0) return;
    std::string listed;
    for (const std::string& c : conflicts) listed += "\n  " + c;
    if (count > conflicts.size()) {
      listed += "\n  … and " + std::to_string(count - conflicts.size()) + " more";
    }
    if (overwrite) {
      throw Error(ErrorKind::kConflict,
                  "--overwrite replaces files, not folders, and never a folder with a file: " +
                      std::to_string(count) + " entries of target " + target +
                      " are of another kind than in the shipment:" + listed +
                      "\nRemove them, or restore into an empty folder. Nothing was written.");
    }
    throw Error(ErrorKind::kConflict, "target " + target + " is not empty: " +
                                          std::to_string(count) + " entries are in the way:" +
                                          listed +
                                          "\nRestore into an empty folder, or add --overwrite");
  };
  for (const std::string& name : names) {
    if (overwrite) break;  // entries this restore does not write are left as they are
    if (name.rfind(".ferry-tmp-", 0) == 0) continue;  // left by an interrupted restore
    auto entry = catalog.find(name);
    if (!entry || !(selection.contains(name) ||
                    (entry->kind == format::EntryKind::kDirectory && !selection.everything()))) {
      conflict(util::shown(name) + ", which this restore would not write");
    }
  }
  util::DirChain chain(target);
  auto cursor = catalog.entries();
  format::Entry e;
  while (cursor.next(e)) {
    if (!selection.contains(e.path)) continue;
    std::string leaf;
    int dirfd;
    try {
      dirfd = chain.parent_of(renames ? renames->apply(e.path) : e.path, &leaf, false);
    } catch (const Error&) {
      continue;  // its folder is not there yet: nothing to conflict with
    }
    struct stat st;
    if (::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (overwrite) {
      // A folder is where the shipment has a file or link, or the other way round: the
      // file cannot be renamed over the folder, nor the folder's entries written through
      // the file.
      const bool folder_here = S_ISDIR(st.st_mode);
      const bool folder_there = e.kind == format::EntryKind::kDirectory;
      if (folder_here != folder_there) {
        conflict(util::shown(e.path) + (folder_here ? " is a folder here, a file or link in "
                                                      "the shipment"
                                                    : " is a file or link here, a folder in "
                                                      "the shipment"));
      }
    } else if (!already_restored(dirfd, leaf, e)) {
      conflict(util::shown(e.path) + " exists with other content");
    }
  }
  refuse();
}

}  // namespace ferry::read
