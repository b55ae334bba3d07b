// The ReadAhead pool reads, hashes and compresses small files ahead of the stream and
// hands them back in plan order, whatever order its workers finish in; files it cannot
// read come back with the reason, files that grew past their buffer are left to the
// streaming path.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "codec/sha256.h"
#include "codec/zstd.h"
#include "format/constants.h"
#include "pack/read_ahead.h"
#include "support/temp_dir.h"
#include "support/tree.h"
#include "support/walked_entry.h"
#include "support/within_a_minute.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;

format::Entry file_entry(int64_t id, const std::string& path, uint64_t size) {
  format::Entry e;
  e.id = id;
  e.path = path;
  e.kind = format::EntryKind::kFile;
  e.size = size;
  return e;
}

// The bytes a ReadyFile stands for: its stored bytes, decompressed frame by frame.
std::string plain_of(const pack::ReadyFile& f) {
  if (f.entry.encoding == format::Encoding::kRaw) return {f.stored.begin(), f.stored.end()};
  std::string out;
  codec::ZstdDecompressor zstd;
  std::vector<uint8_t> frame(format::kCompressionFrameSize);
  size_t at = 0;
  for (uint32_t len : f.entry.frames) {
    size_t n = zstd.decompress(f.stored.data() + at, len, frame.data(), frame.size());
    out.append(reinterpret_cast<const char*>(frame.data()), n);
    at += len;
  }
  EXPECT_EQ(at, f.stored.size());
  return out;
}

class ReadAheadTest : public ::testing::Test {
 protected:
  void SetUp() override { make_dir(dir_.path(), "source"); }
  std::string source() { return dir_ / "source"; }
  TempDir dir_;
};

TEST_F(ReadAheadTest, ManyFilesComeBackInPlanOrderHashedAndCompressedWhenItPays) {
  std::vector<format::Entry> plan;
  std::vector<std::string> contents;
  for (int i = 0; i < 500; ++i) {
    // Every fifth a sheet that compresses, one large enough for several frames.
    std::string content = i % 5 == 0 ? csv_text(i == 0 ? 3000000 : 20000 + i, i)
                                     : random_bytes(static_cast<size_t>(i * 37 % 9000), i);
    std::string path = "d" + std::to_string(i % 7) + "/f" + std::to_string(i);
    write_file(source(), path, content, 0600 + (i % 2) * 040);
    contents.push_back(content);
    plan.push_back(file_entry(i + 1, path, content.size()));
    if (i % 50 == 0) {
      format::Entry dir;
      dir.id = 10000 + i;
      dir.kind = format::EntryKind::kDirectory;
      plan.push_back(dir);  // not wanted: skipped by the pool
    }
  }
  pack::ReadAhead pool(source(), /*compress=*/true, /*threads=*/2);
  pool.plan(plan);
  for (size_t i = 0; i < contents.size(); ++i) {
    const pack::ReadyFile& f = pool.take();
    ASSERT_EQ(f.outcome, pack::ReadyFile::kPacked) << f.reason;
    EXPECT_EQ(f.entry.id, static_cast<int64_t>(i + 1));
    EXPECT_EQ(f.entry.size, contents[i].size());
    EXPECT_EQ(f.entry.mode, 0600u + (i % 2) * 040);
    EXPECT_EQ(f.entry.sha256, codec::sha256(contents[i].data(), contents[i].size()));
    EXPECT_EQ(f.entry.encoding, i % 5 == 0 ? format::Encoding::kZstdFrames : format::Encoding::kRaw) << i;
    if (i == 0) {
      EXPECT_EQ(f.entry.frames.size(), 3u);
      EXPECT_LT(f.stored.size(), contents[i].size() / 2);
    }
    ASSERT_EQ(plain_of(f), contents[i]) << i;
  }
}

