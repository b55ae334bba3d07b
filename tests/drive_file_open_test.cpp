// Files on a drive are opened without following a symbolic link anywhere from the
// shipment folder down, while the path the user named for the drive may hold links.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "ferry/error.h"
#include "io/file.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

const std::string kFolder = "ferry-0123456789abcdef0123456789abcdef";

class DriveFileOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.path(), "drive/" + kFolder + "/real/seg", "block");
    write_file(dir_.path(), "elsewhere/seg", "a host file");
    std::filesystem::create_symlink(dir_ / "drive", dir_ / "drive-link");
  }
  TempDir dir_;
};

TEST_F(DriveFileOpen, ALinkTheUserNamedIsFollowed) {
  io::File f = io::File::open_untrusted(dir_ / ("drive-link/" + kFolder + "/real/seg"));
  char buf[5];
  EXPECT_EQ(f.pread(buf, sizeof buf, 0), 5u);
}

TEST_F(DriveFileOpen, AFolderBelowTheShipmentFolderReplacedByALinkIsNotFollowed) {
  std::filesystem::create_symlink(dir_ / "elsewhere", dir_ / ("drive/" + kFolder + "/segments"));
  const std::string path = dir_ / ("drive/" + kFolder + "/segments/seg");
  try {
    io::File::open_untrusted(path);
    FAIL() << "followed a link planted below the shipment folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::File::open_untrusted_write(path), Error);
  EXPECT_EQ(read_whole_file(dir_ / "elsewhere/seg"), "a host file");
}

TEST_F(DriveFileOpen, AFolderListedThroughALinkBelowTheShipmentFolderIsNotListed) {
  const std::string folder = dir_ / ("drive/" + kFolder);
  auto real = io::list_drive_folder(folder + "/real");
  ASSERT_EQ(real.size(), 1u);
  EXPECT_EQ(real[0].name, "seg");
  EXPECT_EQ(real[0].st.st_size, 5);
  std::filesystem::create_symlink(dir_ / "elsewhere", folder + "/segments");
  EXPECT_TRUE(io::list_drive_folder(folder + "/segments").empty());
  EXPECT_EQ(io::list_drive_folder(dir_ / ("drive-link/" + kFolder + "/real")).size(), 1u);
}

TEST_F(DriveFileOpen, AShipmentFolderThatIsALinkIsNotFollowed) {
  const std::string other = "ferry-fedcba9876543210fedcba9876543210";
  std::filesystem::create_symlink(dir_ / "elsewhere", dir_ / ("drive/" + other));
  EXPECT_THROW(io::File::open_untrusted(dir_ / ("drive/" + other + "/seg")), Error);
  EXPECT_THROW(io::File::open_untrusted_write(dir_ / ("drive/" + other + "/new")), Error);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "elsewhere/new"));
}

}  // namespace
}  // namespace ferry::test
