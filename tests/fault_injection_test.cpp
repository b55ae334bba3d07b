// Read errors a real drive produces, injected through the ReadEnv: reads of chosen
// segment files (or of single blocks, like a bad sector) fail with EIO or come back
// short, or the file cannot be opened. verify must count each such block on the right
// drive (unreadable, truncated, missing) and say "recoverable" while at most M slots of
// a stripe are affected and "data lost" beyond; restore must still give exact bytes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "ferry/error.h"
#include "ferry/pack.h"
#include "ferry/read_env.h"
#include "ferry/restore.h"
#include "ferry/verify.h"
#include "format/drive_folder.h"
#include "format/label.h"
#include "support/temp_dir.h"

namespace ferry {
namespace {

enum class Fault { kEio, kShortRead, kOpenFails };

// Wraps the real file system; reads of the files (or byte ranges) it was told about fail.
class FaultInjectingReadEnv : public io::ReadEnv {
 public:
  // Every read of `path` overlapping [from, to) fails as `fault` says.
  void inject(const std::string& path, Fault fault, uint64_t from = 0, uint64_t to = UINT64_MAX) {
    faults_[path].push_back({fault, from, to});
  }
  uint64_t hits() const { return hits_; }
  void clear() {
    faults_.clear();
    hits_ = 0;
  }

  std::unique_ptr<io::RandomAccessFile> open(const std::string& path) const override {
    auto it = faults_.find(path);
    if (it == faults_.end()) return io::ReadEnv::posix().open(path);
    for (const Rule& r : it->second) {
      if (r.fault == Fault::kOpenFails) {
        ++hits_;
        throw Error(ErrorKind::kIO, "cannot open " + path + ": Input/output error");
      }
    }
    return std::make_unique<FaultyFile>(io::ReadEnv::posix().open(path), path, it->second, hits_);
  }

 private:
  struct Rule {
    Fault fault;
    uint64_t from, to;
  };

  class FaultyFile : public io::RandomAccessFile {
   public:
    FaultyFile(std::unique_ptr<io::RandomAccessFile> inner, std::string path,
               std::vector<Rule> rules, std::atomic<uint64_t>& hits)
        : inner_(std::move(inner)), path_(std::move(path)), rules_(std::move(rules)), hits_(hits) {}

    size_t pread(void* buf, size_t len, uint64_t offset) const override {
      for (const Rule& r : rules_) {
        if (offset >= r.to || offset + len <= r.from) continue;
        ++hits_;
        if (r.fault == Fault::kEio) {
          throw Error(ErrorKind::kIO, "cannot read " + path_ + ": Input/output error");
        }
        if (r.fault == Fault::kShortRead) {
          // The device gave up half way: fewer bytes than asked, though the file is longer.
          return inner_->pread(buf, len / 2, offset);
        }
      }
      return inner_->pread(buf, len, offset);
    }

   private:
    std::unique_ptr<io::RandomAccessFile> inner_;
    std::string path_;
    std::vector<Rule> rules_;
    std::atomic<uint64_t>& hits_;
  };

  std::map<std::string, std::vector<Rule>> faults_;
  mutable std::atomic<uint64_t> hits_{0};
};

std::string random_content(size_t len, std::mt19937_64& rng) {
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct LayoutCase {
  uint32_t n = 0, parity = 0;
};

constexpr uint32_t kBlock = 4096;
constexpr uint64_t kSegmentStripes = 3;

class FaultInjection : public ::testing::TestWithParam<LayoutCase> {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(GetParam().n * 1000 + GetParam().parity);
    std::string src = dir_ / "source";
    ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((src + "/sub").c_str(), 0755), 0);
    const size_t sizes[] = {0, 1, 100, 4068, 4069, 9000, 20000, 33333, 50000, 70000};
    for (size_t i = 0; i < std::size(sizes); ++i) {
      std::string rel = (i % 3 ? "sub/f" : "f") + std::to_string(i);
      files_[rel] = random_content(sizes[i], rng);
      std::ofstream(src + "/" + rel, std::ios::binary) << files_[rel];
    }
    PackOptions o;
    o.source = src;
    for (uint32_t i = 0; i < n(); ++i) {
      o.drives.push_back(dir_ / ("drive" + std::to_string(i)));
      ASSERT_EQ(::mkdir(o.drives.back().c_str(), 0755), 0);
    }
    o.parity = m();
    o.block_size = kBlock;
    o.segment_bytes = kSegmentStripes * (64 + kBlock) + 100;
    std::array<uint8_t, 32> key;
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    o.credentials.key_file = key;
    o.threads = 2;
    o.check_space = false;
    Progress progress;
    PackReport report = pack_shipment(o, progress);
    drives_ = o.drives;
    credentials_ = o.credentials;
    stripes_ = report.stripes;
    ASSERT_GE(stripes_, 3 * kSegmentStripes) << "the tree should fill at least 3 segments";
    ASSERT_EQ(format::read_label(folder(0)).layout.segment_stripes, kSegmentStripes);
  }

