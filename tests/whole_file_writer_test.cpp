// Restore's WholeFileWriter writes files of up to 16 MiB stored on a pool of threads.
// Each file must come out byte-exact with the catalog's mode and mtime, or, when its
// bytes were lost or do not match the catalog, not at all; the caller hears of every
// file in the order it submitted them, whatever order the workers finish in; a file that
// cannot be written is reported as an error, and nothing is ever left under a temporary
// name. Small files wait in the queue for company, never for ever.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "codec/sha256.h"
#include "codec/zstd.h"
#include "ferry/error.h"
#include "format/constants.h"
#include "read/whole_file_writer.h"
#include "support/temp_dir.h"
#include "support/tree.h"
#include "support/within_a_minute.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;
using read::Gathered;
using read::WholeFileWriter;

// A file to submit: its entry, the bytes stored for it and what gathering found.
struct Submitted {
  format::Entry entry;
  std::string stored;
  Gathered gathered = Gathered::kChecked;
  std::string content;  // what the restored file must hold
  bool expect_written = true;
};

Submitted raw_file(int64_t id, const std::string& path, std::string content, Gathered gathered) {
  Submitted s;
  s.entry.id = id;
  s.entry.path = path;
  s.entry.kind = format::EntryKind::kFile;
  s.entry.size = content.size();
  s.entry.mode = 0600 + static_cast<uint32_t>(id % 2) * 040;
  s.entry.mtime_ns = 1'600'000'000'000'000'000 + id * 1'000'000'007;
  s.entry.sha256 = codec::sha256(content.data(), content.size());
  s.entry.encoding = format::Encoding::kRaw;
  s.entry.stored = content.size();
  s.stored = content;
  s.content = std::move(content);
  s.gathered = gathered;
  return s;
}

// The same file stored as independent zstd frames, as pack stores compressible files.
Submitted compressed_file(int64_t id, const std::string& path, std::string content) {
  Submitted s = raw_file(id, path, std::move(content), Gathered::kToCheck);
  s.entry.encoding = format::Encoding::kZstdFrames;
  s.stored.clear();
  codec::ZstdCompressor zstd;
  std::vector<uint8_t> packed(codec::zstd_bound(format::kCompressionFrameSize));
  for (size_t at = 0; at < s.content.size(); at += format::kCompressionFrameSize) {
    size_t len = std::min<size_t>(format::kCompressionFrameSize, s.content.size() - at);
    size_t c = zstd.compress(s.content.data() + at, len, packed.data(), packed.size());
    s.stored.append(reinterpret_cast<const char*>(packed.data()), c);
    s.entry.frames.push_back(static_cast<uint32_t>(c));
  }
  s.entry.stored = s.stored.size();
  return s;
}

// `count` raw files a/f1, a/f2, … of `size` random bytes each, their digests checked.
std::vector<Submitted> raw_files_in_a(int64_t count, size_t size) {
  std::vector<Submitted> files;
  for (int64_t id = 1; id <= count; ++id) {
    files.push_back(
        raw_file(id, "a/f" + std::to_string(id), random_bytes(size, id), Gathered::kChecked));
  }
  return files;
}

// Hands one file to the writer as restore does: its stored bytes into a buffer, then queued.
void submit(WholeFileWriter& writer, const Submitted& f) {
  util::ByteBuffer& buffer = writer.prepare(f.entry);
  EXPECT_EQ(buffer.size(), f.stored.size());
  std::copy(f.stored.begin(), f.stored.end(), buffer.begin());
  writer.submit(f.gathered);
}

// Submits every file in order; returns the reports as (id, written), in the order heard.
std::vector<std::pair<int64_t, bool>> write_all(const std::string& target,
                                                const std::vector<Submitted>& files) {
  std::vector<std::pair<int64_t, bool>> heard;
  WholeFileWriter writer(target, 3, [&](const format::Entry& e, bool written) {
    heard.emplace_back(e.id, written);
  });
  for (const Submitted& f : files) {
    submit(writer, f);
    writer.report_finished();
  }
  writer.finish();
  return heard;
}

