// kill -9 at seeded moments during pack, restore and repair; running the same command
// again must finish with exactly the result of an uninterrupted run, and no nonce may
// ever seal two different plaintexts.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "codec/crc32c.h"
#include "codec/sha256.h"
#include "e2e/fixture.h"
#include "ferry/error.h"
#include "format/block.h"
#include "format/drive_folder.h"
#include "io/file.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;

void make_source(const std::string& root, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 60; ++i) {
    size_t len = 1000 + rng() % 150000;
    std::string name = "dir" + std::to_string(i % 5) + "/file-" + std::to_string(i);
    write_file(root, name, i % 3 ? random_bytes(len, seed * 100 + i) : csv_text(len, seed * 100 + i));
  }
}

// Every data block on the drives, valid by header and CRC: nonce -> digest of payload.
// A nonce seen with two different payloads means a (key, nonce) pair was reused.
void collect_nonces(const std::vector<std::string>& drives,
                    std::map<std::string, std::string>& seen, int& reuses) {
  for (const std::string& drive : drives) {
    for (const std::string& folder : format::find_shipment_folders(drive)) {
      format::Label label;
      try {
        label = format::read_label(folder);
      } catch (const Error&) {
        continue;  // killed while claiming the drive: no blocks yet
      }
      const format::Layout& layout = label.layout;
      std::string segments = io::join(folder, format::kSegmentDir);
      if (!fs::exists(segments)) continue;
      for (const auto& entry : fs::directory_iterator(segments)) {
        std::string data = io::read_whole_file(entry.path());
        for (size_t off = 0; off + layout.record_size() <= data.size(); off += layout.record_size()) {
          const auto* rec = reinterpret_cast<const uint8_t*>(data.data() + off);
          std::string why;
          auto h = format::decode_block_header(rec, &why);
          if (!h || h->member >= layout.k) continue;
          const uint8_t* payload = rec + format::kBlockHeaderSize;
          if (codec::crc32c(payload, layout.block_size) != h->payload_crc) continue;
          std::string nonce(reinterpret_cast<const char*>(payload), codec::kNonceSize);
          std::string digest = codec::to_hex(codec::sha256(payload, layout.block_size));
          auto [it, inserted] = seen.emplace(nonce, digest);
          if (!inserted && it->second != digest) ++reuses;
        }
      }
    }
  }
}

class Crash : public ShipmentTest {
 protected:
  std::vector<std::string> pack_args(int n, int parity) { return pack_args_onto(drives(n), parity); }
  std::vector<std::string> pack_args_onto(const std::vector<std::string>& onto, int parity) {
    std::vector<std::string> args = {"pack", source(), "--parity", std::to_string(parity),
                                     "--key-file", key(), "--block-size", "4",
                                     "--checkpoint-bytes", "60000", "--quiet", "--to"};
    args.insert(args.end(), onto.begin(), onto.end());
    return args;
  }
  // How long a whole pack of the source takes on this machine, onto drives of its own:
  // kills drawn within its first half land mid-pack however fast or slow the machine is.
  int pack_duration_us() {
    std::vector<std::string> probe;
    for (int i = 0; i < 4; ++i) {
      probe.push_back(dir_ / ("probe-drive" + std::to_string(i)));
      fs::create_directory(probe.back());
    }
    auto start = std::chrono::steady_clock::now();
    RunResult r = run_ferry(pack_args_onto(probe, 1));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const std::string& d : probe) fs::remove_all(d);
    return static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  }
  // Starts `args`, kills it with SIGKILL after `delay_us`; returns whether it was killed
  // (false when it had already finished).
  bool kill_after(const std::vector<std::string>& args, int delay_us) {
    int pid = spawn_ferry(args);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ::kill(pid, SIGKILL);
    return wait_ferry(pid) == 128 + SIGKILL;
  }
  // Starts a pack of the source onto drives 0..3 and kills it with SIGKILL as soon as a
  // checkpoint with packed files is on the drives.
  struct Killed {
    bool killed = false;        // false when the pack had already finished
    bool checkpointed = false;  // a checkpoint holding packed files was seen
  };
  Killed kill_pack_at_first_checkpoint() {
    int pid = spawn_ferry(pack_args(4, 1));
    Killed k;
    for (int i = 0; i < 5000 && !k.checkpointed; ++i) {
      for (const auto& folder : format::find_shipment_folders(drive(0))) {
        try {
          auto l = format::read_label(folder);
          k.checkpointed = !l.complete() && l.checkpoint && l.checkpoint->last_entry > 0;
        } catch (const Error&) {
        }
      }
      if (!k.checkpointed) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ::kill(pid, SIGKILL);
    k.killed = wait_ferry(pid) == 128 + SIGKILL;
    return k;
  }
};

