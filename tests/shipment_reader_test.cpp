// The random-access reader (include/ferry/shipment.h), used directly: every entry and
// byte range of a packed tree read back exactly, with all drives, with a drive missing,
// with damaged blocks, from many threads at once, around a late and a failing drive;
// and bytes that cannot be recovered are an error, never returned.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "codec/sha256.h"
#include "ferry/error.h"
#include "ferry/pack.h"
#include "ferry/shipment.h"
#include "format/drive_folder.h"
#include "format/label.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry {
namespace {

constexpr uint32_t kBlock = 64 * 1024;  // small blocks: many units and stripes per file

// Reads of one drive's files are held back by `delay`, or fail with EIO.
class SlowDriveEnv : public io::ReadEnv {
 public:
  SlowDriveEnv(std::string folder, std::chrono::milliseconds delay, bool fail)
      : folder_(std::move(folder)), delay_(delay), fail_(fail) {}
  std::unique_ptr<io::RandomAccessFile> open(const std::string& path) const override {
    auto file = io::ReadEnv::posix().open(path);
    if (path.compare(0, folder_.size(), folder_) != 0) return file;
    return std::make_unique<Slow>(std::move(file), *this);
  }
  mutable std::atomic<int> reads{0};

 private:
  struct Slow : io::RandomAccessFile {
    Slow(std::unique_ptr<io::RandomAccessFile> f, const SlowDriveEnv& env)
        : file(std::move(f)), env(env) {}
    size_t pread(void* buf, size_t len, uint64_t offset) const override {
      ++env.reads;
      if (env.fail_) throw Error(ErrorKind::kIO, "read: Input/output error");
      std::this_thread::sleep_for(env.delay_);
      return file->pread(buf, len, offset);
    }
    std::unique_ptr<io::RandomAccessFile> file;
    const SlowDriveEnv& env;
  };
  std::string folder_;
  std::chrono::milliseconds delay_;
  bool fail_;
};

class ShipmentReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string src = dir_ / "src";
    test::make_dir(dir_.path(), "src");
    files_["empty"] = "";
    files_["one"] = "x";
    files_["raw/edge"] = test::random_bytes(kBlock - 28, 1);  // exactly one unit
    files_["raw/big"] = test::random_bytes(3 * 1024 * 1024 + 12345, 2);
    files_["raw/small"] = test::random_bytes(5000, 3);
    files_["text/sheet.csv"] = test::csv_text(2 * 1024 * 1024 + 777, 4);  // zstd frames
    files_["text/deep/a/b/c.csv"] = test::csv_text(70000, 5);
    for (const auto& [rel, content] : files_) test::write_file(src, rel, content);
    test::make_dir(src, "empty-dir");
    test::make_symlink(src, "link", "raw/big");
    test::set_mtime(src, "one", 1700000000, 123456789);

    PackOptions o;
    o.source = src;
    drives_ = test::make_drives(dir_.path(), 4);
    o.drives = drives_;
    o.parity = 1;
    o.block_size = kBlock;
    o.credentials.key_file = std::array<uint8_t, 32>{7, 7, 7};
    o.threads = 2;
    o.check_space = false;
    Progress progress;
    pack_shipment(o, progress);
    credentials_ = o.credentials;
  }

  std::unique_ptr<Shipment> open(std::vector<std::string> drives,
                                 const io::ReadEnv* env = nullptr, uint64_t cache = 8 << 20) {
    ShipmentOptions o;
    o.drives = std::move(drives);
    o.credentials = credentials_;
    o.cache_bytes = cache;
    o.env = env;
    o.hedge_after_ms = 20;
    return Shipment::open(o);
  }

  // Every file read whole and at many random ranges must equal the source.
  void expect_exact(const Shipment& s, uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (const auto& [rel, content] : files_) {
      ASSERT_EQ(s.read(rel), content) << rel;
      auto entry = s.stat(rel);
      ASSERT_TRUE(entry);
      for (int i = 0; i < 20; ++i) {
        uint64_t offset = content.empty() ? 0 : rng() % (content.size() + 10);
        size_t len = rng() % 200000;
        std::string got(len, '\0');
        got.resize(s.read(*entry, offset, got.data(), len));
        std::string want = offset < content.size() ? content.substr(offset, len) : "";
        ASSERT_EQ(got, want) << rel << " at " << offset << " +" << len;
      }
    }
  }

  std::string folder(uint32_t drive) const {
    return format::find_shipment_folders(drives_[drive]).at(0);
  }
  uint32_t slot(uint32_t drive) const { return format::read_label(folder(drive)).slot; }
  std::string segment(uint32_t drive) const { return format::segment_path(folder(drive), 0); }

  test::TempDir dir_;
  std::vector<std::string> drives_;
  Credentials credentials_;
  std::map<std::string, std::string> files_;
};

