// A replacement file written piece by piece (a catalog copy) takes the old file's place
// only when committed, whole, whatever an earlier crash left behind.
#include <gtest/gtest.h>

#include "ferry/write_env.h"
#include "io/file.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

void append(io::ReplacementFile& f, const std::string& s) { f.append(s.data(), s.size()); }

TEST(WriteEnvReplace, TheOldFileStaysUntilCommitThenTheNewOneIsWhole) {
  TempDir dir;
  write_file(dir.path(), "catalog", "old contents");
  auto f = io::WriteEnv::posix().replace(dir / "catalog");
  append(*f, "new ");
  append(*f, "contents, longer than before");
  EXPECT_EQ(io::read_whole_file(dir / "catalog"), "old contents");
  f->commit();
  EXPECT_EQ(io::read_whole_file(dir / "catalog"), "new contents, longer than before");
  EXPECT_FALSE(io::exists(dir / "catalog.tmp"));
}

TEST(WriteEnvReplace, ALongerLeftoverFromACrashLeavesNoTail) {
  TempDir dir;
  write_file(dir.path(), "catalog.tmp", std::string(1000, 'x'));
  auto f = io::WriteEnv::posix().replace(dir / "catalog");
  append(*f, "short");
  f->commit();
  EXPECT_EQ(io::read_whole_file(dir / "catalog"), "short");
}

TEST(WriteEnvReplace, DroppedUncommittedItChangesNothing) {
  TempDir dir;
  write_file(dir.path(), "catalog", "old contents");
  {
    auto f = io::WriteEnv::posix().replace(dir / "catalog");
    append(*f, "never committed");
  }
  EXPECT_EQ(io::read_whole_file(dir / "catalog"), "old contents");
}

TEST(WriteEnvReplace, TheDiscardingEnvironmentWritesNothing) {
  TempDir dir;
  auto f = io::WriteEnv::discarding().replace(dir / "catalog");
  append(*f, "thrown away");
  f->commit();
  EXPECT_FALSE(io::exists(dir / "catalog"));
  EXPECT_FALSE(io::exists(dir / "catalog.tmp"));
}

}  // namespace
}  // namespace ferry::test
