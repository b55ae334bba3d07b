// What restore applies to an entry after its bytes are in place: owner and group,
// setuid/setgid bits and extended attributes (ACLs and capabilities among them). Owners
// are applied only when running as root, by name when the name is known here, else by
// number; the users and groups an ACL names the same way, whoever restores; the
// setuid/setgid bits only with the owner, so that no file becomes setuid-root by
// accident. What cannot be applied is said, never dropped silently.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "format/catalog.h"

namespace ferry::read {

class EntryMetadata {
 public:
  // `catalog` gives the owners' names; `numeric_owner`: by number even where a name is
  // known; `xattrs`: apply extended attributes. `as_root`: owners can be applied.
  EntryMetadata(format::Catalog& catalog, bool numeric_owner, bool xattrs, bool as_root);

  // Applies `e`'s owner, special bits and extended attributes to `leaf` in the folder
  // `dirfd`, in that order: a change of owner clears the setuid bits and a capability.
  // Returns what could not be applied, one phrase each; empty when all was.
  std::vector<std::string> apply(int dirfd, const std::string& leaf, const format::Entry& e,
                                 const std::vector<format::Xattr>& xattrs);

  bool owners_applied() const { return as_root_; }

  // The value to set here: an ACL's users and groups by name, as owners.
  std::string value_here(const format::Xattr& x);

 private:
  uid_t user(uint32_t stored);
  gid_t group(uint32_t stored);

  std::map<uint32_t, std::string> user_names_, group_names_;
  std::map<uint32_t, uid_t> users_;
  std::map<uint32_t, gid_t> groups_;
  const bool numeric_, xattrs_, as_root_;
};

// chmod of the regular file `leaf` in `dirfd`, never through a symbolic link put in its
// place: returns 0, or -1 with errno (ELOOP when it is no longer a regular file).
int chmod_file_nofollow(int dirfd, const std::string& leaf, mode_t mode);

}  // namespace ferry::read