TEST_F(ShipmentReaderTest, ListsEntriesWithTheirMetadataAndChildrenByFolder) {
  auto s = open(drives_);
  EXPECT_EQ(s->id().size(), 32u);
  EXPECT_EQ(s->k(), 3u);
  EXPECT_EQ(s->m(), 1u);
  std::set<std::string> all;
  s->list("", [&](const ShipmentEntry& e) { return all.insert(e.path), true; });
  for (const auto& [rel, content] : files_) EXPECT_TRUE(all.count(rel)) << rel;
  EXPECT_TRUE(all.count("empty-dir"));
  EXPECT_TRUE(all.count("link"));

  std::set<std::string> under_text;
  s->list("text/", [&](const ShipmentEntry& e) { return under_text.insert(e.path), true; });
  EXPECT_EQ(under_text, (std::set<std::string>{"text/sheet.csv", "text/deep", "text/deep/a",
                                                "text/deep/a/b", "text/deep/a/b/c.csv"}));
  std::set<std::string> top;
  s->children("", [&](const ShipmentEntry& e) { return top.insert(e.path), true; });
  EXPECT_EQ(top, (std::set<std::string>{"empty", "one", "raw", "text", "empty-dir", "link"}));
  std::set<std::string> raw;
  s->children("raw", [&](const ShipmentEntry& e) { return raw.insert(e.path), true; });
  EXPECT_EQ(raw, (std::set<std::string>{"raw/edge", "raw/big", "raw/small"}));

  auto one = s->stat("one");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->kind, ShipmentEntry::Kind::kFile);
  EXPECT_EQ(one->mtime_ns, 1700000000123456789);
  EXPECT_EQ(one->size, 1u);
  EXPECT_EQ(one->sha256, codec::sha256("x", 1));
  auto link = s->stat("link");
  ASSERT_TRUE(link);
  EXPECT_EQ(link->kind, ShipmentEntry::Kind::kSymlink);
  EXPECT_EQ(link->target, "raw/big");
  EXPECT_FALSE(s->stat("nope"));
  EXPECT_EQ(s->stat("")->kind, ShipmentEntry::Kind::kDirectory);
}

TEST_F(ShipmentReaderTest, ReadsAnyRangeExactlyWithAllDrives) {
  auto s = open(drives_);
  expect_exact(*s, 1);
  ShipmentStats st = s->stats();
  EXPECT_EQ(st.stripes_rebuilt, 0u) << "all drives present and intact: nothing to rebuild";
  EXPECT_GT(st.cache_hits, 0u);
  EXPECT_GT(st.frames_opened, 0u);
  EXPECT_GE(st.files_verified, files_.size() - 1);  // read whole: checked against SHA-256
  for (uint64_t b : st.bytes_per_slot) EXPECT_GT(b, 0u) << "rotation spreads reads over drives";
}

TEST_F(ShipmentReaderTest, ReadsEveryByteWithAnyOneDriveMissing) {
  for (size_t gone = 0; gone < drives_.size(); ++gone) {
    std::vector<std::string> left = drives_;
    left.erase(left.begin() + static_cast<long>(gone));
    auto s = open(left);
    EXPECT_EQ(s->missing_slots().size(), 1u);
    expect_exact(*s, gone);
    EXPECT_GT(s->stats().stripes_rebuilt, 0u);
  }
}

