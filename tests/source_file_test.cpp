// A source file opened as the walk saw it takes the walk's version (size, mtime, ctime,
// inode) for its own instead of asking the file, so that reading it costs one fstat:
// the one after reading, which must then find that very version. Anything that changed
// the file since the walk, even with its size and mtime put back, or while it was read,
// makes it "changed".
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "pack/source_file.h"
#include "support/temp_dir.h"
#include "support/tree.h"
#include "support/walked_entry.h"
#include "util/dir_chain.h"

namespace ferry::test {
namespace {

std::string read_whole(const pack::SourceFile& file) {
  std::string bytes(file.size() + 1, '\0');
  ssize_t n = pack::read_expected(file.fd(), bytes.data(), file.size());
  EXPECT_GE(n, 0);
  bytes.resize(static_cast<size_t>(n));
  return bytes;
}

// A later change must get a later ctime: kernels without fine-grained timestamps stamp
// changes with a clock that moves a few milliseconds at a time.
void let_the_clock_move() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

class SourceFileTest : public ::testing::Test {
 protected:
  void SetUp() override { write_file(dir_.path(), "a.txt", "hello", 0640); }
  // Rewrites a.txt in place with bytes of the same size and puts its mtime back.
  void rewrite_keeping_size_and_mtime(const format::Entry& seen) {
    let_the_clock_move();
    write_file(dir_.path(), "a.txt", "HELLO", 0640);
    set_mtime(dir_.path(), "a.txt", seen.mtime_ns / 1000000000, seen.mtime_ns % 1000000000);
  }
  TempDir dir_;
  util::DirChain chain_{dir_.path()};
  pack::ReadFailure failure_ = pack::ReadFailure::kNone;
  std::string reason_;
};

TEST_F(SourceFileTest, AFileAsTheWalkSawItIsUnchangedAndDescribedSo) {
  const format::Entry seen = walked_entry(1, dir_.path(), "a.txt");
  pack::SourceFile file(chain_, seen, &failure_, &reason_);
  ASSERT_EQ(failure_, pack::ReadFailure::kNone) << reason_;
  EXPECT_EQ(read_whole(file), "hello");
  EXPECT_TRUE(file.unchanged());
  format::Entry described;
  file.describe(described);
  EXPECT_EQ(described.size, 5u);
  EXPECT_EQ(described.mode, 0640u);
  EXPECT_EQ(described.mtime_ns, seen.mtime_ns);
}

// The version to keep is the walk's, not the one found on opening: a file changed in
// between is not taken as it was walked, though it holds still while it is read. Opened
// as it is now, the same file is unchanged.
TEST_F(SourceFileTest, AFileChangedSinceTheWalkIsNotTheWalksVersion) {
  const format::Entry seen = walked_entry(1, dir_.path(), "a.txt");
  rewrite_keeping_size_and_mtime(seen);
  ASSERT_EQ(walked_entry(1, dir_.path(), "a.txt").mtime_ns, seen.mtime_ns);

  pack::SourceFile as_walked(chain_, seen, &failure_, &reason_);
  ASSERT_EQ(failure_, pack::ReadFailure::kNone) << reason_;
  EXPECT_EQ(read_whole(as_walked), "HELLO");
  EXPECT_FALSE(as_walked.unchanged());

  pack::SourceFile as_now(chain_, "a.txt", &failure_, &reason_);
  ASSERT_EQ(failure_, pack::ReadFailure::kNone) << reason_;
  EXPECT_EQ(read_whole(as_now), "HELLO");
  EXPECT_TRUE(as_now.unchanged());
}

TEST_F(SourceFileTest, AFileChangedWhileOpenIsChangedEitherWay) {
  const format::Entry seen = walked_entry(1, dir_.path(), "a.txt");
  pack::SourceFile as_walked(chain_, seen, &failure_, &reason_);
  ASSERT_EQ(failure_, pack::ReadFailure::kNone) << reason_;
  pack::SourceFile as_now(chain_, "a.txt", &failure_, &reason_);
  ASSERT_EQ(failure_, pack::ReadFailure::kNone) << reason_;
  rewrite_keeping_size_and_mtime(seen);
  EXPECT_FALSE(as_walked.unchanged());
  EXPECT_FALSE(as_now.unchanged());
}

// A file replaced by another of the same size and times is a different inode.
TEST_F(SourceFileTest, AFileReplacedSinceTheWalkIsNotTheWalksVersion) {
  format::Entry seen = walked_entry(1, dir_.path(), "a.txt");
  write_file(dir_.path(), "b.txt", "HELLO", 0640);
  ASSERT_EQ(::rename((dir_ / "b.txt").c_str(), (dir_ / "a.txt").c_str()), 0);
  const format::Entry now = walked_entry(1, dir_.path(), "a.txt");
  ASSERT_NE(now.inode, seen.inode);
  seen.ctime_ns = now.ctime_ns;  // only the inode tells them apart
  seen.mtime_ns = now.mtime_ns;
  pack::SourceFile file(chain_, seen, &failure_, &reason_);
  ASSERT_EQ(failure_, pack::ReadFailure::kNone) << reason_;
  EXPECT_EQ(read_whole(file), "HELLO");
  EXPECT_FALSE(file.unchanged());
}

}  // namespace
}  // namespace ferry::test
