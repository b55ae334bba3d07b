// Nothing of the source is in clear on the drives: no file, folder or link name, no link
// target, and no content, compressible or not, compressed or not.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "e2e/checks.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

const std::vector<std::string> kNames = {"SECRETNAME-alpha",    "SECRETDIR-beta",
                                         "SECRETTARGET-gamma",  "SECRETLINK-delta",
                                         "SECRETEMPTY-epsilon", "SECRETNESTED-eta"};
const std::string kTextMarker = "PLAINMARK-compressible-7f3a9c";
const std::string kRandomMarker = "PLAINMARK-incompressible-51be02";
const std::string kTinyMarker = "PLAINMARK-tiny-c0ffee";

class Confidentiality : public ShipmentTest {
 protected:
  // Writes the secret tree below `root`.
  static void secret_tree(const std::string& root) {
    std::string text;
    while (text.size() < 6 * kTestUnitPlain)
      text += csv_text(997, text.size()) + kTextMarker + "\n";
    write_file(root, "SECRETNAME-alpha", text);
    std::string random = random_bytes(5 * kTestUnitPlain, 3);
    for (size_t at : {size_t{0}, kTestUnitPlain - 5, 3 * kTestUnitPlain + 100}) {
      random.replace(at, kRandomMarker.size(), kRandomMarker);
    }
    random += kRandomMarker;
    write_file(root, "SECRETDIR-beta/SECRETNESTED-eta.bin", random);
    write_file(root, "SECRETDIR-beta/tiny.txt", kTinyMarker);
    write_file(root, "SECRETEMPTY-epsilon", "");
    make_symlink(root, "SECRETLINK-delta", "SECRETTARGET-gamma");
  }

  // Every occurrence of a secret in any file below any of the drives.
  static std::string leaks(const std::vector<std::string>& drive_roots,
                           const std::vector<std::string>& secrets) {
    std::string found;
    size_t files = 0;
    for (const std::string& root : drive_roots) {
      for (const std::string& path : all_file_paths(root)) {
        ++files;
        std::string bytes = read_all(path);
        for (const std::string& s : secrets) {
          if (bytes.find(s) != std::string::npos) found += s + " in " + path + "\n";
        }
        // The drive's own file names too.
        for (const std::string& s : secrets) {
          if (path.find(s) != std::string::npos) found += s + " in the name " + path + "\n";
        }
      }
    }
    if (files == 0) found += "no files on the drives at all\n";
    return found;
  }

  std::vector<std::string> secrets() const {
    std::vector<std::string> all = kNames;
    all.insert(all.end(), {kTextMarker, kRandomMarker, kTinyMarker});
    return all;
  }

  RunResult pack_to(const std::string& src, const std::vector<std::string>& to,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "pack",       src,   "--parity",     "1",
        "--key-file", key(), "--block-size", std::to_string(kTestBlockKiB),
        "--quiet",    "--to"};
    args.insert(args.end(), to.begin(), to.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_ferry(args);
  }
};

TEST_F(Confidentiality, NoNameTargetOrContentInClearOnAnyDrive) {
  secret_tree(source());
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  EXPECT_EQ(leaks(drives(4), secrets()), "");
  // The scan does find what is in clear (the note for people on every drive).
  EXPECT_NE(leaks(drives(4), {"part of a ferry shipment"}), "");
  // ...and the shipment still holds them.
  ASSERT_EQ(restore(drives(4), target()).exit_code, 0);
  EXPECT_EQ(compare_trees(source(), target()), "");
}

TEST_F(Confidentiality, NothingInClearWithoutCompressionEither) {
  secret_tree(source());
  RunResult p = pack_to(source(), drives(3), {"--no-compress"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(leaks(drives(3), secrets()), "");
}

TEST_F(Confidentiality, TheSourceFolderNameIsNotInClear) {
  std::string src = dir_ / "SECRETROOT-zeta";
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  secret_tree(src);
  RunResult p = pack_to(src, drives(3));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  std::vector<std::string> all = secrets();
  all.push_back("SECRETROOT-zeta");
  EXPECT_EQ(leaks(drives(3), all), "");
}

}  // namespace
}  // namespace ferry::test
