#include "export/export_plan.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "codec/sha256.h"
#include "export/py_json.h"
#include "ferry/error.h"
#include "ferry/sample_order.h"
#include "read/selection.h"
#include "util/display.h"

namespace ferry::exporting {
namespace {

std::string shard_name(const ExportOptions& o, size_t i) {
  char buf[64];
  if (o.format == ExportFormat::kWebDataset) {
    std::snprintf(buf, sizeof buf, "shard-%06zu.tar", i);
  } else {
    std::snprintf(buf, sizeof buf, "shard.%05zu.mds%s", i, o.zstd ? ".zstd" : "");
  }
  return buf;
}

// The files selected, each once, in catalog order; the symlinks met set apart.
std::vector<ShipmentEntry> selected_files(const Shipment& shipment, const ExportOptions& o,
                                          std::set<std::string>& symlinks) {
  std::vector<ShipmentEntry> files;
  auto take = [&](const ShipmentEntry& e) {
    if (e.kind == ShipmentEntry::Kind::kFile) files.push_back(e);
    if (e.kind == ShipmentEntry::Kind::kSymlink) symlinks.insert(e.path);
    return true;
  };
  read::Selection selection(o.only);
  if (selection.everything()) {
    shipment.list("", take);
  } else {
    for (const std::string& root : selection.roots()) {
      auto entry = shipment.stat(root);
      if (!entry) {
        throw Error(ErrorKind::kInvalidArgument, "--only " + util::shown(root) +
                                                     ": the shipment holds no such file or folder "
                                                     "(see `ferry ls`)");
      }
      if (entry->kind == ShipmentEntry::Kind::kDirectory) {
        shipment.list(root + "/", take);
      } else {
        take(*entry);
      }
    }
    std::sort(files.begin(), files.end(),
              [](const ShipmentEntry& a, const ShipmentEntry& b) { return a.id < b.id; });
    files.erase(
        std::unique(files.begin(), files.end(),
                    [](const ShipmentEntry& a, const ShipmentEntry& b) { return a.id == b.id; }),
        files.end());
  }
  return files;
}

}  // namespace

Plan make_plan(const Shipment& shipment, const ExportOptions& o, uint64_t shard_size,
               const std::vector<std::string>& hashes, std::vector<std::string>& warnings) {
  Plan plan;
  std::set<std::string> symlinks;
  plan.samples = group_samples(selected_files(shipment, o, symlinks), o.group);
  if (!symlinks.empty()) {
    constexpr size_t kNamed = 10;
    std::string names;
    size_t named = 0;
    for (const std::string& path : symlinks) {
      if (named++ == kNamed) break;
      names += (names.empty() ? "" : ", ") + util::shown(path);
    }
    if (symlinks.size() > kNamed) {
      names += " and " + std::to_string(symlinks.size() - kNamed) + " more";
    }
    warnings.push_back(std::to_string(symlinks.size()) +
                       " symlinks left out (shards hold files, not links): " + names);
  }
  const auto& samples = plan.samples.samples;
  uint64_t limit = shard_size;
  if (o.format == ExportFormat::kMds) {
    std::set<std::string> exts;
    for (const Sample& s : samples) {
      if (!is_utf8(s.key)) {
        throw Error(ErrorKind::kInvalidArgument,
                    "the sample key " + util::shown(s.key) +
                        " is not UTF-8, and MDS keeps keys as text; export it as WebDataset "
                        "or export the rest without it (--only names what to export)");
      }
      for (const SampleFile& f : s.files) {
        if (!is_utf8(f.ext)) {
          throw Error(ErrorKind::kInvalidArgument,
                      "the extension of " + util::shown(f.entry.path) +
                          " is not UTF-8, and MDS names its columns in text; export it as "
                          "WebDataset, or export the rest without it (--only names what to "
                          "export)");
        }
        exts.insert(f.ext);
      }
    }
    plan.columns = mds_columns({exts.begin(), exts.end()});
    // The limit the shards are cut to: MDS's offsets stop at 4 GiB.
    plan.config = python_json(mds_config(plan.columns, o.zstd ? "zstd" : "", hashes,
                                         std::min(shard_size, kMdsMaxShardBytes)));
    plan.overhead = mds_shard_overhead(plan.config.size());
    limit = std::min(limit, kMdsMaxShardBytes);
    for (const Sample& s : samples) {
      plan.cost.push_back(mds_sample_bytes(plan.columns.names.size(), s.key.size() + s.bytes));
      if (plan.overhead + plan.cost.back() > kMdsMaxShardBytes) {
        throw Error(ErrorKind::kInvalidArgument,
                    "sample " + util::shown(s.key) + " takes " + std::to_string(s.bytes) +
                        " bytes, more than an MDS shard can hold (4 GiB, its offsets are "
                        "32-bit); export it as WebDataset");
      }
    }
  } else {
    plan.overhead = kTarEndBytes;
    for (const Sample& s : samples) {
      uint64_t c = 0;
      for (const SampleFile& f : s.files) c += tar_member_bytes(tar_member(f));
      plan.cost.push_back(c);
    }
  }

  std::vector<uint64_t> sizes;
  sizes.reserve(samples.size());
  for (const Sample& s : samples) sizes.push_back(s.bytes);
  SampleOrderOptions order_options;
  order_options.shuffle = o.shuffle;
  order_options.seed = o.seed;
  plan.order = sample_order(sizes, order_options).order;
  plan.counts = cut_shards(plan.order, plan.cost, plan.overhead, limit);

  codec::Sha256 digest;
  uint64_t at = 0;
  for (size_t i = 0; i < plan.counts.size(); ++i) {
    plan.names.push_back(shard_name(o, i));
    uint64_t raw = plan.overhead;
    for (uint64_t j = 0; j < plan.counts[i]; ++j) raw += plan.cost[plan.order[at + j]];
    plan.raw_size.push_back(raw);
    for (uint64_t j = 0; j < plan.counts[i]; ++j) {
      const std::string& key = samples[plan.order[at + j]].key;
      digest.update(key.data(), key.size() + 1);
    }
    std::string line =
        plan.names.back() + " " + std::to_string(plan.counts[i]) + " " + std::to_string(raw) + "\n";
    digest.update(line.data(), line.size());
    at += plan.counts[i];
  }
  plan.digest = codec::to_hex(digest.finish());
  return plan;
}

}  // namespace ferry::exporting
