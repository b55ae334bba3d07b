#include "export/export_state.h"

#include <sys/stat.h>

#include <vector>

#include "codec/sha256.h"
#include "ferry/error.h"
#include "io/file.h"

namespace ferry::exporting {

std::optional<ExportState> load_state(const std::string& dir) {
  const std::string path = io::join(dir, kStateFile);
  if (!io::exists(path)) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(io::read_whole_file(path));
    if (j.at("ferry_export").get<int>() != 1) return std::nullopt;
    ExportState s;
    s.shipment = j.at("shipment").get<std::string>();
    s.options = j.at("options");
    s.plan = j.at("plan").get<std::string>();
    for (const auto& [name, r] : j.at("shards").items()) {
      s.shards[name] = ShardRecord{r.at("samples").get<uint64_t>(), r.at("bytes").get<uint64_t>(),
                                   r.at("sha256").get<std::string>(), r.at("index_entry"),
                                   r.at("mtime_ns").get<int64_t>()};
    }
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
}

void save_state(const std::string& dir, const ExportState& s) {
  nlohmann::json shards = nlohmann::json::object();
  for (const auto& [name, r] : s.shards) {
    shards[name] = {{"samples", r.samples},
                    {"bytes", r.bytes},
                    {"sha256", r.sha256},
                    {"index_entry", r.index_entry},
                    {"mtime_ns", r.mtime_ns}};
  }
  nlohmann::json j = {{"ferry_export", 1},
                      {"shipment", s.shipment},
                      {"options", s.options},
                      {"plan", s.plan},
                      {"shards", shards}};
  io::write_file_atomically(io::join(dir, kStateFile), j.dump(1) + "\n");
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
