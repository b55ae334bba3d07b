// restore never writes outside its target, whatever the catalog says. These tests play
// an attacker who holds the key: they decrypt the catalog on every drive, plant `..`,
// absolute and symlink-escaping paths, re-seal it and fix up the labels, so that only
// restore's own checks stand between the catalog and the file system.
#include <sqlite3.h>
#include <sys/stat.h>

#include <functional>
#include <set>

#include "codec/sha256.h"
#include "e2e/checks.h"
#include "e2e/fixture.h"
#include "format/catalog_file.h"
#include "format/drive_folder.h"
#include "format/keys.h"
#include "format/label.h"
#include "io/file.h"

namespace ferry::test {
namespace {

class Escape : public ShipmentTest {
 protected:
  std::string outside() const { return dir_ / "outside"; }

  void SetUp() override {
    ShipmentTest::SetUp();
    ::mkdir(outside().c_str(), 0755);
    write_file(source(), "victim.txt", "the bytes an attacker wants to plant\n");
    write_file(source(), "folder/other.csv", csv_text(2 * kTestUnitPlain + 1, 1));
    write_file(source(), "z-last.bin", random_bytes(kTestUnitPlain + 3, 2));
    ASSERT_EQ(pack(3, 1).exit_code, 0);
  }

  // Runs `edit` on the decrypted catalog, re-seals it and puts the same sealed copy on
  // every drive with labels that vouch for it (the drives must agree on its digest).
  void tamper(const std::function<void(sqlite3*)>& edit) {
    Credentials credentials;
    credentials.key_file = format::read_key_file(key());
    std::vector<std::string> folders;
    for (int i = 0; i < 3; ++i) {
      for (const std::string& f : format::find_shipment_folders(drive(i))) folders.push_back(f);
    }
    ASSERT_EQ(folders.size(), 3u);
    format::Label first = format::read_label(folders[0]);
    auto data_key = format::unwrap_data_key(first, credentials);
    ASSERT_TRUE(data_key.has_value());
    io::TempFile plain("escape-test-catalog");
    format::open_catalog(format::catalog_path(folders[0]), plain.path(), first.shipment, *data_key);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(plain.path().c_str(), &db), SQLITE_OK);
    edit(db);
    ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
    std::string copy;
    const uint64_t bytes = format::seal_catalog(
        plain.path(), first.shipment, *data_key,
        [&](const uint8_t* data, size_t len) { copy.append(reinterpret_cast<const char*>(data), len); });
    ASSERT_EQ(copy.size(), bytes);
    for (const std::string& folder : folders) {
      io::write_file_atomically(format::catalog_path(folder), copy);
      format::Label label = format::read_label(folder);
      label.catalog_sha256 = codec::sha256(copy.data(), copy.size());
      label.catalog_bytes = bytes;
      format::write_label(folder, label);
    }
  }

  static void exec(sqlite3* db, const std::string& sql, const std::vector<std::string>& blobs) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    for (size_t i = 0; i < blobs.size(); ++i) {
      sqlite3_bind_blob(stmt, static_cast<int>(i + 1), blobs[i].data(),
                        static_cast<int>(blobs[i].size()), SQLITE_TRANSIENT);
    }
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_changes(db), 1) << sql;
    sqlite3_finalize(stmt);
  }

  void rename_victim(const std::string& path) {
    tamper([&](sqlite3* db) {
      exec(db, "UPDATE entries SET path=?1 WHERE path=?2", {path, "victim.txt"});
    });
  }

  // Restores from the tampered drives; expects a refusal and nothing outside the target.
  void expect_refused(const std::string& planted, std::vector<std::string> extra = {}) {
    auto around = names_in(dir_.path());
    RunResult r = restore(drives(3), target(), extra);
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_GT(r.exit_code, 0);
    EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
    EXPECT_FALSE(r.err.empty());
    EXPECT_NE(r.err.find(planted), std::string::npos) << "the unsafe path is not named: " << r.err;
    EXPECT_EQ(nothing_in(outside()), "") << "written outside the target";
    auto after = names_in(dir_.path());
    after.erase("restored");
    around.erase("restored");
    EXPECT_TRUE(after == around) << "new entries next to the target";
    EXPECT_EQ(nothing_in(target()), "") << "restore wrote part of an unsafe catalog";
  }
};

TEST_F(Escape, TamperedCatalogStillRestoresWhenHarmless) {
  // The tampering itself works: a harmless rename is restored under the new name.
  rename_victim("renamed.txt");
  RunResult r = restore(drives(3), target());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(target() + "/renamed.txt"), "the bytes an attacker wants to plant\n");
  EXPECT_FALSE(path_exists(target() + "/victim.txt"));
}

TEST_F(Escape, DotDotPathIsRefused) {
  rename_victim("../escaped");
  expect_refused("../escaped");
  EXPECT_FALSE(path_exists(dir_ / "escaped"));
}

TEST_F(Escape, AbsolutePathIsRefused) {
  std::string abs = outside() + "/abs-escape";
  rename_victim(abs);
  expect_refused(abs);
  EXPECT_FALSE(path_exists(abs));
}

TEST_F(Escape, DotDotInTheMiddleIsRefused) {
  rename_victim("a/../../x");
  expect_refused("a/../../x");
  EXPECT_FALSE(path_exists(dir_ / "x"));
}

TEST_F(Escape, DotDotInTheMiddleIsRefusedWithOnly) {
  rename_victim("folder/../../x");
  expect_refused("folder/../../x", {"--only", "folder"});
  EXPECT_FALSE(path_exists(dir_ / "x"));
}

TEST_F(Escape, FileBelowASymlinkIsRefused) {
  tamper([&](sqlite3* db) {
    // `lnk` -> the outside folder, inserted before every other entry, and the victim
    // moved below it: written naively, lnk/evil lands in outside/evil.
    exec(db,
         "INSERT INTO entries(id, path, kind, mode, mtime_ns, size, target) "
         "VALUES (-1, ?1, 2, 511, 0, 0, ?2)",
         {"lnk", outside()});
    exec(db, "UPDATE entries SET path=?1 WHERE path=?2", {"lnk/evil", "victim.txt"});
  });
  expect_refused("lnk/evil");
}

TEST_F(Escape, FileBelowARelativeSymlinkIsRefused) {
  tamper([&](sqlite3* db) {
    exec(db,
         "INSERT INTO entries(id, path, kind, mode, mtime_ns, size, target) "
         "VALUES (-1, ?1, 2, 511, 0, 0, ?2)",
         {"lnk", "../outside"});
    exec(db, "UPDATE entries SET path=?1 WHERE path=?2", {"lnk/evil", "victim.txt"});
  });
  expect_refused("lnk/evil");
}

TEST_F(Escape, SymlinkPlantedInTheTargetIsNotFollowedEvenWithOverwrite) {
  // Not the catalog this time: the target already holds folder -> outside.
  ::mkdir(target().c_str(), 0755);
  make_symlink(target(), "folder", outside());
  RunResult r = restore(drives(3), target(), {"--overwrite"});
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
  EXPECT_EQ(nothing_in(outside()), "") << "followed a symlink out of the target";
  if (r.exit_code == 0) {
    // Replacing the link by the real folder is safe too.
    EXPECT_EQ(compare_trees(source(), target()), "");
  } else {
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace ferry::test
