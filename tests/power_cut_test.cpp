// A power cut during pack loses every write that was not fsynced. The environment
// below records what each unsynced write overwrote and puts it back on "power loss",
// like LevelDB's fault-injection test. Whatever moment the power fails, running pack
// again must finish a shipment that verifies intact and restores exactly: a checkpoint
// may only be recorded once the blocks it covers are durable.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <map>
#include <mutex>

#include "codec/kdf.h"
#include "ferry/error.h"
#include "ferry/pack.h"
#include "ferry/repair.h"
#include "ferry/restore.h"
#include "ferry/verify.h"
#include "format/drive_folder.h"
#include "format/label.h"
#include "io/file.h"
#include "read/drive_set.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

class PowerCutEnv : public io::WriteEnv {
 public:
  explicit PowerCutEnv(int cut_at) : cut_at_(cut_at) {}

  std::unique_ptr<io::WritableFile> open(const std::string& path) const override {
    tick();
    return std::make_unique<File>(this, path);
  }

  // Each durable once done: the real rename syncs the folder, and removing or cutting
  // a file that matters is followed by a sync before anything relies on it.
  void rename(const std::string& from, const std::string& to) const override {
    tick();
    io::WriteEnv::posix().rename(from, to);
    std::lock_guard lock(mutex_);
    if (auto it = unsynced_.find(from); it != unsynced_.end()) {
      unsynced_[to] = std::move(it->second);
      unsynced_.erase(it);
    }
  }
  void remove(const std::string& path) const override {
    tick();
    io::WriteEnv::posix().remove(path);
    std::lock_guard lock(mutex_);
    unsynced_.erase(path);
  }
  void truncate(const std::string& path, uint64_t size) const override {
    tick();
    io::WriteEnv::posix().truncate(path, size);
  }

  // The power comes back: every write not fsynced since is undone.
  void lose_unsynced() {
    for (auto& [path, undos] : unsynced_) {
      io::File f = io::File::open_write(path, false);
      for (auto it = undos.rbegin(); it != undos.rend(); ++it) {
        f.pwrite(it->old.data(), it->old.size(), it->offset);
        if (::ftruncate(f.fd(), static_cast<off_t>(it->old_size)) != 0) throw std::runtime_error("ftruncate");
      }
    }
    unsynced_.clear();
  }

  int operations() const { return ops_; }
  bool was_cut() const { return cut_; }

 private:
  struct Undo {
    uint64_t offset;
    std::string old;  // the bytes the write replaced
    uint64_t old_size;
  };

  class File : public io::WritableFile {
   public:
    // Read-write: the bytes a write replaces are read back first. Repair, unlike pack,
    // writes below a file's end (its threads finish stripes out of order).
    File(const PowerCutEnv* env, std::string path)
        : env_(env), path_(std::move(path)), file_(open_read_write(path_)) {}
    void pwrite(const void* buf, size_t len, uint64_t offset) override {
      env_->tick();
      Undo undo{offset, std::string(), file_.size()};
      if (offset < undo.old_size) {
        undo.old.resize(std::min<uint64_t>(len, undo.old_size - offset));
        file_.pread(undo.old.data(), undo.old.size(), offset);
      }
      {
        std::lock_guard lock(env_->mutex_);
        env_->unsynced_[path_].push_back(std::move(undo));
      }
      file_.pwrite(buf, len, offset);
    }
    void sync() override {
      env_->tick();
      std::lock_guard lock(env_->mutex_);
      env_->unsynced_.erase(path_);  // fsync makes the inode durable, through any handle
    }
    void close() override { file_.close(); }

   private:
    static io::File open_read_write(const std::string& path) {
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) throw_errno("cannot open " + path, errno);
      return io::File(fd, path);
    }
    const PowerCutEnv* env_;
    std::string path_;
    io::File file_;
  };

  void tick() const {
    std::lock_guard lock(mutex_);
    if (cut_ || ++ops_ >= cut_at_) {
      cut_ = true;
      throw Error(ErrorKind::kIO, "simulated power cut");
    }
  }

  int cut_at_;
  mutable std::mutex mutex_;
  mutable int ops_ = 0;
  mutable bool cut_ = false;
  mutable std::map<std::string, std::vector<Undo>> unsynced_;
};

