// What a real tree holds beyond names, modes and bytes, round-tripped through the CLI:
// hard links, sparse files, owners, setuid of another owner, extended attributes in
// user. and trusted., access and default ACLs, a file capability. Owners, trusted.
// attributes and capabilities need root: without it the test is skipped.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "e2e/checks.h"
#include "e2e/fixture.h"
#include "support/full_tree.h"
#include "support/posix_acl.h"

namespace ferry::test {
namespace {

// user::rwx user:1234:rwx group::r-x mask::rwx other::r-x
const std::string kAccessAcl = acl({{kAclUserObj, 7, kAclNoId}, {kAclUser, 7, 1234},
                                    {kAclGroupObj, 5, kAclNoId}, {kAclMask, 7, kAclNoId},
                                    {kAclOther, 5, kAclNoId}});
// default: user::rwx user:1234:r-x group::r-x mask::r-x other::---
const std::string kDefaultAcl = acl({{kAclUserObj, 7, kAclNoId}, {kAclUser, 5, 1234},
                                     {kAclGroupObj, 5, kAclNoId}, {kAclMask, 5, kAclNoId},
                                     {kAclOther, 0, kAclNoId}});
// security.capability, revision 2, effective, permitted: cap_net_raw (13).
const std::string kNetRawCapability =
    std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8) + std::string(12, '\0');

void set_xattr(const std::string& path, const std::string& name, const std::string& value) {
  ASSERT_EQ(::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0), 0)
      << name << " on " << path << ": " << std::strerror(errno);
}

class KeptMetadata : public ShipmentTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "owners, trusted. attributes and capabilities need root";
    ShipmentTest::SetUp();
  }

  // Everything above; `large_sparse`: with a 5 GiB file whose data lies past 4 GiB
  // (no room taken, but some seconds to read and hash its holes).
  void make_tree(bool large_sparse = false) {
    const std::string s = source();
    // Hard links: a group of three names across folders (elsewhere/third is walked
    // first), and one of two.
    write_file(s, "links/first", csv_text(100000, 1));
    ASSERT_EQ(::link((s + "/links/first").c_str(), (s + "/links/second").c_str()), 0);
    make_dir(s, "elsewhere");
    ASSERT_EQ(::link((s + "/links/first").c_str(), (s + "/elsewhere/third").c_str()), 0);
    write_file(s, "links/pair-a", random_bytes(5000, 2));
    ASSERT_EQ(::link((s + "/links/pair-a").c_str(), (s + "/links/pair-b").c_str()), 0);
    // Sparse: data past 4 GiB in a 5 GiB file, and a hole between two runs of data.
    {
      const std::string data = random_bytes(10000, 3);
      int fd;
      if (large_sparse) {
        fd = ::open((s + "/sparse.img").c_str(), O_WRONLY | O_CREAT, 0644);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::pwrite(fd, data.data(), data.size(), (4ll << 30) + 12345), 10000);
        ASSERT_EQ(::ftruncate(fd, 5ll << 30), 0);
        ::close(fd);
      }
      fd = ::open((s + "/holes-inside").c_str(), O_WRONLY | O_CREAT, 0644);
      ASSERT_EQ(::pwrite(fd, data.data(), 4096, 0), 4096);
      ASSERT_EQ(::pwrite(fd, data.data(), 4096, 8 << 20), 4096);
      ::close(fd);
    }
    // Owners other than root, setuid and setgid of another owner.
    write_file(s, "owned", "someone else's\n");
    ASSERT_EQ(::chown((s + "/owned").c_str(), 1234, 2345), 0);
    write_file(s, "setuid-tool", "#!/bin/sh\n");
    ASSERT_EQ(::chown((s + "/setuid-tool").c_str(), 1234, 2345), 0);
    ASSERT_EQ(::chmod((s + "/setuid-tool").c_str(), 06755), 0);
    make_dir(s, "theirs", 0750);
    ASSERT_EQ(::chown((s + "/theirs").c_str(), 1000, 1000), 0);
    make_symlink(s, "theirs/link", "../owned");
    ASSERT_EQ(::lchown((s + "/theirs/link").c_str(), 42, 43), 0);
    // Extended attributes, ACLs, a capability.
    set_xattr(s + "/links/first", "user.origin", "camera 7");
    set_xattr(s + "/owned", "trusted.label", std::string("\0\xff bytes", 8));
    set_xattr(s + "/theirs/link", "trusted.on-a-link", "yes");
    make_dir(s, "shared");
    write_file(s, "shared/sheet.csv", csv_text(3000, 4));
    set_xattr(s + "/shared", "system.posix_acl_access", kAccessAcl);
    set_xattr(s + "/shared", "system.posix_acl_default", kDefaultAcl);
    set_xattr(s + "/shared", "user.project", "ferry");
    write_file(s, "ping", "#!/bin/sh\n", 0755);
    set_xattr(s + "/ping", "security.capability", kNetRawCapability);
    // Names that differ only in case.
    write_file(s, "Case.txt", "upper\n");
    write_file(s, "case.txt", "lower\n");
    set_mtime(s, "shared", 1700000000, 123456789);
  }
};

