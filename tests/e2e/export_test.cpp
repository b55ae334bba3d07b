// ferry export: WebDataset and MDS shards read back by readers that share no code with
// ferry (GNU tar, Python's tarfile, an MDS reader written from the format), every
// sample's bytes compared with the source; a drive missing; resume after SIGKILL to the
// same bytes; and the refusals (a non-empty target, two files of one key with --group
// file, a lost file).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "codec/sha256.h"
#include "e2e/checks.h"
#include "e2e/damage.h"
#include "e2e/export_readers.h"
#include "e2e/fixture.h"
#include "ferry/sample_order.h"

namespace ferry::test {
namespace {

std::string from_hex_text(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

std::vector<std::string> names_of(const nlohmann::json& hexed) {
  std::vector<std::string> out;
  for (const auto& h : hexed) out.push_back(from_hex_text(h.get<std::string>()));
  return out;
}

std::string sha256_of_file(const std::string& path) {
  std::string bytes = read_all(path);
  return codec::to_hex(codec::sha256(bytes.data(), bytes.size()));
}

// Lines in the export's state journal in `dir` (0 when there is none).
size_t journal_lines(const std::string& dir) {
  const std::string path = io::join(dir, ".ferry-export.json");
  if (!path_exists(path)) return 0;
  const std::string text = read_all(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

class Export : public ShipmentTest {
 protected:
  // Samples of several files, one short of an extension, a two-dot extension, an empty
  // file, a file over several stripes, names that need pax headers (long, UTF-8, not
  // UTF-8), and a folder whose name has a dot.
  void make_samples(bool odd_bytes_name = true) {
    for (int i = 0; i < 12; ++i) {
      char stem[32];
      std::snprintf(stem, sizeof stem, "train/%04d", i);
      write_file(source(), std::string(stem) + ".jpg", random_bytes(700 + 977 * i, 100 + i));
      if (i != 7)
        write_file(source(), std::string(stem) + ".json",
                   "{\"label\": " + std::to_string(i % 3) + "}\n");
      if (i % 4 == 0)
        write_file(source(), std::string(stem) + ".seg.png", random_bytes(300 * i + 1, 200 + i));
    }
    write_file(source(), "train/0003.txt", "");
    write_file(source(), "val/big.bin", random_bytes(9 * kTestUnitPlain + 5, 7));
    write_file(source(), "val/big.cls", "1\n");
    std::string deep = "deep/" + std::string(70, 'd') + "/" + std::string(90, 'e') + "/";
    write_file(source(), deep + std::string(120, 'x') + ".bin", random_bytes(1000, 8));
    write_file(source(), "ünïcødé/çà.txt", "utf-8 name\n");
    write_file(source(), "v1.2/sample.txt", "a dot in the folder\n");
    if (odd_bytes_name) write_file(source(), "odd/raw\xff\xfe.bin", "not utf-8\n");
  }

  // The source files a full export holds (all have an extension here).
  std::vector<std::string> source_files() {
    std::vector<std::string> out;
    for (const auto& [path, node] : snapshot(source())) {
      if (node.kind == 'f') out.push_back(path);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  RunResult run_export(const std::vector<std::string>& from, const std::string& to,
                       std::vector<std::string> extra) {
    std::vector<std::string> args = {"export"};
    args.insert(args.end(), from.begin(), from.end());
    args.insert(args.end(), {"--to", to, "--key-file", key()});
    args.insert(args.end(), extra.begin(), extra.end());
    return run_ferry(args);
  }

  // Each shard file in `dir` by name -> SHA-256 (hex).
  std::map<std::string, std::string> shard_digests(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const std::string& name : names_in(dir)) {
      if (name.rfind("shard", 0) == 0) out[name] = sha256_of_file(io::join(dir, name));
    }
    return out;
  }

  void expect_read_back(const std::string& format, const std::string& dir,
                        const std::vector<std::string>& expected_files) {
    nlohmann::json r = read_shards_back(dir_.path(), format, dir, source());
    ASSERT_TRUE(r["ok"].get<bool>()) << r.dump(1);
    std::vector<std::string> files = names_of(r["files"]);
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, expected_files);
  }
};

TEST_F(Export, WebDatasetShardsReadBackWithPythonTarfileAndGnuTar) {
  make_samples();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r = run_export(drives(4), target("wds"),
                           {"--format", "webdataset", "--shard-size", "40kB", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json report = nlohmann::json::parse(r.out);
  ASSERT_GT(report["shards"].size(), 3u) << "the shard size should cut several shards";
  uint64_t samples = 0;
  for (const auto& s : report["shards"]) {
    std::string path = io::join(target("wds"), s["name"].get<std::string>());
    EXPECT_EQ(sha256_of_file(path), s["sha256"].get<std::string>()) << path;
    EXPECT_EQ(file_size(path), s["bytes"].get<uint64_t>()) << path;
    EXPECT_FALSE(s["resumed"].get<bool>());
    samples += s["samples"].get<uint64_t>();
  }
  EXPECT_EQ(report["samples"].get<uint64_t>(), samples);
  EXPECT_EQ(report["index"], "shards.json");
  EXPECT_EQ(report["files"].get<uint64_t>(), source_files().size());
  // 12 train samples, val/big, the deep file, the UTF-8 one, v1.2/sample, odd/raw.
  EXPECT_EQ(samples, 17u);

  expect_read_back("webdataset", target("wds"), source_files());

  // GNU tar lists and extracts every shard; the extracted tree is the source.
  const std::string extracted = target("extracted");
  ::mkdir(extracted.c_str(), 0755);
  std::string listing;
  for (const std::string& name : names_in(target("wds"))) {
    if (name.rfind("shard-", 0) != 0) continue;
    std::string shard = io::join(target("wds"), name);
    ToolRun list = run_tool("tar -tvf " + shell_quoted(shard));
    ASSERT_EQ(list.exit_code, 0) << name;
    listing += list.out;
    ASSERT_EQ(
        run_tool("tar -xf " + shell_quoted(shard) + " -C " + shell_quoted(extracted)).exit_code, 0)
        << name;
  }
  EXPECT_NE(listing.find("train/0000.seg.png"), std::string::npos) << listing;
  EXPECT_NE(listing.find(std::string(120, 'x') + ".bin"), std::string::npos) << listing;
  std::map<std::string, std::string> want, got;
  for (const auto& [path, node] : snapshot(source())) {
    if (node.kind == 'f') want[path] = node.content;
  }
  for (const auto& [path, node] : snapshot(extracted)) {
    if (node.kind == 'f') got[path] = node.content;
  }
  EXPECT_TRUE(want == got) << "GNU tar extracted other files or bytes";
  // Modes and mtimes come from the catalog.
  auto src = snapshot(source());
  auto ext = snapshot(extracted);
  EXPECT_EQ(ext["val/big.bin"].mode, src["val/big.bin"].mode);
  EXPECT_EQ(ext["val/big.bin"].mtime_ns / 1000000000, src["val/big.bin"].mtime_ns / 1000000000);
}

TEST_F(Export, SamplesKeepTheirFilesTogetherInDriveOrder) {
  make_samples();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(
      run_export(drives(4), target("wds"), {"--format", "webdataset", "--shard-size", "20kB", "-q"})
          .exit_code,
      0);
  nlohmann::json r = read_shards_back(dir_.path(), "webdataset", target("wds"), source());
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump(1);
  std::vector<std::string> keys = names_of(r["keys"]);
  // The reader counts a key once per run of members: each key once means adjacent files.
  std::set<std::string> unique(keys.begin(), keys.end());
  EXPECT_EQ(unique.size(), keys.size());
  // Pack lays files in bytewise name order, depth first, so drive order is key order here.
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(keys, sorted);
}

TEST_F(Export, MdsShardsReadBackWithAReaderWrittenFromTheFormat) {
  make_samples(false);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r = run_export(
      drives(4), target("mds"),
      {"--format", "mds", "--shard-size", "30kB", "--hash", "sha1", "--hash", "md5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_GT(report["shards"].size(), 2u);
  EXPECT_EQ(report["index"], "index.json");
  EXPECT_EQ(report["shards"][0]["name"], "shard.00000.mds");
  nlohmann::json index = nlohmann::json::parse(read_all(io::join(target("mds"), "index.json")));
  EXPECT_EQ(index["shards"][0]["hashes"], nlohmann::json({"md5", "sha1"}));
  EXPECT_EQ(index["shards"][0]["column_names"],
            nlohmann::json({"__key__", "bin", "cls", "jpg", "json", "seg.png", "txt"}));
  expect_read_back("mds", target("mds"), source_files());
}

TEST_F(Export, MdsZstdShardsReadBackWithTheZstdCommand) {
  make_samples(false);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r =
      run_export(drives(4), target("mdz"),
                 {"--format", "mds", "--compression", "zstd", "--shard-size", "50kB", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> names = names_in(target("mdz"));
  EXPECT_TRUE(names.count("shard.00000.mds.zstd")) << nothing_in(target("mdz"));
  EXPECT_FALSE(names.count("shard.00000.mds"));
  expect_read_back("mds", target("mdz"), source_files());
}

TEST_F(Export, MdsRefusesAKeyThatIsNotUtf8) {
  make_samples(true);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r = run_export(drives(4), target("mds"), {"--format", "mds", "-q"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("not UTF-8"), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(target("mds")), "");
}

TEST_F(Export, WithADriveMissingTheShardsAreTheSameBytes) {
  make_samples();
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(
      run_export(drives(4), target("all"), {"--format", "webdataset", "--shard-size", "30kB", "-q"})
          .exit_code,
      0);
  for (int missing = 0; missing < 4; missing += 3) {
    std::vector<std::string> some;
    for (int i = 0; i < 4; ++i) {
      if (i != missing) some.push_back(drive(i));
    }
    std::string to = target("some" + std::to_string(missing));
    RunResult r = run_export(some, to, {"--format", "webdataset", "--shard-size", "30kB", "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(shard_digests(to), shard_digests(target("all"))) << "drive " << missing << " missing";
    EXPECT_EQ(read_all(io::join(to, "shards.json")),
              read_all(io::join(target("all"), "shards.json")));
  }
  expect_read_back("webdataset", target("some3"), source_files());
}

TEST_F(Export, KilledAndRunAgainCarriesOnToTheSameBytes) {
  for (int i = 0; i < 60; ++i) {
    write_file(source(), "s/" + std::to_string(1000 + i) + ".bin",
               random_bytes(150000 + i, 300 + i));
    write_file(source(), "s/" + std::to_string(1000 + i) + ".txt", "caption " + std::to_string(i));
  }
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  for (std::string format : {"webdataset", "mds"}) {
    SCOPED_TRACE(format);
    std::vector<std::string> extra = {"--format", format, "--shard-size", "400kB", "--shuffle",
                                      "--seed",   "3"};
    if (format == std::string("mds")) extra.insert(extra.end(), {"--compression", "zstd"});
    const std::string clean = target(std::string("clean-") + format);
    ASSERT_EQ(run_export({drive(0), drive(1), drive(2)}, clean, extra).exit_code, 0);

    const std::string to = target(std::string("killed-") + format);
    std::vector<std::string> args = {"export", drive(0),     drive(1), drive(2), "--to",
                                     to,       "--key-file", key(),    "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    bool killed = false;
    for (int attempt = 0; attempt < 5 && !killed; ++attempt) {
      io::remove_tree(to);
      int pid = spawn_ferry(args);
      // Kill once a shard is complete and recorded (the journal's second line): mid-way
      // through the export.
      for (int i = 0; i < 100000 && journal_lines(to) < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      ::kill(pid, SIGKILL);
      killed = wait_ferry(pid) == 128 + SIGKILL;
    }
    if (!killed) GTEST_SKIP() << "the export finished before it could be killed";
    EXPECT_FALSE(
        path_exists(io::join(to, format == std::string("mds") ? "index.json" : "shards.json")))
        << "an index before every shard is there";

    std::vector<std::string> again_args(args.begin(), args.end());
    again_args.erase(std::find(again_args.begin(), again_args.end(), "-q"));
    again_args.push_back("--json");
    RunResult again = run_ferry(again_args);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    nlohmann::json report = nlohmann::json::parse(again.out);
    size_t resumed = 0;
    for (const auto& s : report["shards"]) resumed += s["resumed"].get<bool>();
    EXPECT_GT(resumed, 0u) << "nothing of the killed run was kept";
    EXPECT_LT(resumed, report["shards"].size());
    EXPECT_EQ(shard_digests(to), shard_digests(clean));
    for (const std::string& name : names_in(to)) {
      EXPECT_EQ(name.find(".partial"), std::string::npos) << name << " left behind";
    }
    std::string index = format == std::string("mds") ? "index.json" : "shards.json";
    EXPECT_EQ(read_all(io::join(to, index)), read_all(io::join(clean, index)));
  }
}

TEST_F(Export, CtrlCStopsBetweenShardsAndTheSameCommandFinishes) {
  for (int i = 0; i < 60; ++i) {
    write_file(source(), "s/" + std::to_string(1000 + i) + ".bin",
               random_bytes(150000 + i, 300 + i));
  }
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  std::vector<std::string> extra = {"--format", "webdataset", "--shard-size", "400kB"};
  ASSERT_EQ(run_export(drives(4), target("clean"), extra).exit_code, 0);
  std::vector<std::string> args = {"export", drive(0),          drive(1),     drive(2), drive(3),
                                   "--to",   target("stopped"), "--key-file", key(),    "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  int pid = spawn_ferry(args);
  for (int i = 0; i < 100000 && journal_lines(target("stopped")) < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ::kill(pid, SIGINT);
  int code = wait_ferry(pid);
  if (code == 0) GTEST_SKIP() << "the export finished before it could be stopped";
  EXPECT_EQ(code, 130);
  for (const std::string& name : names_in(target("stopped"))) {
    EXPECT_EQ(name.find(".partial"), std::string::npos) << name << " left behind";
  }
  EXPECT_FALSE(path_exists(io::join(target("stopped"), "shards.json")));
  RunResult again = run_export(drives(4), target("stopped"), extra);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("(from before)"), std::string::npos) << again.out;
  EXPECT_EQ(shard_digests(target("stopped")), shard_digests(target("clean")));
}

TEST_F(Export, TwoExportsIntoOneFolderAreRefused) {
  for (int i = 0; i < 40; ++i) {
    write_file(source(), "s/" + std::to_string(1000 + i) + ".bin",
               random_bytes(100000 + i, 300 + i));
  }
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  std::vector<std::string> args = {"export",   drive(0),     drive(1),       drive(2), drive(3),
                                   "--to",     target("w"),  "--key-file",   key(),    "-q",
                                   "--format", "webdataset", "--shard-size", "300kB"};
  int pid = spawn_ferry(args);
  for (int i = 0; i < 100000 && journal_lines(target("w")) < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ::kill(pid, SIGSTOP);  // held mid-way, its lock with it
  RunResult r = run_ferry(args);
  ::kill(pid, SIGCONT);
  int first = wait_ferry(pid);
  ASSERT_EQ(first, 0);
  if (r.exit_code == 0) GTEST_SKIP() << "the first export finished before the second started";
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("another ferry export"), std::string::npos) << r.err;
  expect_read_back("webdataset", target("w"), source_files());
}

TEST_F(Export, ANonEmptyTargetIsRefusedUnlessOverwrite) {
  make_samples(false);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  make_dir(target(""), "busy");
  write_file(target("busy"), "mine.txt", "keep me\n");
  RunResult r = run_export(drives(4), target("busy"), {"--format", "webdataset", "-q"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("not empty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(names_in(target("busy")), std::set<std::string>{"mine.txt"});

  // An export with other options is not carried on either.
  ASSERT_EQ(run_export(drives(4), target("other"), {"--format", "webdataset", "-q"}).exit_code, 0);
  r = run_export(drives(4), target("other"),
                 {"--format", "webdataset", "--shard-size", "10kB", "-q"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("other options"), std::string::npos) << r.err;

  r = run_export(drives(4), target("busy"), {"--format", "webdataset", "-q", "--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(io::join(target("busy"), "mine.txt")), "keep me\n");
  expect_read_back("webdataset", target("busy"), source_files());
}

// The state file is a journal: a line saying what the export is, then a line a shard,
// appended as each completes (rewriting the whole state each time made an export of
// many shards slow down with the square of their number).
TEST_F(Export, EachShardAddsOneLineToTheStateJournal) {
  make_samples(false);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r = run_export(drives(4), target("w"),
                           {"--format", "webdataset", "--shard-size", "10kB", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t shards = nlohmann::json::parse(r.out)["shards"].size();
  ASSERT_GT(shards, 3u);
  EXPECT_EQ(journal_lines(target("w")), shards + 1);
}

// --overwrite replaces every shard of an earlier export, past a million of them too
// (the writers' numbers grow beyond their 6 and 5 digits), and leaves other files.
TEST_F(Export, OverwriteRemovesShardsOfEveryNumberAndKeepsOtherFiles) {
  make_samples(false);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  make_dir(target(""), "old");
  for (const char* name : {"shard-1000000.tar", "shard.100000.mds", "shard.100001.mds.zstd",
                           "shard.00001.mds", "shard-1.tar", "notes.txt"}) {
    write_file(target("old"), name, "stale");
  }
  RunResult r = run_export(drives(4), target("old"), {"--format", "mds", "-q", "--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> left = names_in(target("old"));
  for (const char* gone : {"shard-1000000.tar", "shard.100000.mds", "shard.100001.mds.zstd"}) {
    EXPECT_EQ(left.count(gone), 0u) << gone << " left behind";
  }
  // Not a name ferry writes: somebody else's.
  EXPECT_EQ(left.count("shard-1.tar"), 1u);
  EXPECT_EQ(left.count("notes.txt"), 1u);
}

// An export that writes no shard (nothing but files without an extension selected) run
// again carries on as any other, rather than call its own target not empty.
TEST_F(Export, RunAgainAfterAnExportOfNoShardIsTheSame) {
  write_file(source(), "data/x.bin", "x");
  write_file(source(), "data/README", "no extension");
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  std::vector<std::string> extra = {"--format", "webdataset", "--only", "data/README", "-q"};
  RunResult first = run_export(drives(4), target("w"), extra);
  EXPECT_EQ(first.exit_code, 3) << first.err;
  RunResult again = run_export(drives(4), target("w"), extra);
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_EQ(again.err.find("not empty"), std::string::npos) << again.err;
}

// The index states the limit the shards were cut to: MDS's 32-bit offsets cap a shard
// below 4 GiB whatever --shard-size asks; and the symlinks left out are named.
TEST_F(Export, MdsStatesTheShardLimitItKeptAndSymlinksLeftOutAreNamed) {
  make_samples(false);
  std::filesystem::create_symlink("0001.jpg", source() + "/train/alias.jpg");
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r = run_export(drives(4), target("m"), {"--format", "mds", "--shard-size", "5GiB"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("1 symlinks left out (shards hold files, not links): train/alias.jpg"),
            std::string::npos)
      << r.err;
  nlohmann::json index = nlohmann::json::parse(read_all(io::join(target("m"), "index.json")));
  ASSERT_FALSE(index["shards"].empty());
  for (const auto& shard : index["shards"]) EXPECT_EQ(shard["size_limit"], 0xFFFFFFFFull);
}

TEST_F(Export, RunAgainWhenCompleteChangesNothing) {
  make_samples(false);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  std::vector<std::string> extra = {"--format", "mds", "--shard-size", "30kB", "-q"};
  ASSERT_EQ(run_export(drives(4), target("mds"), extra).exit_code, 0);
  auto before = shard_digests(target("mds"));
  std::string index = read_all(io::join(target("mds"), "index.json"));
  extra.pop_back();
  extra.push_back("--json");
  RunResult r = run_export(drives(4), target("mds"), extra);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);  // alive through the loop
  for (const auto& s : report["shards"])
    EXPECT_TRUE(s["resumed"].get<bool>());
  EXPECT_EQ(shard_digests(target("mds")), before);
  EXPECT_EQ(read_all(io::join(target("mds"), "index.json")), index);
}

TEST_F(Export, AShardChangedSinceIsWrittenAgain) {
  make_samples(false);
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  std::vector<std::string> extra = {"--format", "webdataset", "--shard-size", "30kB", "-q"};
  ASSERT_EQ(run_export(drives(4), target("w"), extra).exit_code, 0);
  auto before = shard_digests(target("w"));
  const std::string shard = io::join(target("w"), "shard-000001.tar");
  flip_bit(shard, 700, 2);  // same size, other bytes, a newer mtime
  remove_file(io::join(target("w"), "shard-000002.tar"));
  extra.pop_back();
  extra.push_back("--json");
  RunResult r = run_export(drives(4), target("w"), extra);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);  // alive through the loop
  for (const auto& s : report["shards"]) {
    std::string name = s["name"].get<std::string>();
    bool rewritten = name == "shard-000001.tar" || name == "shard-000002.tar";
    EXPECT_EQ(s["resumed"].get<bool>(), !rewritten) << name;
  }
  EXPECT_EQ(shard_digests(target("w")), before);
}

TEST_F(Export, GroupFileRefusesTwoFilesOfOneKeyNamingThem) {
  write_file(source(), "img/a.jpg", "jpeg bytes");
  write_file(source(), "img/a.json", "{}");
  write_file(source(), "img/b.jpg", "more jpeg bytes");
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r =
      run_export(drives(4), target("f"), {"--format", "webdataset", "--group", "file", "-q"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("img/a.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("img/a.json"), std::string::npos) << r.err;
  EXPECT_EQ(nothing_in(target("f")), "");

  // Each file a sample of its own where the keys differ; by basename, a and b.
  r = run_export(drives(4), target("g"),
                 {"--format", "webdataset", "--group", "file", "--only", "img/b.jpg", "--only",
                  "img/a.json", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["samples"], 2);
  r = run_export(drives(4), target("h"), {"--format", "webdataset", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["samples"], 2);
  EXPECT_EQ(nlohmann::json::parse(r.out)["files"], 3);
}

TEST_F(Export, OptionsThatDoNotFitAreUsageErrorsThatWriteNothing) {
  write_file(source(), "a/1.bin", "x");
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  struct Case {
    std::vector<std::string> extra;
    std::string says;
  };
  for (const Case& c :
       std::vector<Case>{{{"--format", "mds", "--hash", "xxh64"}, "sha1"},
                         {{"--format", "webdataset", "--compression", "zstd"}, "--format mds"},
                         {{"--format", "webdataset", "--hash", "sha1"}, "--format mds"},
                         {{"--format", "mds", "--seed", "3"}, "--shuffle"},
                         {{"--format", "tar"}, "--format"},
                         {{"--format", "mds", "--shard-size", "0"}, "--shard-size"},
                         {{"--format", "mds", "--only", "not/there"}, "not/there"}}) {
    RunResult r = run_export(drives(4), target("t"), c.extra);
    EXPECT_EQ(r.exit_code, 2) << c.extra[1] << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(nothing_in(target("t")), "") << c.extra[1];
  }
}

TEST_F(Export, FilesWithoutAnExtensionAreLeftOutAndListed) {
  write_file(source(), "data/x.bin", "x");
  write_file(source(), "data/README", "no extension");
  write_file(source(), "data/.hidden", "only a leading dot");
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  RunResult r = run_export(drives(4), target("w"), {"--format", "webdataset", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["skipped_files"], nlohmann::json({"data/.hidden", "data/README"}));
  EXPECT_EQ(report["samples"], 1);
}

TEST_F(Export, ALostFileExits4NamingItAndItsShardIsNotWritten) {
  for (int i = 0; i < 30; ++i) {
    write_file(source(), "p/" + std::to_string(100 + i) + ".bin",
               random_bytes(3 * kTestUnitPlain + 17 * i, 50 + i));
  }
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  std::vector<std::string> three = {drive(0), drive(1), drive(2)};
  std::vector<StoredFile> files = stored_files(drives(4), key());
  format::Layout layout = label_on(drive(0)).layout;
  // Drive 3 stays home; one more block of stripe 20 is damaged: its data units on those
  // two slots are gone.
  const uint64_t stripe = 20;
  int damaged = -1;
  for (uint32_t member = 0; member < layout.k && damaged < 0; ++member) {
    int slot = static_cast<int>(layout.slot_of(stripe, member));
    if (slot != 3) damaged = slot;
  }
  ASSERT_GE(damaged, 0);
  std::set<uint64_t> lost_units;
  for (uint32_t member = 0; member < layout.k; ++member) {
    int slot = static_cast<int>(layout.slot_of(stripe, member));
    if (slot == 3 || slot == damaged) lost_units.insert(stripe * layout.k + member);
  }
  std::set<std::string> expected = files_in_units(files, layout, lost_units);
  ASSERT_FALSE(expected.empty());
  BlockPlace p = block_place(drive(damaged), layout, stripe);
  flip_bit(p.segment, p.offset + format::kBlockHeaderSize + 77, 4);

  std::vector<std::string> extra = {"--format", "webdataset", "--shard-size", "60kB"};
  RunResult r = run_export(three, target("w"), extra);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(lost_paths(r.err), expected) << r.err;
  std::set<std::string> names = names_in(target("w"));
  EXPECT_FALSE(names.count("shards.json")) << "an index with shards missing";
  for (const std::string& name : names) {
    EXPECT_EQ(name.find(".partial"), std::string::npos) << name << " left half written";
  }
  // The shards that were written hold none of the lost files, and are exact.
  ASSERT_GE(journal_lines(target("w")), 2u) << "no shard written";
  ToolRun list = run_tool("cd " + shell_quoted(target("w")) +
                          " && for f in shard-*.tar; do tar -tf \"$f\"; done");
  ASSERT_EQ(list.exit_code, 0);
  for (const std::string& path : expected) {
    EXPECT_EQ(list.out.find(path), std::string::npos) << path << " is in a written shard";
  }

  // Run again with the same drives: the shards written are kept, the others are still
  // short of the lost files, and the report says which.
  extra.push_back("--json");
  RunResult json_run = run_export(three, target("w"), extra);
  EXPECT_EQ(json_run.exit_code, 4) << json_run.err;
  nlohmann::json report = nlohmann::json::parse(json_run.out);
  std::set<std::string> reported;
  for (const auto& p : report["lost_files"]) reported.insert(p.get<std::string>());
  EXPECT_EQ(reported, expected);
  EXPECT_TRUE(report["index"].is_null());
  ASSERT_FALSE(report["shards_not_written"].empty());
  for (const auto& name : report["shards_not_written"]) {
    EXPECT_FALSE(path_exists(io::join(target("w"), name.get<std::string>()))) << name;
  }
  for (const auto& s : report["shards"]) EXPECT_TRUE(s["resumed"].get<bool>()) << s.dump();

  // With the fourth drive back the same command carries on and completes.
  std::vector<std::string> all = drives(4);
  RunResult again =
      run_export(all, target("w"), {"--format", "webdataset", "--shard-size", "60kB", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  expect_read_back("webdataset", target("w"), source_files());
}

TEST_F(Export, ShuffleFollowsTheSharedSampleOrder) {
  for (int i = 0; i < 40; ++i) {
    write_file(source(), "s/" + std::to_string(100 + i) + ".bin", random_bytes(1000 + 37 * i, i));
  }
  ASSERT_EQ(pack(4, 1).exit_code, 0);
  ASSERT_EQ(run_export(drives(4), target("plain"), {"--format", "mds", "-q"}).exit_code, 0);
  ASSERT_EQ(
      run_export(drives(4), target("mixed"), {"--format", "mds", "-q", "--shuffle", "--seed", "11"})
          .exit_code,
      0);
  nlohmann::json plain = read_shards_back(dir_.path(), "mds", target("plain"), source());
  nlohmann::json mixed = read_shards_back(dir_.path(), "mds", target("mixed"), source());
  ASSERT_TRUE(plain["ok"].get<bool>() && mixed["ok"].get<bool>());
  std::vector<std::string> drive_order = names_of(plain["keys"]);
  std::vector<uint64_t> sizes;
  for (int i = 0; i < 40; ++i) sizes.push_back(1000 + 37 * i);
  SampleOrderOptions o;
  o.shuffle = true;
  o.seed = 11;
  o.span_bytes = 64ull << 20;
  std::vector<std::string> want;
  for (uint64_t i : sample_order(sizes, o).order) want.push_back(drive_order[i]);
  EXPECT_EQ(names_of(mixed["keys"]), want);
  EXPECT_NE(want, drive_order);
}

}  // namespace
}  // namespace ferry::test
