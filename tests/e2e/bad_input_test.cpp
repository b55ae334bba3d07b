// What goes wrong in the field: the wrong key or passphrase, too few drives, a drive of
// another shipment, a target that is not empty, drives already holding a shipment, an
// existing key file, special files in the source. Each is refused (or handled) clearly
// and, where refused, before anything is written.
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "e2e/checks.h"
#include "e2e/fixture.h"
#include "io/file.h"

namespace ferry::test {
namespace {

class BadInput : public ShipmentTest {
 protected:
  void small_tree() {
    write_file(source(), "a.txt", "alpha\n");
    write_file(source(), "dir/b.csv", csv_text(3 * kTestUnitPlain + 5, 1));
    write_file(source(), "dir/c.bin", random_bytes(2 * kTestUnitPlain + 9, 2));
    make_symlink(source(), "dir/link", "b.csv");
    make_dir(source(), "empty");
  }
};

// --- keys and passphrases ---------------------------------------------------------------

TEST_F(BadInput, WrongKeyFileFailsAndWritesNothing) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  std::string other_key = dir_ / "other.key";
  ASSERT_EQ(run_ferry({"keygen", "-o", other_key}).exit_code, 0);
  RunResult r = run_ferry({"restore", drive(0), drive(1), drive(2), drive(3), "--to", target(),
                           "--key-file", other_key});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("wrong key or passphrase"), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(target()), "");
}

