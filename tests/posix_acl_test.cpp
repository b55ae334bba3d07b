// The users and groups a POSIX ACL names go by name, as owners do: pack records their
// names, restore gives the same rights to the same names on a machine that numbers them
// differently (or by number with --numeric-owner).
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "format/catalog.h"
#include "format/posix_acl.h"
#include "pack/source_walker.h"
#include "read/entry_metadata.h"
#include "support/posix_acl.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

using Kind = format::Catalog::OwnerKind;

std::vector<std::pair<bool, uint32_t>> named(const std::string& value) {
  std::vector<std::pair<bool, uint32_t>> out;
  for (const format::AclNamedId& n : format::acl_named_ids(value)) out.emplace_back(n.group, n.id);
  return out;
}

std::string xattr_of(const std::string& path, const std::string& name) {
  std::string value(4096, '\0');
  ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
  value.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return value;
}

// Names of user 1 and group 1 here (daemon on Debian), which the tests use as the names
// a catalog recorded for other numbers.
struct NamesHere {
  std::string user, group;
};
NamesHere names_of_id_1() {
  NamesHere out;
  if (const passwd* pw = ::getpwuid(1)) out.user = pw->pw_name;
  if (const group* gr = ::getgrgid(1)) out.group = gr->gr_name;
  return out;
}

TEST(PosixAcl, NamedEntriesAreFoundAndRemappedTheOthersLeftAsTheyAre) {
  const std::string value =
      acl({{kAclUserObj, 7, kAclNoId}, {kAclUser, 5, 1234}, {kAclGroupObj, 5, kAclNoId},
           {kAclGroup, 4, 77}, {kAclMask, 7, kAclNoId}, {kAclOther, 0, kAclNoId}});
  EXPECT_EQ(named(value), (std::vector<std::pair<bool, uint32_t>>{{false, 1234}, {true, 77}}));
  const std::string moved =
      format::remap_acl_ids(value, [](bool group, uint32_t id) { return group ? id + 1 : id * 2; });
  EXPECT_EQ(moved,
            acl({{kAclUserObj, 7, kAclNoId}, {kAclUser, 5, 2468}, {kAclGroupObj, 5, kAclNoId},
                 {kAclGroup, 4, 78}, {kAclMask, 7, kAclNoId}, {kAclOther, 0, kAclNoId}}));
  // Not an ACL: nothing named, nothing changed.
  for (const std::string& bad : {std::string("\x02\0\0", 3), value.substr(0, value.size() - 1),
                                 std::string("\x03\0\0\0", 4) + value.substr(4)}) {
    EXPECT_TRUE(format::acl_named_ids(bad).empty());
    EXPECT_EQ(format::remap_acl_ids(bad, [](bool, uint32_t) { return 0u; }), bad);
  }
  EXPECT_TRUE(format::is_posix_acl("system.posix_acl_default"));
  EXPECT_FALSE(format::is_posix_acl("user.posix_acl_access"));
}

TEST(PosixAcl, PackRecordsTheNamesOfTheUsersAndGroupsItsAclsName) {
  const NamesHere here = names_of_id_1();
  if (here.user.empty() || here.group.empty()) GTEST_SKIP() << "no user or group 1 here";
  TempDir dir;
  const std::string root = dir / "src";
  write_file(dir.path(), "src/shared.csv", "a,b\n");
  const std::string access = acl({{kAclUserObj, 6, kAclNoId}, {kAclUser, 4, 1},
                                  {kAclGroupObj, 4, kAclNoId}, {kAclMask, 4, kAclNoId},
                                  {kAclOther, 0, kAclNoId}});
  // The top folder's default ACL, which only the catalog's meta holds.
  const std::string inherited = acl({{kAclUserObj, 7, kAclNoId}, {kAclGroupObj, 5, kAclNoId},
                                     {kAclGroup, 5, 1}, {kAclMask, 5, kAclNoId},
                                     {kAclOther, 0, kAclNoId}});
  ASSERT_EQ(::lsetxattr((root + "/shared.csv").c_str(), "system.posix_acl_access", access.data(),
                        access.size(), 0),
            0)
      << std::strerror(errno);
  ASSERT_EQ(::lsetxattr(root.c_str(), "system.posix_acl_default", inherited.data(),
                        inherited.size(), 0),
            0)
      << std::strerror(errno);
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  pack::walk_source(root, catalog);
  EXPECT_EQ(catalog.owner_names(Kind::kUser)[1], here.user);
  EXPECT_EQ(catalog.owner_names(Kind::kGroup)[1], here.group);
}

TEST(PosixAcl, RestoreGivesTheRightsToTheSameNamesHereOrByNumberWhenAsked) {
  const NamesHere here = names_of_id_1();
  if (here.user.empty() || here.group.empty()) GTEST_SKIP() << "no user or group 1 here";
  TempDir dir;
  // On the source, user 4242 and group 4243 had the names user 1 and group 1 have here.
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  catalog.set_owner_name(Kind::kUser, 4242, here.user);
  catalog.set_owner_name(Kind::kGroup, 4243, here.group);
  const format::Xattr packed{
      "system.posix_acl_access",
      acl({{kAclUserObj, 6, kAclNoId}, {kAclUser, 4, 12}, {kAclUser, 4, 4242},
           {kAclGroupObj, 4, kAclNoId}, {kAclGroup, 4, 4243}, {kAclMask, 4, kAclNoId},
           {kAclOther, 0, kAclNoId}})};
  format::Entry e;
  for (bool numeric : {false, true}) {
    const std::string name = numeric ? "by-number" : "by-name";
    write_file(dir.path(), name, "x");
    e.path = name;
    // Not as root: setting an ACL is the file owner's right; only owners need root.
    read::EntryMetadata metadata(catalog, numeric, true, /*as_root=*/false);
    int dirfd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    std::vector<std::string> problems = metadata.apply(dirfd, name, e, {packed});
    ::close(dirfd);
    EXPECT_TRUE(problems.empty()) << problems[0];
    // A number with no name recorded (12) stays that number; by name, 4242 becomes 1 and
    // moves before it, as the kernel wants a tag's entries in order of id.
    const std::vector<std::pair<bool, uint32_t>> expected =
        numeric ? std::vector<std::pair<bool, uint32_t>>{{false, 12}, {false, 4242}, {true, 4243}}
                : std::vector<std::pair<bool, uint32_t>>{{false, 1}, {false, 12}, {true, 1}};
    EXPECT_EQ(named(xattr_of(dir / name, "system.posix_acl_access")), expected) << name;
  }
}

}  // namespace
}  // namespace ferry::test