std::vector<std::string> temporary_files(const std::string& root) {
  std::vector<std::string> found;
  for (const auto& p : fs::recursive_directory_iterator(root)) {
    if (p.path().filename().string().rfind(".ferry-tmp-", 0) == 0) found.push_back(p.path());
  }
  return found;
}

// Every file reported once, in the order submitted; each written one byte-exact with
// its mode and mtime, each lost one absent; no temporary file left.
void expect_exact_or_absent(const std::string& root, const std::vector<Submitted>& files,
                            const std::vector<std::pair<int64_t, bool>>& heard) {
  ASSERT_EQ(heard.size(), files.size());
  const auto tree = snapshot(root);
  for (size_t i = 0; i < files.size(); ++i) {
    const Submitted& f = files[i];
    SCOPED_TRACE(f.entry.path);
    EXPECT_EQ(heard[i].first, f.entry.id) << "reported out of order";
    EXPECT_EQ(heard[i].second, f.expect_written);
    auto it = tree.find(f.entry.path);
    if (!f.expect_written) {
      EXPECT_TRUE(it == tree.end()) << "a lost file was written";
      continue;
    }
    ASSERT_TRUE(it != tree.end()) << "not written";
    EXPECT_TRUE(it->second.content == f.content) << "not byte-exact";
    EXPECT_EQ(it->second.mode, f.entry.mode);
    EXPECT_EQ(it->second.mtime_ns, f.entry.mtime_ns);
  }
  EXPECT_EQ(temporary_files(root), std::vector<std::string>{});
}

TEST(WholeFileWriter, FilesAreExactOrAbsentAndReportedInTheOrderSubmitted) {
  TempDir target;
  make_dir(target.path(), "a");
  make_dir(target.path(), "b/c");
  std::vector<Submitted> files;
  // A large compressed file first and small ones after it, so that workers finish out
  // of order; raw files checked already and still to check; every kind of loss.
  files.push_back(compressed_file(1, "a/big.csv", csv_text(12u << 20, 1)));
  for (int64_t id = 2; id < 40; ++id) {
    const std::string dir = id % 2 ? "a/" : "b/c/";
    const size_t size = (64u << 10) + static_cast<size_t>(id) * 7919;
    if (id % 5 == 0) {
      files.push_back(compressed_file(id, dir + "s" + std::to_string(id), csv_text(size * 4, id)));
    } else {
      files.push_back(raw_file(id, dir + "r" + std::to_string(id), random_bytes(size, id),
                               id % 3 ? Gathered::kChecked : Gathered::kToCheck));
    }
  }
  files[6].stored[100] ^= 1;  // raw, to check: its SHA-256 does not match
  files[6].gathered = Gathered::kToCheck;
  files[6].expect_written = false;
  files[9].stored[files[9].stored.size() / 2] ^= 0x55;  // compressed: a frame damaged
  files[9].expect_written = false;
  files[12].gathered = Gathered::kLost;  // bytes the stripes could not give back
  files[12].expect_written = false;
  files[14].entry.size += 1;  // compressed: decompresses to the wrong size
  files[14].expect_written = false;
  files[19].entry.sha256[0] ^= 1;  // compressed: other bytes than pack read
  files[19].expect_written = false;

  expect_exact_or_absent(target.path(), files, write_all(target.path(), files));
}