TEST_F(Crash, PackKilledManyTimesResumesToAnIdenticalShipmentWithoutNonceReuse) {
  make_source(source(), 7);
  std::mt19937 rng(20261129);
  std::map<std::string, std::string> nonces;
  int reuses = 0, kills = 0;
  const int duration_us = pack_duration_us();
  for (int round = 0; round < 12; ++round) {
    if (kill_after(pack_args(4, 1), static_cast<int>(rng() % (duration_us / 2 + 1)))) ++kills;
    collect_nonces(drives(4), nonces, reuses);
  }
  RunResult last = run_ferry(pack_args(4, 1));
  ASSERT_EQ(last.exit_code, 0) << last.err;
  collect_nonces(drives(4), nonces, reuses);
  EXPECT_GT(kills, 0) << "no run was interrupted: the test proves nothing";
  EXPECT_EQ(reuses, 0) << "a nonce sealed two different plaintexts";
  RunResult v = run_ferry({"verify", drive(0), drive(1), drive(2), drive(3), "--key-file", key(), "-q"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  RunResult r = restore({drive(3), drive(1), drive(0)}, target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// Resumed attempts must not reuse nonces even when what they seal differs from what the
// killed attempt sealed at the same stream position: here the source changes between
// attempts, so the same unit numbers carry other plaintext.
TEST_F(Crash, ResumingAfterTheSourceChangedNeverReusesANonce) {
  make_source(source(), 11);
  std::mt19937 rng(4242);
  std::map<std::string, std::string> nonces;
  int reuses = 0, kills = 0;
  const int duration_us = pack_duration_us();
  for (int round = 0; round < 10; ++round) {
    if (kill_after(pack_args(4, 1), static_cast<int>(rng() % (duration_us / 2 + 1)))) ++kills;
    collect_nonces(drives(4), nonces, reuses);
    // Same sizes, new bytes, in dir4: last in walk order, so not yet packed by a run
    // killed in its first half, and the resumed run packs their new bytes (a file packed
    // before the checkpoint that changed makes the resume refuse, as tested below).
    for (int i = 4; i < 60; i += 5) {
      std::string name = "dir" + std::to_string(i % 5) + "/file-" + std::to_string(i);
      size_t len = fs::file_size(source() + "/" + name);
      write_file(source(), name, random_bytes(len, 1000 + round * 100 + i));
    }
  }
  // A round not killed in time completed the shipment: the source has changed since,
  // which the run refuses rather than call the stale shipment done.
  RunResult last = run_ferry(pack_args(4, 1));
  if (last.exit_code != 0) {
    ASSERT_NE(last.err.find("the source has changed since it"), std::string::npos) << last.err;
  }
  collect_nonces(drives(4), nonces, reuses);
  EXPECT_GT(kills, 0) << "no run was interrupted: the test proves nothing";
  EXPECT_EQ(reuses, 0) << "a nonce sealed two different plaintexts";
  if (last.err.find("since it began") == std::string::npos) {  // complete
    RunResult v = run_ferry({"verify", drive(0), drive(1), drive(2), drive(3), "--key-file", key(), "-q"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }
}

TEST_F(Crash, AResumeRefusesWhenAFileItHadPackedChangedSince) {
  make_source(source(), 12);
  const Killed k = kill_pack_at_first_checkpoint();
  if (!k.killed || !k.checkpointed) {
    GTEST_SKIP() << "the pack finished before a checkpoint could be caught";
  }
  // dir0/file-0 is the first file in walk order: packed before any checkpoint.
  const size_t len = fs::file_size(source() + "/dir0/file-0");
  write_file(source(), "dir0/file-0", random_bytes(len, 99));
  RunResult r = run_ferry(pack_args(4, 1));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the source has changed since it began"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dir0/file-0 (changed)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
}

TEST_F(Crash, ResumeSaysSoAndKeepsWorkDone) {
  make_source(source(), 8);
  const Killed k = kill_pack_at_first_checkpoint();
  if (!k.killed) GTEST_SKIP() << "pack finished before it could be killed";
  ASSERT_TRUE(k.checkpointed);
  auto args = pack_args(4, 1);
  args.erase(std::find(args.begin(), args.end(), "--quiet"));
  RunResult r = run_ferry(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed an interrupted pack"), std::string::npos) << r.out;
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// A source shorter than one checkpoint interval gets no checkpoint (the catalog's copies
// would be a large part of the pack): killed with blocks written, the same command
// starts over and ends with the same files.
TEST_F(Crash, AShortPackKilledWithBlocksWrittenStartsOverAndFinishes) {
  make_source(source(), 12);
  write_file(source(), "large.bin", random_bytes(24 << 20, 12));  // time to catch it mid-way
  std::vector<std::string> args = {"pack", source(), "--parity", "1", "--key-file", key(),
                                   "--block-size", "64", "--quiet", "--to"};
  for (const std::string& d : drives(4)) args.push_back(d);
  auto blocks_written = [&] {
    for (const auto& folder : format::find_shipment_folders(drive(0))) {
      std::error_code ec;
      for (const auto& f : fs::directory_iterator(io::join(folder, format::kSegmentDir), ec)) {
        if (fs::file_size(f.path(), ec) > 0) return true;
      }
    }
    return false;
  };
  int pid = spawn_ferry(args);
  bool caught = false;
  for (int i = 0; i < 20000 && !caught; ++i) {
    caught = blocks_written();
    if (!caught) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ::kill(pid, SIGKILL);
  bool killed = wait_ferry(pid) == 128 + SIGKILL;
  if (!killed) GTEST_SKIP() << "pack finished before it could be killed";
  ASSERT_TRUE(caught);
  for (const std::string& d : drives(4)) {
    for (const auto& folder : format::find_shipment_folders(d)) {
      for (const auto& f : fs::directory_iterator(folder)) {
        EXPECT_NE(f.path().filename().string().rfind(format::kCheckpointPrefix, 0), 0u)
            << "a short pack wrote a checkpoint: " << f.path();
      }
      EXPECT_FALSE(format::read_label(folder).checkpoint) << folder;
    }
  }
  args.erase(std::find(args.begin(), args.end(), "--quiet"));
  RunResult again = run_ferry(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.find("resumed"), std::string::npos) << again.out;
  for (const std::string& d : drives(4)) {
    EXPECT_EQ(format::find_shipment_folders(d).size(), 1u) << "the abandoned start stayed on " << d;
  }
  ASSERT_EQ(restore({drive(0), drive(1), drive(3)}, target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(Crash, RestoreKilledManyTimesFinishesIdentical) {
  make_source(source(), 9);
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  std::vector<std::string> args = {"restore", drive(0), drive(2), drive(3), "--to", target(),
                                   "--key-file", key(), "--quiet"};
  std::mt19937 rng(77);
  for (int round = 0; round < 8; ++round) kill_after(args, 10000 + static_cast<int>(rng() % 100000));
  RunResult r = run_ferry(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(Crash, RepairKilledManyTimesFinishesIntact) {
  make_source(source(), 10);
  ASSERT_EQ(run_ferry(pack_args(4, 1)).exit_code, 0);
  fs::remove_all(drive(2));
  std::string fresh = dir_ / "fresh-drive";
  fs::create_directory(fresh);
  std::vector<std::string> args = {"repair", drive(0), drive(1), drive(3), "--rebuild", fresh, "-q"};
  std::mt19937 rng(78);
  for (int round = 0; round < 8; ++round) kill_after(args, 10000 + static_cast<int>(rng() % 100000));
  RunResult r = run_ferry(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult v = run_ferry({"verify", drive(0), drive(1), fresh, drive(3), "--key-file", key(), "-q"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  ASSERT_EQ(restore({drive(1), fresh, drive(3)}, target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

}  // namespace
}  // namespace ferry::test
