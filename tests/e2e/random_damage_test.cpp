// A seeded property test: random damage (bytes flipped or zeroed at random offsets,
// segment files truncated, deleted or exchanged, on random slots) to a packed tree, then
//  - restore returns every file either byte-exact or names it as lost and leaves it out:
//    never wrong bytes;
//  - keyless verify's verdict agrees: "restore lost files" implies exit 4, and exit 0 or 3
//    implies restore lost nothing; with the key, exit 4 exactly when restore lost files.
// The expected outcome is also worked out independently: a block is intact iff its bytes
// equal those written by pack; a stripe with fewer than k intact blocks loses its
// damaged data units; a file is lost iff it touches a lost unit.
#include <algorithm>
#include <cstdlib>
#include <random>

#include "e2e/damage.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

struct Case {
  int n = 0, parity = 0;
  uint64_t seed = 0;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::to_string(info.param.n - info.param.parity) + "plus" +
         std::to_string(info.param.parity) + "_seed" + std::to_string(info.param.seed);
}

class RandomDamage : public ShipmentTest, public ::testing::WithParamInterface<Case> {
 protected:
  int n() const { return GetParam().n; }
  int m() const { return GetParam().parity; }
  std::vector<std::string> all() const { return drives(n()); }

  // About 30 files: empty, tiny, around a unit, up to a few stripes, a few of over 64 KiB
  // stored (restore writes those on its pool); some compressible.
  void make_tree(std::mt19937_64& rng) {
    for (int i = 0; i < 30; ++i) {
      std::string name =
          "d" + std::to_string(i % 4) + "/f" + std::to_string(i) + (i % 5 == 0 ? ".csv" : ".bin");
      size_t size;
      switch (rng() % 6) {
        case 0:
          size = rng() % 3 == 0 ? 0 : rng() % 100;
          break;
        case 1:
          size = rng() % 2000;
          break;
        case 2:
          size = kTestUnitPlain - 2 + rng() % 5;
          break;
        case 3:
          size = 2000 + rng() % 10000;
          break;
        case 4:
          size = 10000 + rng() % 30000;
          break;
        default:  // compressible ones larger, so that they too are stored in over 64 KiB
          size = (i % 5 == 0 ? 600000 : 66000) + rng() % 100000;
          break;
      }
      write_file(source(), name, i % 5 == 0 ? csv_text(size, rng()) : random_bytes(size, rng()));
    }
    make_dir(source(), "d1/empty");
    make_symlink(source(), "d2/link", "../d0/f0.csv");
  }
};