class PowerCut : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 40; ++i) {
      write_file(dir_.path(), "source/d" + std::to_string(i % 4) + "/f" + std::to_string(i),
                 i % 2 ? random_bytes(2000 + i * 1500, i) : csv_text(3000 + i * 900, i));
    }
    drives_ = make_drives(dir_.path(), 4);
    codec::random_bytes(key_.data(), key_.size());
  }

  // Empties the drives for the next round.
  void fresh_drives() {
    for (const std::string& drive : drives_) io::remove_tree(drive);
    drives_ = make_drives(dir_.path(), 4);
  }

  PackOptions options(const io::WriteEnv* env) {
    PackOptions o;
    o.source = dir_ / "source";
    o.drives = drives_;
    o.parity = 1;
    o.block_size = 4096;
    o.credentials.key_file = key_;
    o.checkpoint_bytes = 40000;
    o.threads = 2;
    o.env = env;
    return o;
  }

  TempDir dir_;
  std::vector<std::string> drives_;
  std::array<uint8_t, 32> key_{};
};

TEST_F(PowerCut, PackResumesToAnIntactShipmentWhereverThePowerFails) {
  Progress progress;
  PowerCutEnv counter(INT_MAX);
  int total = 0;
  {
    TempDir probe_drives;
    PackOptions o = options(&counter);
    o.drives.clear();
    for (int i = 0; i < 4; ++i) {
      make_dir(probe_drives.path(), "d" + std::to_string(i));
      o.drives.push_back(probe_drives / ("d" + std::to_string(i)));
    }
    pack_shipment(o, progress);
    total = counter.operations();
  }
  ASSERT_GT(total, 20);
  int cuts = 0;
  for (int cut_at = 1; cut_at < total; cut_at += std::max(1, total / 12)) {
    SCOPED_TRACE("power cut at write " + std::to_string(cut_at) + " of " + std::to_string(total));
    PowerCutEnv env(cut_at);
    try {
      pack_shipment(options(&env), progress);  // a cut among the last removals is no error
    } catch (const Error&) {
    }
    ASSERT_TRUE(env.was_cut());
    env.lose_unsynced();
    ++cuts;

    PackReport done = pack_shipment(options(nullptr), progress);
    EXPECT_EQ(done.files, 40u);

    VerifyOptions v;
    v.drives = drives_;
    v.credentials.key_file = key_;
    VerifyReport report = verify_shipment(v, progress);
    EXPECT_EQ(report.verdict, Verdict::kIntact) << report.stripes_degraded << " degraded, "
                                                << report.lost_files.size() << " files lost";
    RestoreOptions r;
    r.drives = v.drives;
    r.target = dir_ / ("restored-" + std::to_string(cut_at));
    r.credentials.key_file = key_;
    RestoreReport restored = restore_shipment(r, progress);
    EXPECT_TRUE(restored.lost.empty());
    EXPECT_EQ(compare_trees(dir_ / "source", r.target), "");
    fresh_drives();  // the next round starts from empty drives
  }
  EXPECT_GE(cuts, 10);
}

// The last writes of a pack publish the four labels as "complete", on every drive at
// once, each written to a temporary file, synced and renamed into place; then the last
// checkpoint's files go. A cut anywhere among them leaves every label whole, old or new,
// and running pack again completes the others instead of refusing the drives as holding
// an unfinished pack.
TEST_F(PowerCut, PackCompletesLabelsLeftHalfPublished) {
  Progress progress;
  PowerCutEnv counter(INT_MAX);
  pack_shipment(options(&counter), progress);
  const int total = counter.operations();
  // Per label: a leftover temporary removed, opened, written, synced, renamed; then one
  // checkpoint file removed per drive. Every other one is cut at.
  const int publication = 4 * 5 + 4;
  int half_published = 0;
  for (int cut_at = total - publication + 1; cut_at <= total; cut_at += 2) {
    SCOPED_TRACE("power cut at write " + std::to_string(cut_at) + " of " + std::to_string(total));
    fresh_drives();
    PowerCutEnv env(cut_at);
    try {
      pack_shipment(options(&env), progress);  // a cut among the removals is not an error
    } catch (const Error&) {
    }
    ASSERT_TRUE(env.was_cut());
    env.lose_unsynced();
    int complete = 0;
    for (const std::string& drive : drives_) {
      auto folders = format::find_shipment_folders(drive);
      ASSERT_EQ(folders.size(), 1u);
      format::Label label;
      ASSERT_NO_THROW(label = format::read_label(folders[0])) << "a torn label on " << drive;
      complete += label.complete();
    }
    if (complete > 0 && complete < 4) {
      ++half_published;
      int told = 0;  // drives whose readers are told to run pack again
      for (const read::DriveRecord& d : read::open_drives(drives_).drives) {
        told += d.problem.find("run the same `ferry pack` command again") != std::string::npos;
      }
      EXPECT_GT(told, 0);
    }

    PackReport done = pack_shipment(options(nullptr), progress);
    if (complete > 0) {
      EXPECT_TRUE(done.already_complete);
      EXPECT_EQ(done.labels_completed, static_cast<uint32_t>(4 - complete));
    }
    EXPECT_EQ(done.files, 40u);
    for (int i = 0; i < 4; ++i) {
      format::Label label = format::read_label(format::find_shipment_folders(drives_[i])[0]);
      EXPECT_TRUE(label.complete()) << "drive " << i;
      EXPECT_EQ(label.slot, static_cast<uint32_t>(i));
      EXPECT_FALSE(label.checkpoint);
    }
    VerifyOptions v;
    v.drives = drives_;
    v.credentials.key_file = key_;
    EXPECT_EQ(verify_shipment(v, progress).verdict, Verdict::kIntact);
  }
  EXPECT_GT(half_published, 0) << "no cut left some labels complete and others not";
}

