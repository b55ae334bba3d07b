#include "read/entry_metadata.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>

#include "format/posix_acl.h"

namespace ferry::read {
namespace {

std::string bits_named(uint32_t mode) {
  if ((mode & 06000) == 06000) return "setuid and setgid bits";
  return (mode & 04000) ? "setuid bit" : "setgid bit";
}

}  // namespace

EntryMetadata::EntryMetadata(format::Catalog& catalog, bool numeric_owner, bool xattrs,
                             bool as_root)
    : numeric_(numeric_owner), xattrs_(xattrs), as_root_(as_root) {
  if (!numeric_) {  // for owners as root, for the users and groups of ACLs always
    user_names_ = catalog.owner_names(format::Catalog::OwnerKind::kUser);
    group_names_ = catalog.owner_names(format::Catalog::OwnerKind::kGroup);
  }
}

uid_t EntryMetadata::user(uint32_t stored) {
  auto [it, inserted] = users_.try_emplace(stored, stored);
  if (inserted) {
    auto name = user_names_.find(stored);
    if (name != user_names_.end()) {
      std::vector<char> buf(16384);
      struct passwd pw, *found = nullptr;
      if (::getpwnam_r(name->second.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found) {
        it->second = found->pw_uid;
      }
    }
  }
  return it->second;
}

gid_t EntryMetadata::group(uint32_t stored) {
  auto [it, inserted] = groups_.try_emplace(stored, stored);
  if (inserted) {
    auto name = group_names_.find(stored);
    if (name != group_names_.end()) {
      std::vector<char> buf(16384);
      struct group gr, *found = nullptr;
      if (::getgrnam_r(name->second.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found) {
        it->second = found->gr_gid;
      }
    }
  }
  return it->second;
}

std::string EntryMetadata::value_here(const format::Xattr& x) {
  if (numeric_ || !format::is_posix_acl(x.name)) return x.value;
  return format::remap_acl_ids(x.value, [&](bool is_group, uint32_t id) -> uint32_t {
    return is_group ? group(id) : user(id);
  });
}

int chmod_file_nofollow(int dirfd, const std::string& leaf, mode_t mode) {
  // O_PATH needs no read permission on the file; the descriptor's /proc name then reaches
  // that very file, with no further name lookup.
  const int fd = ::openat(dirfd, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  int rc = -1;
  if (::fstat(fd, &st) != 0) {
    // errno set by fstat
  } else if (!S_ISREG(st.st_mode)) {
    errno = ELOOP;
  } else {
    rc = ::chmod(("/proc/self/fd/" + std::to_string(fd)).c_str(), mode);
  }
  const int err = errno;
  ::close(fd);
  errno = err;
  return rc;
}

std::vector<std::string> EntryMetadata::apply(int dirfd, const std::string& leaf,
                                              const format::Entry& e,
                                              const std::vector<format::Xattr>& xattrs) {
  std::vector<std::string> problems;
  bool owned = false;
  if (as_root_) {
    const uid_t uid = user(e.uid);
    const gid_t gid = group(e.gid);
    if (::fchownat(dirfd, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) == 0) {
      owned = true;
    } else {
      problems.push_back("owner " + std::to_string(uid) + ":" + std::to_string(gid) +
                         " not applied: " + std::strerror(errno));
    }
  }
  // Files were written without these bits (RestoredFile); folders get theirs with the
  // rest of their mode, last.
  if (e.kind == format::EntryKind::kFile && (e.mode & 06000)) {
    if (!owned) {
      problems.push_back(bits_named(e.mode) + " cleared: the owner was not restored");
    } else if (chmod_file_nofollow(dirfd, leaf, e.mode & 07777) != 0) {
      problems.push_back(bits_named(e.mode) + " not applied: " + std::strerror(errno));
    }
  }
  if (!xattrs_ || xattrs.empty()) return problems;
  // No *at() form of lsetxattr: /proc/self/fd names the folder.
  const std::string path = "/proc/self/fd/" + std::to_string(dirfd) + "/" + leaf;
  for (const format::Xattr& x : xattrs) {
    const std::string value = value_here(x);
    if (::lsetxattr(path.c_str(), x.name.c_str(), value.data(), value.size(), 0) != 0) {
      problems.push_back("extended attribute " + x.name + " not applied: " + std::strerror(errno));
    }
  }
  return problems;
}

}  // namespace ferry::read
