// The export's read-ahead: files come back whole, in the order given, in bounded
// chunks; a file that cannot be read comes back as its error, and the files after it
// still come; asking past the last file is an error, not a wait for ever.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "export/prefetch.h"
#include "ferry/error.h"

namespace ferry::exporting {
namespace {

// A shipment in memory: files by path; a path in `broken` cannot be read.
class FakeShipment : public Shipment {
 public:
  std::map<std::string, std::string> files;
  std::string broken;

  std::string id() const override { return "00"; }
  uint32_t k() const override { return 1; }
  uint32_t m() const override { return 0; }
  std::vector<uint32_t> missing_slots() const override { return {}; }
  std::vector<std::string> warnings() const override { return {}; }
  std::optional<ShipmentEntry> stat(std::string_view) const override { return std::nullopt; }
  void list(std::string_view, const std::function<bool(const ShipmentEntry&)>&) const override {}
  void children(std::string_view, const std::function<bool(const ShipmentEntry&)>&) const override {
  }
  std::vector<std::pair<std::string, std::string>> xattrs(const ShipmentEntry&) const override {
    return {};
  }
  size_t read(const ShipmentEntry& entry, uint64_t offset, void* out, size_t len) const override {
    if (entry.path == broken) throw Error(ErrorKind::kNotEnoughDrives, "gone: " + entry.path);
    const std::string& bytes = files.at(entry.path);
    size_t n = offset >= bytes.size() ? 0 : std::min<size_t>(len, bytes.size() - offset);
    std::memcpy(out, bytes.data() + offset, n);
    return n;
  }
  std::string read(std::string_view path) const override { return files.at(std::string(path)); }
  std::string read(std::string_view path, uint64_t offset, uint64_t len) const override {
    return files.at(std::string(path)).substr(offset, len);
  }
  ShipmentStats stats() const override { return {}; }
};

ShipmentEntry entry(const std::string& path, uint64_t size) {
  ShipmentEntry e;
  e.path = path;
  e.size = size;
  return e;
}

TEST(FilePrefetcher, FilesComeBackWholeInOrderAndALostOneAsItsError) {
  FakeShipment s;
  s.files = {
      {"a", std::string(10000, 'a')}, {"b", ""}, {"c", "ccc"}, {"d", std::string(2500, 'd')}};
  s.broken = "c";
  std::vector<ShipmentEntry> entries = {entry("a", 10000), entry("b", 0), entry("c", 3),
                                        entry("d", 2500)};
  std::vector<const ShipmentEntry*> order;
  for (const auto& e : entries) order.push_back(&e);
  FilePrefetcher prefetch(s, order, 1024, 4096);
  for (const ShipmentEntry& e : entries) {
    std::string got;
    bool lost = false;
    for (;;) {
      FilePrefetcher::Chunk chunk = prefetch.next();
      EXPECT_LE(chunk.data.size(), 1024u);
      if (chunk.error) {
        EXPECT_EQ(chunk.error->kind(), ErrorKind::kNotEnoughDrives);
        EXPECT_TRUE(chunk.last);
        lost = true;
        break;
      }
      got.append(chunk.data.data(), chunk.data.size());
      bool last = chunk.last;
      prefetch.recycle(std::move(chunk.data));
      if (last) break;
    }
    EXPECT_EQ(lost, e.path == "c") << e.path;
    if (!lost) {
      EXPECT_EQ(got, s.files[e.path]) << e.path;
    }
  }
  EXPECT_THROW(prefetch.next(), Error);
}

TEST(FilePrefetcher, DroppedHalfWayStopsItsThread) {
  FakeShipment s;
  std::vector<ShipmentEntry> entries;
  for (int i = 0; i < 100; ++i) {
    s.files["f" + std::to_string(i)] = std::string(5000, 'x');
    entries.push_back(entry("f" + std::to_string(i), 5000));
  }
  std::vector<const ShipmentEntry*> order;
  for (const auto& e : entries) order.push_back(&e);
  {
    FilePrefetcher prefetch(s, order, 4096, 8192);
    prefetch.next();
  }  // the destructor returns: the reading thread, blocked on a full queue, was woken
  SUCCEED();
}

}  // namespace
}  // namespace ferry::exporting