TEST_P(RandomDamage, RestoreIsExactOrNamesTheLossAndVerifyAgrees) {
  std::mt19937_64 rng(GetParam().seed * 7919 + 17);
  make_tree(rng);
  static const char* kSegmentSizes[] = {"12500", "25000", "1073741824"};
  std::string segment_size = kSegmentSizes[rng() % 3];
  RunResult p = pack(n(), m(), {"--segment-size", segment_size});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  format::Label label = label_on(drive(0));
  const format::Layout layout = label.layout;
  const uint64_t stripes = label.stripes, record = layout.record_size();
  const uint64_t segments = layout.segment_of(stripes - 1) + 1;
  const uint32_t k = layout.k;
  std::vector<StoredFile> files = stored_files(all(), key());

  // What pack wrote, block by block.
  std::vector<std::vector<std::string>> pristine(n(), std::vector<std::string>(stripes));
  for (int slot = 0; slot < n(); ++slot) {
    for (uint64_t s = 0; s < stripes; ++s) {
      BlockPlace at = block_place(drive(slot), layout, s);
      pristine[slot][s] = read_range(at.segment, at.offset, record);
      ASSERT_EQ(pristine[slot][s].size(), record);
    }
  }

  // Damage on a random set of slots: half the time M + 1 of them (data may be lost),
  // else 1..M. Most operations hit one "hot" segment, so damage on different slots
  // meets in the same stripes.
  std::vector<int> slots(n());
  for (int i = 0; i < n(); ++i) slots[i] = i;
  std::shuffle(slots.begin(), slots.end(), rng);
  slots.resize(rng() % 2 ? m() + 1 : 1 + rng() % m());
  const uint64_t hot = rng() % segments;
  std::string log;
  int ops = 2 + static_cast<int>(rng() % 7);
  for (int op = 0; op < ops; ++op) {
    int slot = slots[op < static_cast<int>(slots.size()) ? op : rng() % slots.size()];
    uint64_t index = rng() % 4 ? hot : rng() % segments;
    std::string seg = segment_file(drive(slot), index);
    if (!path_exists(seg)) continue;
    uint64_t size = file_size(seg);
    std::string where = "slot " + std::to_string(slot) + " seg " + std::to_string(index);
    switch (rng() % 11) {
      case 0:
      case 1:
      case 2: {  // a few scattered bit flips
        if (size == 0) break;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
          uint64_t at = rng() % size;
          flip_bit(seg, at, static_cast<int>(rng() % 8));
          log += where + ": flip at " + std::to_string(at) + "\n";
        }
        break;
      }
      case 3:
      case 4:
      case 5: {  // a zeroed run of up to two blocks
        if (size == 0) break;
        uint64_t at = rng() % size;
        uint64_t len = std::min<uint64_t>(1 + rng() % (2 * record), size - at);
        zero_range(seg, at, len);
        log += where + ": zero " + std::to_string(len) + " at " + std::to_string(at) + "\n";
        break;
      }
      case 6:
      case 7:
      case 8: {  // cut short
        uint64_t to = size == 0 ? 0 : rng() % size;
        truncate_file(seg, to);
        log += where + ": truncated to " + std::to_string(to) + "\n";
        break;
      }
      case 9:
        remove_file(seg);
        log += where + ": deleted\n";
        break;
      default: {  // exchanged with another segment file of a damaged slot
        int other_slot = slots[rng() % slots.size()];
        uint64_t other_index = rng() % segments;
        std::string other = segment_file(drive(other_slot), other_index);
        if (other == seg || !path_exists(other)) break;
        swap_files(seg, other);
        log += where + ": swapped with slot " + std::to_string(other_slot) + " seg " +
               std::to_string(other_index) + "\n";
        break;
      }
    }
  }
  SCOPED_TRACE("segment size " + segment_size + ", damage:\n" + log);

  // The expected outcome, from the bytes now on the drives.
  std::vector<uint64_t> bad_on_slot(n(), 0);
  std::set<uint64_t> lost_units;
  uint64_t damaged_stripes = 0, lost_stripes = 0;
  for (uint64_t s = 0; s < stripes; ++s) {
    uint32_t good = 0;
    std::vector<bool> ok(layout.n());
    for (uint32_t member = 0; member < layout.n(); ++member) {
      uint32_t slot = layout.slot_of(s, member);
      BlockPlace at = block_place(drive(slot), layout, s);
      ok[member] =
          path_exists(at.segment) && read_range(at.segment, at.offset, record) == pristine[slot][s];
      good += ok[member];
      bad_on_slot[slot] += !ok[member];
    }
    damaged_stripes += good < layout.n();
    if (good < k) {
      ++lost_stripes;
      for (uint32_t j = 0; j < k; ++j) {
        if (!ok[j]) lost_units.insert(s * k + j);
      }
    }
  }
  std::set<std::string> expected_lost = files_in_units(files, layout, lost_units);
  int expected_verify = lost_stripes ? 4 : damaged_stripes ? 3 : 0;

  // Keyless verify.
  VerifyRun v = verify_json(all());
  ASSERT_TRUE(v.report.is_object()) << v.out << v.err;
  EXPECT_EQ(v.exit_code, expected_verify) << v.out;
  EXPECT_EQ(v.report["stripes_lost"].get<uint64_t>(), lost_stripes) << v.out;
  for (int slot = 0; slot < n(); ++slot) {
    EXPECT_EQ(bad_blocks(v.drive(drive(slot))), bad_on_slot[slot]) << "slot " << slot << "\n"
                                                                   << v.out;
  }

  // Restore: every file exact, or named lost and absent.
  std::string to = target();
  RunResult r = restore(all(), to);
  std::set<std::string> lost = lost_paths(r.err);
  EXPECT_EQ(r.exit_code, lost.empty() ? 0 : 4) << r.err;
  EXPECT_EQ(lost, expected_lost) << r.err;
  auto want = snapshot(source());
  auto got = snapshot(to);
  for (const auto& [path, node] : want) {
    auto it = got.find(path);
    if (lost.count(path)) {
      EXPECT_EQ(node.kind, 'f') << path;
      EXPECT_EQ(it, got.end()) << "lost file " << path << " was written";
    } else {
      ASSERT_NE(it, got.end()) << path << " neither restored nor named lost\n" << r.err;
      EXPECT_TRUE(it->second == node) << path << " restored with wrong bytes or metadata";
    }
  }
  for (const auto& [path, node] : got) {
    EXPECT_TRUE(want.count(path)) << "unexpected " << path << " in the target";
  }

  // The verdicts agree with what restore could do.
  if (!lost.empty()) {
    EXPECT_EQ(v.exit_code, 4) << "restore lost files, verify said otherwise";
  }
  if (v.exit_code == 0 || v.exit_code == 3) {
    EXPECT_TRUE(lost.empty());
  }
  VerifyRun keyed = verify_json(all(), {"--key-file", key()});
  ASSERT_TRUE(keyed.report.is_object()) << keyed.out << keyed.err;
  EXPECT_EQ(keyed.exit_code == 4, !lost.empty()) << keyed.out;
  std::set<std::string> keyed_lost;
  for (const auto& path : keyed.report["lost_files"]) keyed_lost.insert(path.get<std::string>());
  EXPECT_EQ(keyed_lost, lost);

  // Repair mends everything within parity.
  std::vector<std::string> args = {"repair"};
  for (const auto& d : all()) args.push_back(d);
  args.push_back("--quiet");
  RunResult rep = run_ferry(args);
  EXPECT_EQ(rep.exit_code, lost_stripes ? 4 : 0) << rep.err;
  VerifyRun after = verify_json(all());
  EXPECT_EQ(after.exit_code, lost_stripes ? 4 : 0) << after.out;
  if (!lost_stripes) {
    std::string again = target("after-repair");
    RunResult r2 = restore(all(), again);
    EXPECT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_EQ(compare_trees(source(), again), "");
  }
}

// Six seeds per layout; FERRY_DAMAGE_SEEDS=N in the environment runs N instead, for a
// longer hunt.
std::vector<Case> cases() {
  uint64_t seeds = 6;
  if (const char* env = std::getenv("FERRY_DAMAGE_SEEDS")) seeds = std::strtoull(env, nullptr, 10);
  std::vector<Case> out;
  for (uint64_t seed = 1; seed <= seeds; ++seed) out.push_back({4, 1, seed});
  for (uint64_t seed = 101; seed < 101 + seeds; ++seed) out.push_back({6, 2, seed});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomDamage, ::testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace ferry::test