TEST_F(ReadAheadTest, ABatchPlannedBeforeTheLastIsTakenFollowsItInOrder) {
  // More tiny files than there are tiny buffers, in two batches both planned up front:
  // the pool reuses its buffers and carries on from one batch into the next.
  const size_t files = pack::ReadAhead::kBufferSizes[0].buffers * 2 + 100;
  std::vector<format::Entry> first, second;
  std::vector<std::string> contents;
  for (size_t i = 0; i < files; ++i) {
    std::string content = random_bytes(i % 200, i);
    std::string path = "t" + std::to_string(i);
    write_file(source(), path, content);
    contents.push_back(content);
    format::Entry entry = file_entry(static_cast<int64_t>(i + 1), path, content.size());
    (i < files / 2 ? first : second).push_back(entry);
  }
  pack::ReadAhead pool(source(), /*compress=*/true, /*threads=*/2);
  pool.plan(first);
  pool.plan(second);
  for (size_t i = 0; i < files; ++i) {
    const pack::ReadyFile& f = pool.take();
    ASSERT_EQ(f.outcome, pack::ReadyFile::kPacked) << f.reason;
    ASSERT_EQ(f.entry.id, static_cast<int64_t>(i + 1));
    ASSERT_EQ(std::string(f.stored.begin(), f.stored.end()), contents[i]) << i;
  }
}

TEST_F(ReadAheadTest, WithoutCompressionEveryFileIsStoredAsItIs) {
  std::string text = csv_text(100000, 1);
  write_file(source(), "sheet.csv", text);
  pack::ReadAhead pool(source(), /*compress=*/false, 1);
  std::vector<format::Entry> plan = {file_entry(1, "sheet.csv", text.size())};
  pool.plan(plan);
  const pack::ReadyFile& f = pool.take();
  ASSERT_EQ(f.outcome, pack::ReadyFile::kPacked);
  EXPECT_EQ(f.entry.encoding, format::Encoding::kRaw);
  EXPECT_EQ(std::string(f.stored.begin(), f.stored.end()), text);
}

// Read first as the walk saw them: one left alone comes back as walked; one that
// changed since (grown, within its buffer) is read again as it is now.
TEST_F(ReadAheadTest, FilesAreReadAsWalkedOrAsTheyAreNowWhenChangedSince) {
  write_file(source(), "same", "steady");
  write_file(source(), "grew", "short");
  std::vector<format::Entry> plan = {walked_entry(1, source(), "same"),
                                     walked_entry(2, source(), "grew")};
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later ctime, on any kernel
  write_file(source(), "grew", "longer now");
  pack::ReadAhead pool(source(), true, 2);
  pool.plan(plan);
  const pack::ReadyFile& same = pool.take();
  ASSERT_EQ(same.outcome, pack::ReadyFile::kPacked) << same.reason;
  EXPECT_EQ(plain_of(same), "steady");
  EXPECT_EQ(same.entry.size, 6u);
  EXPECT_EQ(same.entry.mtime_ns, plan[0].mtime_ns);
  EXPECT_EQ(same.entry.sha256, codec::sha256("steady", 6));
  const pack::ReadyFile& grew = pool.take();
  ASSERT_EQ(grew.outcome, pack::ReadyFile::kPacked) << grew.reason;
  EXPECT_EQ(plain_of(grew), "longer now");
  EXPECT_EQ(grew.entry.size, 10u);
  EXPECT_EQ(grew.entry.sha256, codec::sha256("longer now", 10));
}

// A file whose version is still the walk's is not asked for it again before reading.
// Here the entry's mode differs from the file's, which nothing but this test could
// arrange (a change of mode changes the ctime), so that the test can tell whose mode
// came back: the walk's.
TEST_F(ReadAheadTest, AFileLeftAloneSinceTheWalkIsTakenAsWalked) {
  write_file(source(), "a", "bytes", 0640);
  std::vector<format::Entry> plan = {walked_entry(1, source(), "a")};
  plan[0].mode = 0600;
  pack::ReadAhead pool(source(), true, 1);
  pool.plan(plan);
  const pack::ReadyFile& file = pool.take();
  ASSERT_EQ(file.outcome, pack::ReadyFile::kPacked) << file.reason;
  EXPECT_EQ(plain_of(file), "bytes");
  EXPECT_EQ(file.entry.mode, 0600u);
}

