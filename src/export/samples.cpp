#include "export/samples.h"

#include <algorithm>
#include <unordered_map>

#include "export/mds_format.h"
#include "ferry/error.h"
#include "util/display.h"

namespace ferry::exporting {

bool split_key(const std::string& path, std::string& key, std::string& ext) {
  size_t slash = path.rfind('/');
  size_t name = slash == std::string::npos ? 0 : slash + 1;
  size_t dot = path.find('.', name);
  if (dot == std::string::npos || dot == name || dot + 1 == path.size()) return false;
  key = path.substr(0, dot);
  ext = path.substr(dot + 1);
  return true;
}

Samples group_samples(std::vector<ShipmentEntry> files, SampleGrouping grouping) {
  Samples out;
  std::unordered_map<std::string, size_t> by_key;
  for (ShipmentEntry& entry : files) {
    std::string key, ext;
    if (!split_key(entry.path, key, ext)) {
      out.skipped.push_back(entry.path);
      continue;
    }
    if (ext == kMdsKeyColumn) {
      throw Error(ErrorKind::kConflict,
                  "file " + util::shown(entry.path) + " has the extension " + ext +
                      ", which names the sample key in WebDataset and MDS: a loader would "
                      "take its bytes for the key. Rename it, or export the rest without it "
                      "(--only names what to export)");
    }
    auto [it, fresh] = by_key.try_emplace(key, out.samples.size());
    if (fresh) {
      out.samples.push_back(Sample{key, {}, 0});
    } else if (grouping == SampleGrouping::kFile) {
      throw Error(ErrorKind::kConflict,
                  "files " + util::shown(out.samples[it->second].files[0].entry.path) + " and " +
                      util::shown(entry.path) + " share the sample key " + util::shown(key) +
                      ": with --group file each must be a sample of its own, and a loader "
                      "would read them as one; use --group basename");
    }
    Sample& sample = out.samples[it->second];
    for (const SampleFile& f : sample.files) {
      if (f.ext == ext) {
        throw Error(ErrorKind::kConflict, "files " + util::shown(f.entry.path) + " and " +
                                              util::shown(entry.path) + " are both the ." +
                                              util::shown(ext) + " of sample " + util::shown(key) +
                                              "; a sample holds one file of each extension");
      }
    }
    sample.bytes += entry.size;
    entry.target.clear();
    sample.files.push_back(SampleFile{std::move(ext), std::move(entry)});
  }
  for (Sample& s : out.samples) {
    std::sort(s.files.begin(), s.files.end(),
              [](const SampleFile& a, const SampleFile& b) { return a.ext < b.ext; });
  }
  return out;
}

std::vector<uint64_t> cut_shards(const std::vector<uint64_t>& order,
                                 const std::vector<uint64_t>& cost, uint64_t overhead,
                                 uint64_t limit) {
  std::vector<uint64_t> counts;
  uint64_t bytes = 0, count = 0;
  for (uint64_t i : order) {
    if (count > 0 && bytes + cost[i] > limit) {
      counts.push_back(count);
      count = 0;
    }
    if (count == 0) bytes = overhead;
    bytes += cost[i];
    ++count;
  }
  if (count > 0) counts.push_back(count);
  return counts;
}

}  // namespace ferry::exporting