TEST(WholeFileWriter, SmallFilesInManyFoldersAreExactOrAbsentAndReportedInOrder) {
  TempDir target;
  for (int d = 0; d < 7; ++d) make_dir(target.path(), "d" + std::to_string(d));
  // More small files than the pool has buffers for them, so that buffers are reused and
  // the caller may wait for them, in runs of a folder each as a walk leaves them; empty
  // files, compressed ones, one larger file among them, and losses of every kind.
  std::vector<Submitted> files;
  for (int64_t id = 1; id <= 1500; ++id) {
    const std::string path = "d" + std::to_string(id / 230) + "/f" + std::to_string(id);
    const size_t size = id % 97 == 0 ? 0 : static_cast<size_t>(id * 7919 % 65000);
    if (id == 700) {
      files.push_back(raw_file(id, path, random_bytes(3u << 20, id), Gathered::kChecked));
    } else if (id % 11 == 0) {
      files.push_back(compressed_file(id, path, csv_text(size * 3, id)));
    } else {
      files.push_back(raw_file(id, path, random_bytes(size, id),
                               id % 3 ? Gathered::kChecked : Gathered::kToCheck));
    }
  }
  auto lose = [&](size_t i, auto damage) {
    damage(files[i]);
    files[i].expect_written = false;
  };
  lose(5, [](Submitted& f) { f.gathered = Gathered::kLost; });
  lose(299, [](Submitted& f) {  // raw, to check (id 300): its SHA-256 does not match
    f.stored[f.stored.size() / 2] ^= 1;
  });
  lose(241, [](Submitted& f) { f.entry.sha256[0] ^= 1; });    // compressed (id 242)
  lose(1099, [](Submitted& f) { f.entry.size += 1; });        // compressed (id 1100)
  ASSERT_EQ(files[299].gathered, Gathered::kToCheck);
  ASSERT_EQ(files[241].entry.encoding, format::Encoding::kZstdFrames);
  ASSERT_EQ(files[1099].entry.encoding, format::Encoding::kZstdFrames);

  expect_exact_or_absent(target.path(), files, write_all(target.path(), files));
}

TEST(WholeFileWriter, FewSmallFilesAreWrittenWithoutWaitingForMore) {
  TempDir target;
  make_dir(target.path(), "a");
  const std::vector<Submitted> files = raw_files_in_a(4, 1000);
  std::vector<std::pair<int64_t, bool>> heard;
  WholeFileWriter writer(target.path(), 2, [&](const format::Entry& e, bool written) {
    heard.emplace_back(e.id, written);
  });
  // A first file and a pause, so that the workers are asleep when the next ones come.
  submit(writer, files[0]);
  within_a_minute("WholeFileWriter::finish()", [&] { writer.finish(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Before the caller turns to a long file, it sets the workers to the two queued.
  submit(writer, files[1]);
  submit(writer, files[2]);
  writer.start_queued();
  within_a_minute("waiting for two small files after start_queued()", [&] {
    while (heard.size() < 3) {
      writer.report_finished();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  // And at the end it waits for the last one alone.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  submit(writer, files[3]);
  within_a_minute("WholeFileWriter::finish()", [&] { writer.finish(); });
  expect_exact_or_absent(target.path(), files, heard);
}

TEST(WholeFileWriter, AFileThatCannotBeWrittenIsAnErrorNamingItAndLeavesNothing) {
  TempDir target;
  make_dir(target.path(), "a/taken");  // a folder where the file's name should go
  write_file(target.path(), "a/taken/inside", "x");
  std::vector<Submitted> files;
  files.push_back(raw_file(1, "a/first", random_bytes(70000, 1), Gathered::kChecked));
  files.push_back(raw_file(2, "a/taken", random_bytes(70000, 2), Gathered::kChecked));
  files.push_back(raw_file(3, "a/third", random_bytes(70000, 3), Gathered::kChecked));
  try {
    write_all(target.path(), files);
    FAIL() << "no error for a file whose name is taken by a folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a/taken"), std::string::npos) << e.what();
  }
  EXPECT_EQ(temporary_files(target.path()), std::vector<std::string>{});
  EXPECT_TRUE(fs::is_directory(target / "a/taken"));
}

TEST(WholeFileWriter, StoppedWithFilesQueuedLeavesOnlyWholeFiles) {
  TempDir target;
  make_dir(target.path(), "a");
  const std::vector<Submitted> files = raw_files_in_a(60, 200000);
  {
    WholeFileWriter writer(target.path(), 2, [](const format::Entry&, bool) {});
    for (const Submitted& f : files) submit(writer, f);
  }  // destroyed without finish(), as when a restore stops on request
  auto tree = snapshot(target.path());
  for (const Submitted& f : files) {
    auto it = tree.find(f.entry.path);
    if (it != tree.end()) {
      EXPECT_TRUE(it->second.content == f.content) << f.entry.path;
    }
  }
  EXPECT_EQ(temporary_files(target.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace ferry::test