  uint32_t n() const { return GetParam().n; }
  uint32_t m() const { return GetParam().parity; }
  std::string folder(uint32_t slot) const {
    return format::find_shipment_folders(drives_[slot]).at(0);
  }
  std::string segment(uint32_t slot, uint64_t index) const {
    return format::segment_path(folder(slot), index);
  }
  uint64_t record() const { return 64 + kBlock; }

  VerifyReport verify(bool keyed = false) {
    VerifyOptions o;
    o.drives = drives_;
    o.env = &env_;
    o.threads = 2;
    if (keyed) o.credentials = credentials_;
    Progress progress;
    return verify_shipment(o, progress);
  }

  // The report's entry for the drive of `slot`.
  static const DriveCheck& check(const VerifyReport& r, uint32_t slot) {
    for (const DriveCheck& d : r.drives) {
      if (d.slot == static_cast<int>(slot) && d.role == DriveRole::kMember) return d;
    }
    throw std::runtime_error("no member entry for slot " + std::to_string(slot));
  }
  static uint64_t bad(const DriveCheck& d) {
    return d.damaged + d.missing + d.truncated + d.misplaced + d.foreign + d.unreadable;
  }

  RestoreReport restore(const std::string& to) {
    RestoreOptions o;
    o.drives = drives_;
    o.target = to;
    o.credentials = credentials_;
    o.threads = 2;
    o.env = &env_;
    Progress progress;
    return restore_shipment(o, progress);
  }

  // Every file restored exactly, except `lost`, which must be absent.
  void expect_files(const std::string& to, const std::vector<std::string>& lost = {}) {
    for (const auto& [rel, content] : files_) {
      bool is_lost = std::find(lost.begin(), lost.end(), rel) != lost.end();
      if (is_lost) {
        EXPECT_EQ(read_file(to + "/" + rel), "<missing>") << "lost " << rel << " was written";
      } else {
        EXPECT_TRUE(read_file(to + "/" + rel) == content) << rel << " not restored exactly";
      }
    }
  }

