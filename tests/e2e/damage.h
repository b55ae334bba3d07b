// Helpers for the damage tests: where a block of a shipment lies on a drive folder,
// ways to damage the bytes there, the catalog read with the key (to know which file
// lies in which data unit), and `ferry verify --json` parsed.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e/checks.h"
#include "format/drive_folder.h"
#include "format/keys.h"
#include "format/label.h"
#include "read/drive_set.h"
#include "read/open_shipment.h"
#include "support/run.h"

namespace ferry::test {

// The shipment folder on `drive` (the only one there).
inline std::string shipment_folder(const std::string& drive) {
  auto folders = format::find_shipment_folders(drive);
  if (folders.size() != 1) throw std::runtime_error("expected one shipment on " + drive);
  return folders.front();
}

inline format::Label label_on(const std::string& drive) {
  return format::read_label(shipment_folder(drive));
}

// Where the block of `stripe` lies on a drive: its segment file and byte offset.
struct BlockPlace {
  std::string segment;
  uint64_t offset = 0;
};
inline BlockPlace block_place(const std::string& drive, const format::Layout& layout,
                              uint64_t stripe) {
  return {format::segment_path(shipment_folder(drive), layout.segment_of(stripe)),
          layout.offset_in_segment(stripe)};
}
inline std::string segment_file(const std::string& drive, uint64_t index) {
  return format::segment_path(shipment_folder(drive), index);
}

inline uint64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
  return static_cast<uint64_t>(st.st_size);
}

inline std::string read_range(const std::string& path, uint64_t offset, size_t len) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  std::string out(len, '\0');
  ssize_t got = ::pread(fd, out.data(), len, static_cast<off_t>(offset));
  ::close(fd);
  out.resize(got < 0 ? 0 : static_cast<size_t>(got));
  return out;
}

inline void write_range(const std::string& path, uint64_t offset, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) throw std::runtime_error("cannot open " + path + " for writing");
  ssize_t put = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
  ::close(fd);
  if (put != static_cast<ssize_t>(bytes.size())) throw std::runtime_error("short write to " + path);
}

// Flips bit `bit` of the byte at `offset`.
inline void flip_bit(const std::string& path, uint64_t offset, int bit = 0) {
  std::string b = read_range(path, offset, 1);
  if (b.size() != 1) throw std::runtime_error("flip_bit beyond the end of " + path);
  b[0] = static_cast<char>(b[0] ^ (1 << bit));
  write_range(path, offset, b);
}

inline void zero_range(const std::string& path, uint64_t offset, size_t len) {
  write_range(path, offset, std::string(len, '\0'));
}

inline void truncate_file(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    throw std::runtime_error("cannot truncate " + path);
  }
}

inline void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0) throw std::runtime_error("cannot remove " + path);
}

// Exchanges the contents of two files (by renaming).
inline void swap_files(const std::string& a, const std::string& b) {
  std::string tmp = a + ".swap";
  if (::rename(a.c_str(), tmp.c_str()) != 0 || ::rename(b.c_str(), a.c_str()) != 0 ||
      ::rename(tmp.c_str(), b.c_str()) != 0) {
    throw std::runtime_error("cannot swap " + a + " and " + b);
  }
}

// A regular file of the shipment and the stream bytes it occupies.
struct StoredFile {
  std::string path;
  uint64_t offset = 0, stored = 0;
};

// The files of the shipment on `drives`, from the catalog opened with `key_file`.
inline std::vector<StoredFile> stored_files(const std::vector<std::string>& drives,
                                            const std::string& key_file) {
  Credentials credentials;
  credentials.key_file = format::read_key_file(key_file);
  auto shipment = read::open_shipment(read::open_drives(drives), credentials);
  format::Catalog catalog = shipment->catalog();
  auto cursor = catalog.entries();
  format::Entry e;
  std::vector<StoredFile> out;
  while (cursor.next(e)) {
    if (e.kind == format::EntryKind::kFile) out.push_back({e.path, e.offset, e.stored});
  }
  return out;
}

// The files whose stored bytes touch any of the data units in `lost_units`.
inline std::set<std::string> files_in_units(const std::vector<StoredFile>& files,
                                            const format::Layout& layout,
                                            const std::set<uint64_t>& lost_units) {
  std::set<std::string> out;
  const uint64_t unit = layout.unit_plain();
  for (const StoredFile& f : files) {
    if (f.stored == 0) continue;
    uint64_t first = f.offset / unit, last = (f.offset + f.stored - 1) / unit;
    auto it = lost_units.lower_bound(first);
    if (it != lost_units.end() && *it <= last) out.insert(f.path);
  }
  return out;
}

// The paths restore named as lost on stderr ("ferry: error: lost: PATH").
inline std::set<std::string> lost_paths(const std::string& err) {
  std::set<std::string> out;
  const std::string marker = "error: lost: ";
  size_t pos = 0;
  while ((pos = err.find(marker, pos)) != std::string::npos) {
    pos += marker.size();
    size_t end = err.find('\n', pos);
    out.insert(err.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
  }
  return out;
}

struct VerifyRun {
  int exit_code = -1;
  nlohmann::json report;  // null when verify printed no JSON
  std::string out, err;

  // The drive entry for a given path (null when there is none).
  nlohmann::json drive(const std::string& path) const {
    if (report.is_object()) {
      for (const auto& d : report["drives"]) {
        if (d["path"] == path) return d;
      }
    }
    return nullptr;
  }
  // The entry reported for `slot` with role `role`.
  nlohmann::json slot(int slot, const std::string& role) const {
    if (report.is_object()) {
      for (const auto& d : report["drives"]) {
        if (d["slot"] == slot && d["role"] == role) return d;
      }
    }
    return nullptr;
  }
};

inline VerifyRun verify_json(const std::vector<std::string>& drives,
                             const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"verify"};
  args.insert(args.end(), drives.begin(), drives.end());
  args.push_back("--json");
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = run_ferry(args);
  VerifyRun v;
  v.exit_code = r.exit_code;
  v.out = r.out;
  v.err = r.err;
  if (!r.out.empty()) v.report = nlohmann::json::parse(r.out, nullptr, false);
  return v;
}

// Blocks a drive entry reports as anything but ok.
inline uint64_t bad_blocks(const nlohmann::json& d) {
  uint64_t n = 0;
  for (const char* f : {"blocks_damaged", "blocks_missing", "blocks_truncated", "blocks_misplaced",
                        "blocks_foreign", "blocks_unreadable"}) {
    n += d[f].get<uint64_t>();
  }
  return n;
}

}  // namespace ferry::test
