// What restore says about its target: every entry in the way of a refused restore, the
// drive not attached, and the source folder's own mode and mtime on the target folder.
#include <sys/stat.h>
#include <sys/xattr.h>

#include <nlohmann/json.hpp>

#include "e2e/checks.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

class RestoreTarget : public ShipmentTest {};

TEST_F(RestoreTarget, ARefusedRestoreNamesEveryEntryInTheWay) {
  for (int i = 0; i < 13; ++i) write_file(source(), "f" + std::to_string(i), "mine");
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  make_dir(dir_.path(), "restored");
  for (int i = 0; i < 13; ++i) write_file(target(), "f" + std::to_string(i), "theirs");
  write_file(target(), "stranger", "x");
  RunResult r = restore(drives(3), target());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("14 entries are in the way"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stranger, which this restore would not write"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("f0 exists with other content"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("… and 4 more"), std::string::npos) << r.err;
}

TEST_F(RestoreTarget, TheDriveNotAttachedIsNamedAndTheTargetTakesTheSourceRootsModeAndMtime) {
  write_file(source(), "a", "x");
  ASSERT_EQ(::chmod(source().c_str(), 0750), 0);
  set_mtime(dir_.path(), "source", 1600000000, 987654321);
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  RunResult r =
      run_ferry({"restore", drive(0), drive(2), "--to", target(), "--key-file", key(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_NE(report["warnings"].dump().find("the drive of slot 1 (of 3) is not attached"),
            std::string::npos)
      << r.out;
  struct stat st;
  ASSERT_EQ(::stat(target().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 987654321);
}

TEST_F(RestoreTarget, AsRootTheTargetTakesTheSourceRootsOwnerAndItsSetgidBit) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a folder away needs root";
  write_file(source(), "a", "x");
  ASSERT_EQ(::chown(source().c_str(), 1001, 1002), 0);
  ASSERT_EQ(::chmod(source().c_str(), 02750), 0);
  const bool have_xattrs = ::setxattr(source().c_str(), "user.top", "folder", 6, 0) == 0;
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  RunResult r = restore(drives(3), target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st;
  ASSERT_EQ(::stat(target().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1001u);
  EXPECT_EQ(st.st_gid, 1002u);
  EXPECT_EQ(st.st_mode & 07777, 02750u);
  if (have_xattrs) {  // the folder's own attributes (a default ACL, say) come along
    char value[16];
    EXPECT_EQ(::getxattr(target().c_str(), "user.top", value, sizeof value), 6);
  }
}

}  // namespace
}  // namespace ferry::test