// A pack resumed after the source lost files packs a shorter stream than the attempt cut
// short had begun: that attempt's blocks past the new end are cut off the drives, through
// the same environment, so that no drive holds blocks beyond what its label claims.
TEST_F(PowerCut, AResumedPackCutsOffTheBlocksOfTheEarlierAttemptPastItsEnd) {
  Progress progress;
  PowerCutEnv counter(INT_MAX);
  pack_shipment(options(&counter), progress);
  const int total = counter.operations();
  fresh_drives();
  // Cut among the final catalog's writes: every block is on the drives, durable or not,
  // as a process killed there leaves them.
  PowerCutEnv env(total - 40);
  EXPECT_THROW(pack_shipment(options(&env), progress), Error);
  ASSERT_TRUE(env.was_cut());
  // The last file in walk order, packed after the last checkpoint (d3/f39 alone passes
  // the checkpoint interval): the resumed stream comes out shorter. A file packed before
  // the checkpoint that changed would make the resume refuse.
  std::filesystem::remove(dir_ / "source/d3/f7");

  PackReport done = pack_shipment(options(nullptr), progress);
  EXPECT_TRUE(done.resumed);
  VerifyOptions v;
  v.drives = drives_;
  VerifyReport keyless = verify_shipment(v, progress);
  EXPECT_FALSE(keyless.blocks_beyond_labels) << "blocks of the earlier attempt were left";
  EXPECT_EQ(keyless.verdict, Verdict::kIntact);
  v.credentials.key_file = key_;
  EXPECT_EQ(verify_shipment(v, progress).verdict, Verdict::kIntact);
}

// Repair writes through the same environment: a power cut anywhere while it rebuilds a
// lost drive onto a blank one loses only what was not yet durable, and repair run again
// finishes a shipment that verifies intact. The rebuilt drive's label comes last, so a
// cut before it leaves the slot missing, never a drive that claims blocks it lacks.
TEST_F(PowerCut, RepairRebuildingALostDriveFinishesWhereverThePowerFails) {
  Progress progress;
  pack_shipment(options(nullptr), progress);
  auto repair_options = [&](const io::WriteEnv* env, const std::string& blank) {
    RepairOptions o;
    o.drives = {drives_[0], drives_[1], drives_[2]};
    o.rebuild = {blank};
    o.threads = 2;
    o.write_env = env;
    return o;
  };
  PowerCutEnv counter(INT_MAX);
  make_dir(dir_.path(), "probe-blank");
  repair_shipment(repair_options(&counter, dir_ / "probe-blank"), progress);
  const int total = counter.operations();
  ASSERT_GT(total, 5);
  int cuts = 0;
  for (int cut_at = 1; cut_at <= total; cut_at += std::max(1, total / 8)) {
    SCOPED_TRACE("power cut at write " + std::to_string(cut_at) + " of " + std::to_string(total));
    const std::string blank = dir_ / ("blank-" + std::to_string(cut_at));
    make_dir(dir_.path(), "blank-" + std::to_string(cut_at));
    PowerCutEnv env(cut_at);
    EXPECT_THROW(repair_shipment(repair_options(&env, blank), progress), Error);
    ASSERT_TRUE(env.was_cut());
    env.lose_unsynced();
    ++cuts;
    EXPECT_EQ(read::open_drives({drives_[0], drives_[1], drives_[2], blank}).present(), 3u)
        << "the rebuilt drive was published before its blocks were durable";

    RepairReport done = repair_shipment(repair_options(nullptr, blank), progress);
    EXPECT_EQ(done.slots_rebuilt.size(), 1u);
    VerifyOptions v;
    v.drives = {drives_[0], drives_[1], drives_[2], blank};
    v.credentials.key_file = key_;
    EXPECT_EQ(verify_shipment(v, progress).verdict, Verdict::kIntact);
    io::remove_tree(blank);
  }
  EXPECT_GE(cuts, 5);
}

}  // namespace
}  // namespace ferry::test