  test::TempDir dir_;
  std::map<std::string, std::string> files_;
  std::vector<std::string> drives_;
  Credentials credentials_;
  uint64_t stripes_ = 0;
  FaultInjectingReadEnv env_;
};

std::string layout_name(const ::testing::TestParamInfo<LayoutCase>& info) {
  return std::to_string(info.param.n - info.param.parity) + "plus" +
         std::to_string(info.param.parity);
}

TEST_P(FaultInjection, NothingInjectedIsIntact) {
  VerifyReport r = verify();
  EXPECT_EQ(r.verdict, Verdict::kIntact);
  for (uint32_t slot = 0; slot < n(); ++slot) EXPECT_EQ(check(r, slot).ok, stripes_);
}

TEST_P(FaultInjection, EioOnOneSegmentIsCountedUnreadableOnThatDrive) {
  for (uint32_t slot = 0; slot < n(); ++slot) {
    SCOPED_TRACE("slot " + std::to_string(slot));
    env_.clear();
    env_.inject(segment(slot, 1), Fault::kEio);
    VerifyReport r = verify();
    EXPECT_GT(env_.hits(), 0u);
    EXPECT_EQ(r.verdict, Verdict::kRecoverable);
    EXPECT_EQ(r.stripes_degraded, kSegmentStripes);
    EXPECT_EQ(r.stripes_lost, 0u);
    for (uint32_t i = 0; i < n(); ++i) {
      const DriveCheck& d = check(r, i);
      EXPECT_EQ(d.unreadable, i == slot ? kSegmentStripes : 0) << "slot " << i;
      EXPECT_EQ(bad(d), i == slot ? kSegmentStripes : 0) << "slot " << i;
    }
    EXPECT_FALSE(check(r, slot).examples.empty());
  }
}

// Labels and catalog copies are read through the ReadEnv too: an unreadable label makes
// its drive unreadable (its slot missing), an unreadable catalog copy is passed over for
// another, and both are said.
TEST_P(FaultInjection, EioOnALabelOrACatalogCopyIsReadAround) {
  env_.inject(format::label_path(folder(0)), Fault::kEio);
  env_.inject(format::catalog_path(folder(1)), Fault::kEio);
  VerifyReport r = verify(true);
  EXPECT_GT(env_.hits(), 0u);
  bool drive0_unreadable = false;
  for (const DriveCheck& d : r.drives) {
    if (d.path == drives_[0]) drive0_unreadable = d.role == DriveRole::kUnreadable;
  }
  EXPECT_TRUE(drive0_unreadable);
  EXPECT_FALSE(check(r, 1).catalog_ok);
  EXPECT_TRUE(r.catalog_intact);
  EXPECT_EQ(r.verdict, Verdict::kRecoverable);
  const std::string to = dir_ / "restored-around";
  RestoreReport restored = restore(to);
  EXPECT_TRUE(restored.lost.empty());
  expect_files(to);
}

TEST_P(FaultInjection, BadSectorMakesOneBlockUnreadable) {
  // A 512-byte range inside the payload of stripe 4's block on slot 1.
  uint64_t at = (4 % kSegmentStripes) * record() + 64 + 1024;
  env_.inject(segment(1, 4 / kSegmentStripes), Fault::kEio, at, at + 512);
  VerifyReport r = verify();
  EXPECT_EQ(r.verdict, Verdict::kRecoverable);
  EXPECT_EQ(check(r, 1).unreadable, 1u);
  EXPECT_EQ(bad(check(r, 1)), 1u);
  EXPECT_EQ(r.stripes_degraded, 1u);
}

TEST_P(FaultInjection, ShortReadsAreCountedTruncated) {
  env_.inject(segment(0, 2), Fault::kShortRead);
  VerifyReport r = verify();
  EXPECT_EQ(r.verdict, Verdict::kRecoverable);
  EXPECT_EQ(check(r, 0).truncated, kSegmentStripes);
  EXPECT_EQ(bad(check(r, 0)), kSegmentStripes);
}

TEST_P(FaultInjection, SegmentThatCannotBeOpenedIsCountedMissing) {
  env_.inject(segment(n() - 1, 0), Fault::kOpenFails);
  VerifyReport r = verify();
  EXPECT_EQ(r.verdict, Verdict::kRecoverable);
  EXPECT_EQ(check(r, n() - 1).missing, kSegmentStripes);
  EXPECT_EQ(bad(check(r, n() - 1)), kSegmentStripes);
}

TEST_P(FaultInjection, MSlotsFailingEverywhereIsStillRecoverable) {
  uint64_t segments = (stripes_ + kSegmentStripes - 1) / kSegmentStripes;
  for (uint32_t slot = 0; slot < m(); ++slot) {
    for (uint64_t s = 0; s < segments; ++s) {
      env_.inject(segment(slot * 2 % n(), s), s % 2 ? Fault::kShortRead : Fault::kEio);
    }
  }
  VerifyReport r = verify();
  EXPECT_EQ(r.verdict, Verdict::kRecoverable);
  EXPECT_EQ(r.stripes_degraded, stripes_);
  for (uint32_t slot = 0; slot < m(); ++slot) {
    const DriveCheck& d = check(r, slot * 2 % n());
    EXPECT_EQ(bad(d), stripes_);
    EXPECT_GT(d.unreadable, 0u);
  }
  VerifyReport keyed = verify(true);
  EXPECT_EQ(keyed.verdict, Verdict::kRecoverable);
  EXPECT_EQ(keyed.files_checked, files_.size());
  EXPECT_TRUE(keyed.lost_files.empty());
  EXPECT_EQ(keyed.units_unrecoverable, 0u);

  std::string to = dir_ / "restored";
  RestoreReport rr = restore(to);
  EXPECT_TRUE(rr.lost.empty());
  EXPECT_GT(rr.units_rebuilt, 0u);
  expect_files(to);
}

TEST_P(FaultInjection, OneSlotMoreThanParityLosesData) {
  // Segment 1 unreadable on M+1 slots: its stripes have only k-1 readable blocks.
  for (uint32_t slot = 0; slot <= m(); ++slot) env_.inject(segment(slot, 1), Fault::kEio);
  VerifyReport r = verify();
  EXPECT_EQ(r.verdict, Verdict::kDataLost);
  EXPECT_EQ(r.stripes_lost, kSegmentStripes);
  for (uint32_t slot = 0; slot < n(); ++slot) {
    EXPECT_EQ(check(r, slot).unreadable, slot <= m() ? kSegmentStripes : 0) << "slot " << slot;
  }
  VerifyReport keyed = verify(true);
  EXPECT_EQ(keyed.verdict, Verdict::kDataLost);
  EXPECT_FALSE(keyed.lost_files.empty());

  std::string to = dir_ / "restored";
  RestoreReport rr = restore(to);
  EXPECT_FALSE(rr.lost.empty());
  EXPECT_LT(rr.lost.size(), files_.size());
  std::sort(rr.lost.begin(), rr.lost.end());
  std::sort(keyed.lost_files.begin(), keyed.lost_files.end());
  EXPECT_EQ(rr.lost, keyed.lost_files);
  expect_files(to, rr.lost);
}

TEST_P(FaultInjection, ParityMixOfFaultsOnDifferentDrivesPerStripe) {
  // Every slot has a fault, each in a different segment (slot i in segment i), so
  // no stripe loses more than one block.
  uint64_t segments = (stripes_ + kSegmentStripes - 1) / kSegmentStripes;
  for (uint32_t slot = 0; slot < n(); ++slot) {
    if (slot >= segments) break;
    Fault f = slot % 3 == 0 ? Fault::kEio : slot % 3 == 1 ? Fault::kShortRead : Fault::kOpenFails;
    env_.inject(segment(slot, slot), f);
  }
  VerifyReport r = verify();
  EXPECT_EQ(r.verdict, Verdict::kRecoverable);
  EXPECT_EQ(r.stripes_lost, 0u);
  std::string to = dir_ / "restored";
  RestoreReport rr = restore(to);
  EXPECT_TRUE(rr.lost.empty());
  expect_files(to);
}

INSTANTIATE_TEST_SUITE_P(Layouts, FaultInjection,
                         ::testing::Values(LayoutCase{4, 1}, LayoutCase{6, 2}), layout_name);

}  // namespace
}  // namespace ferry
