#include "read/hard_links.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ferry/error.h"
#include "io/file.h"
#include "util/dir_chain.h"
#include "util/display.h"

namespace ferry::read {
namespace {

// Copies the restored file `from` (in `from_dir`) to `leaf` in `dirfd`, through a
// temporary name, with its mode and times: for a target that holds no hard links.
bool copy_file(int from_dir, const std::string& from, int dirfd, const std::string& leaf,
               const std::string& temp) {
  int in = ::openat(from_dir, from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return false;
  struct stat st;
  ::unlinkat(dirfd, temp.c_str(), 0);
  int out = ::fstat(in, &st) == 0
                ? ::openat(dirfd, temp.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
                : -1;
  bool ok = out >= 0;
  for (off_t left = ok ? st.st_size : 0; ok && left > 0;) {
    ssize_t n = ::sendfile(out, in, nullptr, static_cast<size_t>(left));
    ok = n > 0;
    left -= n;
  }
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ok = ok && ::fchmod(out, st.st_mode & 01777) == 0 && ::futimens(out, times) == 0;
  if (out >= 0) ok = ::close(out) == 0 && ok;
  ::close(in);
  ok = ok && ::renameat(dirfd, temp.c_str(), dirfd, leaf.c_str()) == 0;
  if (!ok) ::unlinkat(dirfd, temp.c_str(), 0);
  return ok;
}

}  // namespace

HardLinks::HardLinks(format::Catalog& catalog, const Selection& selection) {
  format::Catalog::Query rows(catalog,
                              "SELECT l.id, l.path, f.path, f.id FROM entries l JOIN entries f"
                              " ON l.link = f.id WHERE l.kind = 0 AND f.kind = 0 ORDER BY l.id",
                              "hard links");
  while (rows.next()) {
    Link link{rows.integer(0), rows.bytes(1), rows.bytes(2)};
    if (!selection.contains(link.path)) continue;
    ids_.insert(link.id);
    if (!selection.contains(link.first)) {
      auto [stand_in, first_in_group] =
          stand_ins_.try_emplace(rows.integer(3), link.path);
      if (first_in_group) continue;  // written in the first name's place
      link.first = stand_in->second;
    }
    links_.push_back(std::move(link));
  }
}

void HardLinks::rename(const Renames& renames) {
  if (renames.empty()) return;
  for (Link& link : links_) {
    link.path = renames.apply(link.path);
    link.first = renames.apply(link.first);
  }
}

HardLinks::Outcome HardLinks::make(const std::string& target) const {
  Outcome outcome;
  util::DirChain firsts(target), names(target);
  for (const Link& link : links_) {
    std::string first_leaf, leaf;
    int first_dir;
    try {
      first_dir = firsts.parent_of(link.first, &first_leaf, false);
    } catch (const Error&) {
      outcome.lost.push_back(link.path);  // its first name's folder is not there
      continue;
    }
    const int dirfd = names.parent_of(link.path, &leaf, true);
    struct stat first, there;
    if (::fstatat(first_dir, first_leaf.c_str(), &first, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(first.st_mode)) {
      outcome.lost.push_back(link.path);
      continue;
    }
    if (::fstatat(dirfd, leaf.c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0 &&
        there.st_dev == first.st_dev && there.st_ino == first.st_ino) {
      ++outcome.linked;  // a restore run again
      continue;
    }
    // Through a temporary name, so that a name already there is replaced at once.
    const std::string temp = ".ferry-tmp-" + std::to_string(link.id);
    ::unlinkat(dirfd, temp.c_str(), 0);
    if (::linkat(first_dir, first_leaf.c_str(), dirfd, temp.c_str(), 0) == 0) {
      if (::renameat(dirfd, temp.c_str(), dirfd, leaf.c_str()) != 0) {
        int err = errno;
        ::unlinkat(dirfd, temp.c_str(), 0);
        throw_errno("cannot give " + io::join(target, util::shown(link.path)) + " its name", err);
      }
      ++outcome.linked;
      continue;
    }
    const std::string why = std::string("not restored as a hard link of ") +
                            util::shown(link.first) + " (" + std::strerror(errno) +
                            "): written as a copy";
    if (!copy_file(first_dir, first_leaf, dirfd, leaf, temp)) {
      throw_errno("cannot write " + io::join(target, util::shown(link.path)), errno);
    }
    outcome.copied.emplace_back(link.path, why);
  }
  return outcome;
}

}  // namespace ferry::read