TEST_F(KeptMetadata, RoundTripKeepsOwnersXattrsAclsCapabilitiesHardLinksAndHoles) {
  make_tree(true);
  RunResult p = pack(3, 1, {"--json"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  // The hard-linked bytes are stored once, the 5 GiB file's holes not at all.
  const auto report = nlohmann::json::parse(p.out);
  EXPECT_LT(report["stream_bytes"].get<uint64_t>(), 1u << 20) << p.out;

  RunResult r = run_ferry(
      {"restore", drive(0), drive(1), drive(2), "--to", target(), "--key-file", key(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(compare_trees_fully(source(), target()), "");
  const auto restored = nlohmann::json::parse(r.out);
  EXPECT_EQ(restored["hard_links"], 3);
  EXPECT_TRUE(restored["not_applied"].empty()) << r.out;

  // The checker sees each kind of loss.
  const std::string t = target();
  ASSERT_EQ(::lchown((t + "/theirs/link").c_str(), 0, 0), 0);
  ASSERT_EQ(::lremovexattr((t + "/shared").c_str(), "system.posix_acl_default"), 0);
  ASSERT_EQ(::unlink((t + "/links/pair-b").c_str()), 0);
  write_file(t, "links/pair-b", read_all(source() + "/links/pair-a"));
  std::string found = compare_trees_fully(source(), t);
  EXPECT_NE(found.find("theirs/link: owner 42:43 became 0:0"), std::string::npos) << found;
  EXPECT_NE(found.find("shared: extended attributes differ: system.posix_acl_default"),
            std::string::npos)
      << found;
  EXPECT_NE(found.find("hard links are grouped differently"), std::string::npos) << found;
}

// With compression on and with --no-compress alike: the holes are a file's shape, not
// a choice of compression.
class HolesKept : public KeptMetadata, public ::testing::WithParamInterface<bool> {};

TEST_P(HolesKept, HolesComeBackAsHoles) {
  write_file(source(), "full", std::string(3 << 20, 'x'));
  int fd = ::open((source() + "/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_EQ(::pwrite(fd, "end", 3, 64 << 20), 3);
  ::close(fd);
  const std::vector<std::string> extra =
      GetParam() ? std::vector<std::string>{} : std::vector<std::string>{"--no-compress"};
  ASSERT_EQ(pack(3, 1, extra).exit_code, 0);
  ASSERT_EQ(restore(drives(3), target()).exit_code, 0);
  struct stat st;
  ASSERT_EQ(::stat((target() + "/sparse").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, (64 << 20) + 3);
  EXPECT_LE(st.st_blocks * 512, 64 << 10);  // not 64 MiB
  EXPECT_EQ(read_all(target() + "/full"), std::string(3 << 20, 'x'));
}
INSTANTIATE_TEST_SUITE_P(CompressedOrNot, HolesKept, ::testing::Bool());

TEST_F(KeptMetadata, NumericOwnerRestoresNumbersAndNoXattrsLeavesThemOut) {
  make_tree();
  // Owners here with a name: daemon (1) on the source, restored by number as 1 too.
  write_file(source(), "daemons", "x");
  ASSERT_EQ(::chown((source() + "/daemons").c_str(), 1, 1), 0);
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  RunResult r = restore(drives(3), target(), {"--numeric-owner", "--no-xattrs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st;
  ASSERT_EQ(::lstat((target() + "/daemons").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1u);
  ASSERT_EQ(::lstat((target() + "/setuid-tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_mode & 07777, 06755u);
  char value[64];
  EXPECT_LT(::lgetxattr((target() + "/ping").c_str(), "security.capability", value, sizeof value),
            0);
  EXPECT_LT(::lgetxattr((target() + "/links/first").c_str(), "user.origin", value, sizeof value),
            0);
}

TEST_F(KeptMetadata, PackWithoutXattrsRecordsNone) {
  make_tree();
  ASSERT_EQ(pack(3, 1, {"--no-xattrs"}).exit_code, 0);
  ASSERT_EQ(restore(drives(3), target()).exit_code, 0);
  char value[64];
  EXPECT_LT(::lgetxattr((target() + "/owned").c_str(), "trusted.label", value, sizeof value), 0);
}

TEST_F(KeptMetadata, LinkGroupCutByOnlyIsRestoredAsFiles) {
  make_tree();
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  // elsewhere/third, the group's first name, is left out.
  RunResult r = restore(drives(3), target(), {"--only", "links"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(target() + "/links/first"), read_all(source() + "/links/first"));
  EXPECT_EQ(read_all(target() + "/links/second"), read_all(source() + "/links/first"));
  EXPECT_FALSE(path_exists(target() + "/elsewhere/third"));
  struct stat a, b;
  ASSERT_EQ(::lstat((target() + "/links/first").c_str(), &a), 0);
  ASSERT_EQ(::lstat((target() + "/links/second").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // the names restored are still one file
  char value[64];
  EXPECT_EQ(::lgetxattr((target() + "/links/first").c_str(), "user.origin", value, sizeof value),
            8);
  ASSERT_EQ(::lstat((target() + "/links/pair-a").c_str(), &a), 0);
  ASSERT_EQ(::lstat((target() + "/links/pair-b").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // a group wholly inside stays linked
}

TEST_F(KeptMetadata, PackRunAgainAfterTheSourceChangedIsRefused) {
  write_file(source(), "a", "one\n");
  write_file(source(), "b", "two\n");
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  EXPECT_EQ(pack(3, 1).exit_code, 0);  // unchanged: nothing to do
  write_file(source(), "b", "changed\n");
  write_file(source(), "new", "added\n");
  RunResult again = pack(3, 1);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("1 entries changed, 1 added, 0 removed"), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("b (changed)"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("new (added)"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(pack(3, 1, {"--force"}).exit_code, 0);
  // An extended attribute (an ACL, a capability) changed alone is a change too.
  if (::setxattr((source() + "/a").c_str(), "user.note", "x", 1, 0) == 0) {
    again = pack(3, 1);
    EXPECT_EQ(again.exit_code, 1) << again.err;
    EXPECT_NE(again.err.find("a (changed)"), std::string::npos) << again.err;
  }
}

}  // namespace
}  // namespace ferry::test

namespace ferry::test {
namespace {

// Run as another user, restore cannot give files away: it says so once, clears the
// setuid bit of a file it cannot give its owner (listed, exit 3), and restores the rest.
TEST_F(KeptMetadata, AsAnotherUserOwnersAreSaidOnceAndSetuidIsClearedAndListed) {
  if (std::system("command -v setpriv >/dev/null 2>&1") != 0) GTEST_SKIP() << "no setpriv";
  write_file(source(), "setuid-tool", "#!/bin/sh\n");
  ASSERT_EQ(::chown((source() + "/setuid-tool").c_str(), 1234, 2345), 0);
  ASSERT_EQ(::chmod((source() + "/setuid-tool").c_str(), 04755), 0);
  write_file(source(), "plain", "x");
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  // The other user reads the drives and a copy of the key, and owns the target.
  ASSERT_EQ(std::system(("chmod -R a+rX '" + dir_.path() + "'").c_str()), 0);
  ASSERT_EQ(::chmod(key().c_str(), 0644), 0);
  make_dir(dir_.path(), "theirs");
  ASSERT_EQ(::chown(target("theirs").c_str(), 65534, 65534), 0);
  const std::string out = dir_ / "out.json", err = dir_ / "err.txt";
  const std::string cmd = "setpriv --reuid=65534 --regid=65534 --clear-groups " + ferry_binary() +
                          " restore " + drive(0) + " " + drive(1) + " " + drive(2) + " --to " +
                          target("theirs") + "/r --key-file " + key() + " --json >" + out + " 2>" +
                          err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << cmd;
  EXPECT_EQ(WEXITSTATUS(status), 3) << read_all(err);
  auto report = nlohmann::json::parse(read_all(out));
  ASSERT_EQ(report["not_applied"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["not_applied"][0]["path"], "setuid-tool");
  EXPECT_EQ(report["not_applied"][0]["what"], "setuid bit cleared: the owner was not restored");
  EXPECT_NE(report["warnings"].dump().find("owners and groups were not restored"),
            std::string::npos)
      << report.dump(2);
  struct stat st;
  ASSERT_EQ(::stat((target("theirs") + "/r/setuid-tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 65534u);
}

}  // namespace
}  // namespace ferry::test