TEST_F(BadInput, PassphraseShipmentRestoresWithTheRightPassphraseOnly) {
  small_tree();
  std::string pass_file = dir_ / "pass.txt";
  write_file(dir_.path(), "pass.txt", "correct horse battery staple\n", 0600);
  RunResult p = run_ferry({"pack", source(), "--to", drive(0), drive(1), drive(2), "--parity", "1",
                           "--passphrase-file", pass_file, "--kdf-log2-n", "12", "--block-size",
                           std::to_string(kTestBlockKiB), "--quiet"});
  ASSERT_EQ(p.exit_code, 0) << p.err;

  RunResult wrong = run_ferry({"restore", drive(0), drive(1), drive(2), "--to", target("wrong")},
                              {"FERRY_PASSPHRASE=correct horse battery stapler"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("wrong key or passphrase"), std::string::npos) << wrong.err;
  EXPECT_EQ(nothing_in(target("wrong")), "");

  // A key file does not open a passphrase shipment either.
  RunResult with_key = restore({drive(0), drive(1)}, target("with-key"));
  EXPECT_NE(with_key.exit_code, 0);
  EXPECT_EQ(nothing_in(target("with-key")), "");

  RunResult right = run_ferry({"restore", drive(2), drive(0), "--to", target(), "--quiet"},
                              {"FERRY_PASSPHRASE=correct horse battery staple"});
  ASSERT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(BadInput, NoKeyAtAllIsRefused) {
  small_tree();
  ASSERT_EQ(pack(3, 1).exit_code, 0);
  RunResult r = run_ferry({"restore", drive(0), drive(1), drive(2), "--to", target()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
  EXPECT_EQ(nothing_in(target()), "");
}

// --- drives -----------------------------------------------------------------------------

TEST_F(BadInput, TooFewDrivesNamesTheMissingSlotsAndHowManyAreNeeded) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r = restore({drive(1), drive(3)}, target());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("missing slots: 0, 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("needs any 3"), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(target()), "");
}

class ForeignDrive : public BadInput {
 protected:
  // A second shipment (same key, so only the shipment id tells them apart) on other folders.
  std::string other(int i) const { return dir_ / ("other" + std::to_string(i)); }
  void SetUp() override {
    BadInput::SetUp();
    small_tree();
    ASSERT_EQ(pack(4, 1).exit_code, 0);
    ASSERT_EQ(::mkdir((dir_ / "source2").c_str(), 0755), 0);
    write_file(dir_ / "source2", "x.txt", "another shipment\n");
    std::vector<std::string> args = {"pack",         dir_ / "source2",
                                     "--parity",     "1",
                                     "--key-file",   key(),
                                     "--block-size", std::to_string(kTestBlockKiB),
                                     "--quiet",      "--to"};
    for (int i = 0; i < 4; ++i) {
      ::mkdir(other(i).c_str(), 0755);
      args.push_back(other(i));
    }
    ASSERT_EQ(run_ferry(args).exit_code, 0);
  }
};

TEST_F(ForeignDrive, RestoreWithKOwnDrivesSucceedsAndNamesTheForeignOne) {
  RunResult r = restore({other(2), drive(0), drive(1), drive(3)}, target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(other(2)), std::string::npos) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
  EXPECT_FALSE(path_exists(target() + "/x.txt"));
}

TEST_F(ForeignDrive, TooFewOwnDrivesErrorNamesTheForeignOne) {
  // Three drives given, one foreign: "only 2 are here" alone would leave the user
  // wondering about the third; the error must say which drive was ignored and why.
  RunResult r = restore({drive(0), other(2), drive(1)}, target());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("missing slots: 2, 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(other(2)), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(target()), "");
}

TEST_F(ForeignDrive, InfoListsTheForeignDrive) {
  RunResult human = run_ferry({"info", drive(0), other(2), drive(1), drive(3)});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE((human.out + human.err).find(other(2)), std::string::npos) << human.out << human.err;

  RunResult r = run_ferry({"info", drive(0), other(2), drive(1), drive(3), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& g : j.at("given")) {
    if (g.at("path") == other(2)) {
      found = true;
      EXPECT_EQ(g.at("role"), "foreign");
    } else {
      EXPECT_EQ(g.at("role"), "member");
    }
  }
  EXPECT_TRUE(found) << r.out;
  EXPECT_EQ(j.at("present_slots"), nlohmann::json({0, 1, 3}));
  EXPECT_EQ(j.at("missing_slots"), nlohmann::json({2}));
  EXPECT_EQ(j.at("restorable"), true);
}

// --- the target -------------------------------------------------------------------------

TEST_F(BadInput, NonEmptyTargetIsRefusedAndLeftAsItWas) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(::mkdir(target().c_str(), 0755), 0);
  write_file(target(), "unrelated.txt", "mine, not ferry's\n");
  auto before = snapshot(target());
  RunResult r = restore(drives(4), target());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not empty"), std::string::npos) << r.err;
  EXPECT_TRUE(snapshot(target()) == before) << "the target was changed:\n" << nothing_in(target());
}

TEST_F(BadInput, RestoringTwiceIntoTheSameTargetSucceeds) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  RunResult again = restore({drive(0), drive(2), drive(3)}, target());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// A restore stopped mid-file leaves its temporary file; the next one writes over it.
TEST_F(BadInput, RestoreReplacesTemporaryFilesLeftByAStoppedOne) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(::mkdir(target().c_str(), 0755), 0);
  // Temporary files are named by entry id, in walk order: a.txt is 1, dir/c.bin 4.
  write_file(target(), ".ferry-tmp-1", "half of a.txt from a stopped restore", 0600);
  write_file(target(), "dir/.ferry-tmp-4", "half of c.bin", 0600);
  RunResult r = restore(drives(4), target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(BadInput, DifferingFileIsKeptWithoutOverwriteAndReplacedWithIt) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  write_file(target(), "dir/c.bin", "edited after the restore\n", 0644);

  RunResult refused = restore(drives(4), target());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("not empty"), std::string::npos) << refused.err;
  EXPECT_EQ(read_all(target() + "/dir/c.bin"), "edited after the restore\n");

  RunResult r = restore(drives(4), target(), {"--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// --overwrite replaces files; a folder where the shipment has a file (or a file where it
// has a folder) is refused before anything is written, each named, not met half-way.
TEST_F(BadInput, OverwriteRefusesAFolderForAFileAndTheReverseUpFront) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  io::remove_tree(target() + "/dir");
  write_file(target(), "dir", "a file where a folder goes\n", 0644);
  ::unlink((target() + "/a.txt").c_str());
  make_dir(target(), "a.txt");
  write_file(target(), "a.txt/inside", "kept\n", 0644);
  write_file(target(), "empty/.keep", "", 0644);  // a folder still: no conflict

  RunResult r = restore(drives(4), target(), {"--overwrite"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("a.txt is a folder here, a file or link in the shipment"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("dir is a file or link here, a folder in the shipment"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Nothing was written"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(target() + "/dir"), "a file where a folder goes\n");
  EXPECT_EQ(read_all(target() + "/a.txt/inside"), "kept\n");
}

// --- pack -------------------------------------------------------------------------------

TEST_F(BadInput, PackOntoDrivesHoldingAShipmentNeedsForce) {
  small_tree();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  auto before = snapshot(drive(2));
  // A different layout on an overlapping set of drives: drive 2 is the first that is taken.
  std::vector<std::string> args = {
      "pack",       source(), "--parity",     "1",
      "--key-file", key(),    "--block-size", std::to_string(kTestBlockKiB),
      "--quiet",    "--to",   drive(5),       drive(2),
      drive(6)};
  RunResult refused = run_ferry(args);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find(drive(2)), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_TRUE(snapshot(drive(2)) == before) << "the old shipment was touched";
  EXPECT_EQ(nothing_in(drive(5)), "");
  EXPECT_EQ(nothing_in(drive(6)), "");

  args.push_back("--force");
  RunResult forced = run_ferry(args);
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(names_in(drive(2)).size(), 1u) << nothing_in(drive(2));  // the old folder is gone
  RunResult r = restore({drive(6), drive(5)}, target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(BadInput, KeygenRefusesAnExistingFileAndCreatesMode0600) {
  std::string path = dir_ / "new.key";
  RunResult made = run_ferry({"keygen", "-o", path});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_TRUE(S_ISREG(st.st_mode));

  std::string content = read_all(path);
  RunResult again = run_ferry({"keygen", "-o", path});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(read_all(path), content);

  // Any existing file, not only a key file, is left alone.
  write_file(dir_.path(), "precious.txt", "do not overwrite\n");
  RunResult over = run_ferry({"keygen", "-o", dir_ / "precious.txt"});
  EXPECT_NE(over.exit_code, 0);
  EXPECT_EQ(read_all(dir_ / "precious.txt"), "do not overwrite\n");
}

TEST_F(BadInput, FifoInTheSourceIsSkippedAndListed) {
  small_tree();
  ASSERT_EQ(::mkfifo((source() + "/dir/a-fifo").c_str(), 0644), 0);
  std::vector<std::string> args = {
      "pack",       source(), "--parity",     "1",
      "--key-file", key(),    "--block-size", std::to_string(kTestBlockKiB),
      "--to"};
  for (const auto& d : drives(4)) args.push_back(d);
  RunResult p = run_ferry(args);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE((p.out + p.err).find("dir/a-fifo"), std::string::npos) << p.out << p.err;

  RunResult ls = run_ferry({"ls", drive(1), "--key-file", key()});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("a.txt"), std::string::npos) << ls.out;
  EXPECT_EQ(ls.out.find("a-fifo"), std::string::npos) << ls.out;

  RunResult r = restore(drives(4), target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(path_exists(target() + "/dir/a-fifo"));
  auto want = snapshot(source());
  ASSERT_EQ(want.at("dir/a-fifo").kind, 's');
  want.erase("dir/a-fifo");
  EXPECT_TRUE(want == snapshot(target())) << compare_trees(source(), target());
}

}  // namespace
}  // namespace ferry::test