TEST_F(ShipmentReaderTest, RebuildsDamagedBlocksAndNeverReturnsThem) {
  // Garbage over the middle of one drive's first segment: CRCs fail there.
  int fd = ::open(segment(1).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  std::string junk = test::random_bytes(3 * kBlock, 99);
  ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), 5 * kBlock), static_cast<ssize_t>(junk.size()));
  ::close(fd);
  auto s = open(drives_);
  expect_exact(*s, 2);
  EXPECT_GT(s->stats().errors_per_slot[slot(1)], 0u);
}

TEST_F(ShipmentReaderTest, BeyondParityIsAnErrorNotWrongBytes) {
  // Two drives damaged over the same region: those stripes have only 2 of 4 members.
  for (uint32_t d : {0u, 2u}) {
    int fd = ::open(segment(d).c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    std::string junk = test::random_bytes(40 * (kBlock + 64), 100 + d);
    ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
    ::close(fd);
  }
  auto s = open(drives_);
  int errors = 0;
  for (const auto& [rel, content] : files_) {
    if (content.empty()) continue;
    try {
      EXPECT_EQ(s->read(rel), content) << rel << ": returned, so it must be exact";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorruption) << e.what();
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST_F(ShipmentReaderTest, ManyThreadsReadAtOnce) {
  auto s = open(drives_, nullptr, 1 << 20);  // a small cache: threads evict each other
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::vector<std::string> names;
      for (const auto& [rel, c] : files_) names.push_back(rel);
      for (int i = 0; i < 200; ++i) {
        const std::string& rel = names[rng() % names.size()];
        const std::string& content = files_.at(rel);
        uint64_t offset = content.empty() ? 0 : rng() % content.size();
        uint64_t len = rng() % 100000;
        if (s->read(rel, offset, len) != content.substr(std::min(offset, content.size()), len)) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
}

TEST_F(ShipmentReaderTest, ReadsAroundALateDriveAndNamesIt) {
  const uint32_t slow_slot = slot(2);
  SlowDriveEnv env(folder(2), std::chrono::milliseconds(400), false);
  auto s = open(drives_, &env);
  EXPECT_EQ(s->read("raw/big"), files_["raw/big"]);
  ShipmentStats st = s->stats();
  EXPECT_GT(st.slow_per_slot[slow_slot], 0u);
  for (uint32_t slot = 0; slot < st.slow_per_slot.size(); ++slot) {
    if (slot != slow_slot) EXPECT_EQ(st.slow_per_slot[slot], 0u) << "slot " << slot;
  }
  EXPECT_GT(st.stripes_rebuilt, 0u);
}

TEST_F(ShipmentReaderTest, ALateDriveIsJudgedAgainstTheOthersNotAFixedTime) {
  // The fixed bound is far away (5 s): only the drives' usual time can make the reader
  // hedge a drive that takes 80 ms a block where the others take well under one.
  SlowDriveEnv env(folder(1), std::chrono::milliseconds(80), false);
  ShipmentOptions o;
  o.drives = drives_;
  o.credentials = credentials_;
  o.env = &env;
  o.hedge_after_ms = 5000;
  auto s = Shipment::open(o);
  EXPECT_EQ(s->read("raw/big"), files_["raw/big"]);
  EXPECT_GT(s->stats().slow_per_slot[slot(1)], 0u);
}

TEST_F(ShipmentReaderTest, ReadsAroundAFailingDrive) {
  SlowDriveEnv env(folder(0), std::chrono::milliseconds(0), true);
  auto s = open(drives_, &env);
  expect_exact(*s, 3);
  EXPECT_GT(env.reads, 0);
  EXPECT_GT(s->stats().errors_per_slot[slot(0)], 0u);
}

TEST_F(ShipmentReaderTest, RefusesWithoutKeyOrWithTooFewDrives) {
  ShipmentOptions o;
  o.drives = drives_;
  EXPECT_THROW(Shipment::open(o), Error);
  try {
    open({drives_[0], drives_[1]});
    FAIL() << "two of four drives with k = 3 must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotEnoughDrives);
  }
  o.credentials.key_file = std::array<uint8_t, 32>{1};
  try {
    Shipment::open(o);
    FAIL() << "a wrong key must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kWrongKey);
  }
}

}  // namespace
}  // namespace ferry
