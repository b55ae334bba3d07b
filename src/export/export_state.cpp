#include "export/export_state.h"

#include <sys/stat.h>

#include <vector>

#include "codec/sha256.h"
#include "ferry/error.h"
#include "io/file.h"

namespace ferry::exporting {

namespace {

constexpr int kStateVersion = 2;

nlohmann::json shard_line(const std::string& name, const ShardRecord& r) {
  return {{"shard", name},
          {"samples", r.samples},
          {"bytes", r.bytes},
          {"sha256", r.sha256},
          {"index_entry", r.index_entry},
          {"mtime_ns", r.mtime_ns}};
}

void read_shard_line(const nlohmann::json& r, ExportState& s) {
  s.shards[r.at("shard").get<std::string>()] =
      ShardRecord{r.at("samples").get<uint64_t>(), r.at("bytes").get<uint64_t>(),
                  r.at("sha256").get<std::string>(), r.at("index_entry"),
                  r.at("mtime_ns").get<int64_t>()};
}

}  // namespace

std::optional<ExportState> load_state(const std::string& dir) {
  const std::string path = io::join(dir, kStateFile);
  if (!io::exists(path)) return std::nullopt;
  try {
    const std::string text = io::read_whole_file(path);
    ExportState s;
    size_t at = 0, end = text.find('\n');
    if (end == std::string::npos) return std::nullopt;
    nlohmann::json head = nlohmann::json::parse(text.substr(0, end));
    if (head.at("ferry_export").get<int>() != kStateVersion) return std::nullopt;
    s.shipment = head.at("shipment").get<std::string>();
    s.options = head.at("options");
    s.plan = head.at("plan").get<std::string>();
    for (at = end + 1; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
      // A line without its newline was cut short by a kill: its shard is written again.
      read_shard_line(nlohmann::json::parse(text.substr(at, end - at)), s);
    }
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
}

void save_state(const std::string& dir, const ExportState& s) {
  nlohmann::json head = {{"ferry_export", kStateVersion},
                         {"shipment", s.shipment},
                         {"options", s.options},
                         {"plan", s.plan}};
  std::string text = head.dump() + "\n";
  for (const auto& [name, r] : s.shards) text += shard_line(name, r).dump() + "\n";
  io::write_file_atomically(io::join(dir, kStateFile), text);
}

void add_shard(const std::string& dir, const std::string& name, const ShardRecord& record) {
  io::File f = io::File::open_write(io::join(dir, kStateFile), false);
  const std::string line = shard_line(name, record).dump() + "\n";
  f.pwrite(line.data(), line.size(), f.size());
  f.sync();
  f.close();
}

std::string file_sha256(const std::string& path) {
  try {
    io::File f = io::File::open_read(path);
    codec::Sha256 h;
    std::vector<char> buf(1 << 20);
    while (size_t n = f.read(buf.data(), buf.size())) h.update(buf.data(), n);
    return codec::to_hex(h.finish());
  } catch (const Error&) {
    return "";
  }
}

}  // namespace ferry::exporting

namespace ferry::exporting {

int64_t file_mtime_ns(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

bool shard_unchanged(const std::string& path, const ShardRecord& record, bool rehash) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (static_cast<uint64_t>(st.st_size) != record.bytes) return false;
  if (file_mtime_ns(path) != record.mtime_ns) return false;
  return !rehash || file_sha256(path) == record.sha256;
}

}  // namespace ferry::exporting