TEST_F(ReadAheadTest, AFileGoneSinceTheWalkIsUnreadableWithTheReason) {
  write_file(source(), "stays", "a");
  std::vector<format::Entry> plan = {file_entry(1, "gone", 10), file_entry(2, "stays", 1)};
  pack::ReadAhead pool(source(), true, 2);
  pool.plan(plan);
  const pack::ReadyFile& gone = pool.take();
  EXPECT_EQ(gone.outcome, pack::ReadyFile::kUnreadable);
  EXPECT_NE(gone.reason.find("cannot open"), std::string::npos) << gone.reason;
  const pack::ReadyFile& stays = pool.take();
  EXPECT_EQ(stays.outcome, pack::ReadyFile::kPacked);
  EXPECT_EQ(stays.entry.id, 2);
}

TEST_F(ReadAheadTest, AFileThatGrewPastItsBufferIsLeftToTheStream) {
  // The walk saw 100 bytes (a small buffer); it now holds 2 MiB.
  write_file(source(), "grew", random_bytes(2u << 20, 1));
  std::vector<format::Entry> plan = {file_entry(1, "grew", 100)};
  pack::ReadAhead pool(source(), true, 1);
  pool.plan(plan);
  EXPECT_EQ(pool.take().outcome, pack::ReadyFile::kTooLarge);
}

TEST_F(ReadAheadTest, ALinkOrFolderInPlaceOfTheFileIsNeverFollowed) {
  write_file(dir_.path(), "outside/secret", "not part of the source");
  ASSERT_EQ(::symlink((dir_ / "outside/secret").c_str(), (source() + "/link").c_str()), 0);
  make_dir(source(), "now-a-folder");
  std::vector<format::Entry> plan = {file_entry(1, "link", 22), file_entry(2, "now-a-folder", 5)};
  pack::ReadAhead pool(source(), true, 2);
  pool.plan(plan);
  const pack::ReadyFile& link = pool.take();
  EXPECT_EQ(link.outcome, pack::ReadyFile::kUnreadable) << link.reason;
  EXPECT_EQ(std::string(link.stored.begin(), link.stored.end()).find("not part of the source"), std::string::npos);
  const pack::ReadyFile& folder = pool.take();
  EXPECT_EQ(folder.outcome, pack::ReadyFile::kChanged);
  EXPECT_NE(folder.reason.find("twice"), std::string::npos) << folder.reason;
}

// Opening a FIFO for reading waits for a writer: one in place of a walked file must be
// refused at once, not hang the pack.
TEST_F(ReadAheadTest, AFifoInPlaceOfTheFileIsLeftOutWithoutWaiting) {
  write_file(source(), "was-a-file", "12345");
  std::vector<format::Entry> plan = {walked_entry(1, source(), "was-a-file"),
                                     file_entry(2, "was-a-file", 5)};
  ASSERT_EQ(::unlink((source() + "/was-a-file").c_str()), 0);
  ASSERT_EQ(::mkfifo((source() + "/was-a-file").c_str(), 0644), 0);
  auto outcomes = within_a_minute("reading a FIFO in place of a file", [&] {
    pack::ReadAhead pool(source(), true, 1);
    pool.plan(plan);
    std::vector<pack::ReadyFile::Outcome> taken;
    for (int i = 0; i < 2; ++i) taken.push_back(pool.take().outcome);
    return taken;
  });
  EXPECT_EQ(outcomes, (std::vector<pack::ReadyFile::Outcome>{pack::ReadyFile::kChanged,
                                                             pack::ReadyFile::kChanged}));
}

// The same with the walk's version of a file that has become a folder: opening it as
// walked succeeds, reading it fails, and it is then asked what it is.
TEST_F(ReadAheadTest, AWalkedFileNowAFolderIsLeftOutAsChanged) {
  write_file(source(), "was-a-file", "12345");
  std::vector<format::Entry> plan = {walked_entry(1, source(), "was-a-file")};
  ASSERT_EQ(::unlink((source() + "/was-a-file").c_str()), 0);
  make_dir(source(), "was-a-file");
  pack::ReadAhead pool(source(), true, 1);
  pool.plan(plan);
  const pack::ReadyFile& folder = pool.take();
  EXPECT_EQ(folder.outcome, pack::ReadyFile::kChanged);
  EXPECT_NE(folder.reason.find("twice"), std::string::npos) << folder.reason;
}

}  // namespace
}  // namespace ferry::test
