// What the catalog keeps beyond a path's type, mode and bytes: owners and their names,
// extended attributes, and hard links sharing their first name's stored bytes. And how
// restore applies owners and setuid bits when it cannot apply the owner.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "format/catalog.h"
#include "read/entry_metadata.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

format::Entry file(const std::string& path, uint32_t uid = 0) {
  format::Entry e;
  e.path = path;
  e.uid = uid;
  e.gid = uid + 1;
  return e;
}

// Rows go in groups of 32 a statement: each entry's attributes must find its own id.
TEST(CatalogMetadata, ExtendedAttributesAndOwnersStayWithTheirEntryAcrossGroups) {
  TempDir dir;
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  std::vector<format::Entry> entries;
  for (int i = 0; i < 70; ++i) {
    entries.push_back(file("f" + std::to_string(i), 1000 + i));
    if (i % 3 == 0)
      entries.back().xattrs = {{"user.n", std::to_string(i)}, {"user.z", {"\0\1", 2}}};
  }
  std::vector<const format::Entry*> pointers;
  for (const auto& e : entries) pointers.push_back(&e);
  catalog.begin();
  catalog.add_all(pointers);
  catalog.set_owner_name(format::Catalog::OwnerKind::kUser, 1000, "alice");
  catalog.set_owner_name(format::Catalog::OwnerKind::kGroup, 1001, "staff");
  catalog.commit();

  for (int i = 0; i < 70; ++i) {
    auto e = catalog.find("f" + std::to_string(i));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->uid, 1000u + i);
    EXPECT_EQ(e->gid, 1001u + i);
    std::vector<format::Xattr> want;
    if (i % 3 == 0) want = {{"user.n", std::to_string(i)}, {"user.z", {"\0\1", 2}}};
    EXPECT_EQ(catalog.xattrs(e->id), want) << i;
  }
  EXPECT_EQ(catalog.owner_names(format::Catalog::OwnerKind::kUser).at(1000), "alice");
  EXPECT_EQ(catalog.owner_names(format::Catalog::OwnerKind::kGroup).at(1001), "staff");
  EXPECT_EQ(catalog.owner_names(format::Catalog::OwnerKind::kUser).count(1001), 0u);
}

TEST(CatalogMetadata, LinksTakeTheirFirstNamesBytesAndLoseItWhenItIsLeftOut) {
  TempDir dir;
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  catalog.begin();
  const int64_t first = catalog.add(file("a"));
  const int64_t gone = catalog.add(file("b"));
  format::Entry link = file("c");
  link.link = first;
  catalog.add(link);
  link.path = "d";
  link.link = gone;
  catalog.add(link);
  format::Entry packed = *catalog.find("a");
  packed.size = 7;
  packed.offset = 100;
  packed.stored = 5;
  packed.encoding = format::Encoding::kZstdFrames;
  packed.frames = {5};
  packed.sha256[0] = 0xab;
  catalog.set_file_data(packed);
  catalog.remove(gone);  // changed while read

  std::vector<format::Entry> dangling = catalog.fill_links();
  catalog.commit();
  ASSERT_EQ(dangling.size(), 1u);
  EXPECT_EQ(dangling[0].path, "d");
  EXPECT_FALSE(catalog.find("d"));
  auto c = catalog.find("c");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->link, first);
  EXPECT_EQ(c->size, 7u);
  EXPECT_EQ(c->offset, 100u);
  EXPECT_EQ(c->stored, 5u);
  EXPECT_EQ(c->encoding, format::Encoding::kZstdFrames);
  EXPECT_EQ(c->frames, std::vector<uint32_t>{5});
  EXPECT_EQ(c->sha256, packed.sha256);
}

// Not as root: the owner stays the user's, so a setuid or setgid bit is not applied
// (it would give the user's own rights to whoever runs the file), and that is said.
TEST(EntryMetadata, WithoutTheOwnerSetuidIsClearedAndSaid) {
  TempDir dir;
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  write_file(dir.path(), "tool", "x", 0755);
  format::Entry e = file("tool", 1234);
  e.mode = 04755;
  read::EntryMetadata metadata(catalog, false, true, /*as_root=*/false);
  int dirfd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  std::vector<std::string> problems = metadata.apply(dirfd, "tool", e, {});
  ::close(dirfd);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "setuid bit cleared: the owner was not restored");
  struct stat st;
  ASSERT_EQ(::stat((dir / "tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST(EntryMetadata, AnAttributeTheTargetRefusesIsSaidAndTheRestApplied) {
  TempDir dir;
  format::Catalog catalog = format::Catalog::create(dir / "catalog.db");
  write_file(dir.path(), "f", "x");
  read::EntryMetadata metadata(catalog, false, true, false);
  int dirfd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  // No such namespace: every file system refuses it.
  std::vector<std::string> problems =
      metadata.apply(dirfd, "f", file("f"), {{"nonsense.x", "1"}, {"user.ok", "2"}});
  ::close(dirfd);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("extended attribute nonsense.x not applied: ", 0), 0u) << problems[0];
}

TEST(RootXattrs, EncodedAsOneMetaValueAndBack) {
  const std::vector<format::Xattr> xs = {{"system.posix_acl_default", std::string("\x02\0\0\0", 4)},
                                         {"user.a=b,c", "v,=\xff"}};
  EXPECT_EQ(format::decode_xattrs(format::encode_xattrs(xs)), xs);
  EXPECT_TRUE(format::decode_xattrs("").empty());
  EXPECT_TRUE(format::decode_xattrs("zz=00").empty()) << "not hex";
  EXPECT_TRUE(format::decode_xattrs("61").empty()) << "no value";
}

}  // namespace
}  // namespace ferry::test
