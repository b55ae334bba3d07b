// The pieces of `ferry export` one at a time: tar headers (ustar fields, checksum, pax
// where ustar cannot hold a name, size or mtime), sample keys by WebDataset's rule,
// grouping and its refusals, shard cutting, Python-spelled JSON and the MDS shard head.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "export/mds_format.h"
#include "export/py_json.h"
#include "export/samples.h"
#include "export/tar_header.h"
#include "ferry/error.h"

namespace ferry::exporting {
namespace {

uint64_t octal_field(const std::string& block, size_t at, size_t width) {
  return std::stoull(block.substr(at, width).c_str(), nullptr, 8);
}

unsigned checksum_of(std::string block) {
  std::memset(block.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : block.substr(0, 512)) sum += c;
  return sum;
}

TEST(TarHeader, ShortAsciiNameIsOneUstarBlockWithAValidChecksum) {
  TarMember m{"train/0001.jpg", 1234, 0640, 1700000000123456789};
  std::string h = tar_header(m);
  ASSERT_EQ(h.size(), 512u);
  EXPECT_EQ(std::string(h.c_str()), "train/0001.jpg");
  EXPECT_EQ(octal_field(h, 100, 7), 0640u);
  EXPECT_EQ(octal_field(h, 124, 11), 1234u);
  EXPECT_EQ(octal_field(h, 136, 11), 1700000000u);
  EXPECT_EQ(h[156], '0');
  EXPECT_EQ(h.substr(257, 6), std::string("ustar\0", 6));
  EXPECT_EQ(h.substr(263, 2), "00");
  EXPECT_EQ(octal_field(h, 148, 6), checksum_of(h));
  EXPECT_EQ(tar_member_bytes(m), 512u + 1234u + tar_padding(1234));
  EXPECT_EQ((1234 + tar_padding(1234)) % 512, 0u);
}

TEST(TarHeader, NameUpTo255BytesSplitsIntoPrefixAndName) {
  std::string dir(120, 'd'), leaf(90, 'f');
  std::string h = tar_header({dir + "/" + leaf + ".bin", 1, 0644, 0});
  ASSERT_EQ(h.size(), 512u) << "a name ustar can split needs no pax header";
  EXPECT_EQ(std::string(h.c_str()), leaf + ".bin");
  EXPECT_EQ(std::string(h.c_str() + 345), dir);
}

TEST(TarHeader, LongOrUtf8NamesGetAPaxPathRecord) {
  std::string long_name = std::string(200, 'a') + "/" + std::string(150, 'b') + ".txt";
  std::string long_raw = std::string(200, 'a') + "/" + std::string(150, 'b') + "\xff.txt";
  for (const std::string& name : {long_name, std::string("ünï/çà.txt"), long_raw}) {
    std::string h = tar_header({name, 10, 0644, 0});
    ASSERT_EQ(h.size() % 512, 0u);
    ASSERT_GE(h.size(), 1536u) << name;
    EXPECT_EQ(h[156], 'x') << name;
    std::string records = h.substr(512, octal_field(h, 124, 11));
    std::string path_record = " path=" + name + "\n";
    ASSERT_NE(records.find(path_record), std::string::npos) << records;
    // Each record's length counts the whole record, its own digits included.
    size_t at = 0;
    while (at < records.size()) {
      size_t space = records.find(' ', at);
      size_t len = std::stoul(records.substr(at, space - at));
      EXPECT_EQ(records[at + len - 1], '\n');
      at += len;
    }
    EXPECT_EQ(at, records.size());
    EXPECT_EQ(records.find("hdrcharset") != std::string::npos, !is_utf8(name)) << name;
    std::string ustar = h.substr(h.size() - 512);
    EXPECT_EQ(ustar[156], '0');
    EXPECT_EQ(octal_field(ustar, 148, 6), checksum_of(ustar));
  }
}

TEST(TarHeader, AShortNameThatIsNotUtf8StaysRawInUstar) {
  std::string h = tar_header({"raw\xff.bin", 10, 0644, 0});
  ASSERT_EQ(h.size(), 512u);
  EXPECT_EQ(std::string(h.c_str()), "raw\xff.bin");
  EXPECT_EQ(octal_field(h, 148, 6), checksum_of(h));
}

TEST(TarHeader, SizesBeyondElevenOctalDigitsGoToPax) {
  uint64_t big = 9ull << 30;  // 9 GiB > 8 GiB - 1
  std::string h = tar_header({"v/huge.bin", big, 0644, 0});
  ASSERT_EQ(h.size(), 1536u);
  EXPECT_NE(h.find("size=" + std::to_string(big) + "\n"), std::string::npos);
}

TEST(Utf8, AcceptsUtf8AndRejectsOverlongSurrogatesAndStrayBytes) {
  EXPECT_TRUE(is_utf8("plain"));
  EXPECT_TRUE(is_utf8("çà ü €𝄞"));
  EXPECT_FALSE(is_utf8("\xff"));
  EXPECT_FALSE(is_utf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(is_utf8("\xe2\x82"));      // cut short
}

TEST(SampleKey, FolderAndNameUpToTheFirstDot) {
  std::string key, ext;
  ASSERT_TRUE(split_key("train/0001.seg.png", key, ext));
  EXPECT_EQ(key, "train/0001");
  EXPECT_EQ(ext, "seg.png");
  ASSERT_TRUE(split_key("v1.2/a.txt", key, ext));
  EXPECT_EQ(key, "v1.2/a");
  EXPECT_EQ(ext, "txt");
  EXPECT_FALSE(split_key("README", key, ext));
  EXPECT_FALSE(split_key("d/.hidden", key, ext));
  EXPECT_FALSE(split_key("d/trailing.", key, ext));
  EXPECT_FALSE(split_key("v1.2/noext", key, ext));
}

ShipmentEntry file(const std::string& path, uint64_t size, int64_t id) {
  ShipmentEntry e;
  e.path = path;
  e.size = size;
  e.id = id;
  return e;
}

TEST(GroupSamples, FilesSharingAKeyFormOneSampleInDriveOrder) {
  Samples s = group_samples({file("b/2.jpg", 5, 1), file("b/2.json", 1, 2), file("a/1.jpg", 7, 3),
                             file("README", 3, 4), file("a/1.cls", 1, 5)},
                            SampleGrouping::kBasename);
  ASSERT_EQ(s.samples.size(), 2u);
  EXPECT_EQ(s.samples[0].key, "b/2");
  EXPECT_EQ(s.samples[0].bytes, 6u);
  EXPECT_EQ(s.samples[1].key, "a/1");
  ASSERT_EQ(s.samples[1].files.size(), 2u);
  EXPECT_EQ(s.samples[1].files[0].ext, "cls");  // by extension within a sample
  EXPECT_EQ(s.skipped, std::vector<std::string>{"README"});
}

TEST(GroupSamples, TwoFilesOfOneExtensionAreRefusedNamingBoth) {
  try {
    group_samples({file("a/1.jpg", 1, 1), file("a/1.jpg", 1, 2)}, SampleGrouping::kBasename);
    FAIL() << "no refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
    EXPECT_NE(std::string(e.what()).find("a/1.jpg and a/1.jpg"), std::string::npos) << e.what();
  }
  try {
    group_samples({file("a/1.jpg", 1, 1), file("a/1.txt", 1, 2)}, SampleGrouping::kFile);
    FAIL() << "no refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
    EXPECT_NE(std::string(e.what()).find("a/1.jpg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a/1.txt"), std::string::npos) << e.what();
  }
}

TEST(GroupSamples, AFileWhoseExtensionIsTheKeyColumnIsRefused) {
  for (auto grouping : {SampleGrouping::kBasename, SampleGrouping::kFile}) {
    try {
      group_samples({file("b.jpg", 1, 1), file("b.__key__", 1, 2)}, grouping);
      FAIL() << "no refusal";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kConflict);
      EXPECT_NE(std::string(e.what()).find("b.__key__"), std::string::npos) << e.what();
    }
  }
}

TEST(CutShards, ANewShardBeginsWhenTheNextSampleWouldPassTheLimit) {
  std::vector<uint64_t> cost = {40, 40, 40, 250, 10, 10};
  std::vector<uint64_t> order = {0, 1, 2, 3, 4, 5};
  // overhead 20: 20+40+40 = 100 fits, +40 would not; 250 alone passes the limit.
  EXPECT_EQ(cut_shards(order, cost, 20, 100), (std::vector<uint64_t>{2, 1, 1, 2}));
  EXPECT_EQ(cut_shards({}, cost, 20, 100), std::vector<uint64_t>{});
  EXPECT_EQ(cut_shards({5, 4}, cost, 0, 1000), std::vector<uint64_t>{2});
}

TEST(PythonJson, SpelledAsJsonDumpsWithSortKeys) {
  nlohmann::json j = {{"b", {1, nullptr, true}}, {"a", "x\"é\n\U0001D11E"}, {"c", {{"z", 0}}}};
  EXPECT_EQ(
      python_json(j),
      "{\"a\": \"x\\\"\\u00e9\\n\\ud834\\udd1e\", \"b\": [1, null, true], \"c\": {\"z\": 0}}");
}

TEST(MdsFormat, ColumnsSortedWithTheKeyAsText) {
  MdsColumns c = mds_columns({"jpg", "cls", "jpg", "Z"});
  EXPECT_EQ(c.names, (std::vector<std::string>{"Z", "__key__", "cls", "jpg"}));
  EXPECT_EQ(c.encodings, (std::vector<std::string>{"bytes", "str", "bytes", "bytes"}));
}

TEST(MdsFormat, ShardHeadIsCountOffsetsFromTheFileStartAndConfig) {
  std::string config = "{\"x\": 1}";
  std::string head = mds_shard_head({10, 20}, config);
  auto u32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<unsigned char>(head[at + i])) << (8 * i);
    return v;
  };
  ASSERT_EQ(head.size(), 4 + 3 * 4 + config.size());
  EXPECT_EQ(u32(0), 2u);
  EXPECT_EQ(u32(4), head.size());
  EXPECT_EQ(u32(8), head.size() + 10);
  EXPECT_EQ(u32(12), head.size() + 30);
  EXPECT_EQ(head.substr(16), config);
  // A shard's size: the overhead (count, the last offset, config) and per sample its
  // offset, one u32 per column and its bytes.
  EXPECT_EQ(mds_shard_overhead(config.size()), 8 + config.size());
  EXPECT_EQ(mds_sample_bytes(3, 7), 4u + 12u + 7u);
}

TEST(MdsFormat, AShardPast4GiBIsRefused) {
  EXPECT_THROW(mds_shard_head({kMdsMaxShardBytes}, "{}"), Error);
}

}  // namespace
}  // namespace ferry::exporting
