// ferry export DRIVE... --to DIR --format webdataset|mds (--key-file F | --passphrase-file F)
//   [--only PATH]... [--group basename|file] [--shard-size SIZE] [--shuffle --seed N]
//   [--compression zstd] [--hash NAME]... [--overwrite] [--json]
#include "ferry/export.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/key_options.h"
#include "cli/output.h"
#include "ferry/error.h"
#include "plan/units.h"

namespace ferry::cli {
namespace {

struct ExportCommand {
  ExportOptions exporting;
  KeyOptions keys;
  std::string format, group = "basename", shard_size, compression;
  bool json = false;
  bool quiet = false;
};

nlohmann::json to_json(const ExportCommand& c, const ExportReport& r, double seconds) {
  auto shown_all = [](const std::vector<std::string>& paths) {
    nlohmann::json out = nlohmann::json::array();
    for (const std::string& p : paths) out.push_back(shown(p));
    return out;
  };
  nlohmann::json shards = nlohmann::json::array();
  for (const ExportedShard& s : r.shards) {
    shards.push_back({{"name", s.name},
                      {"samples", s.samples},
                      {"bytes", s.bytes},
                      {"sha256", s.sha256},
                      {"resumed", s.resumed}});
  }
  return {{"shipment", r.shipment_id},
          {"target", shown(c.exporting.target)},
          {"format", c.format},
          {"index", r.index.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.index)},
          {"samples", r.samples},
          {"files", r.files},
          {"bytes", r.bytes},
          {"seconds", seconds},
          {"shards", shards},
          {"shards_not_written", r.shards_not_written},
          {"lost_files", shown_all(r.lost)},
          {"skipped_files", shown_all(r.skipped)},
          {"warnings", r.warnings}};
}

int run_export(ExportCommand& c) {
  c.exporting.format = c.format == "mds" ? ExportFormat::kMds : ExportFormat::kWebDataset;
  c.exporting.group = c.group == "file" ? SampleGrouping::kFile : SampleGrouping::kBasename;
  c.exporting.zstd = c.compression == "zstd";
  if (!c.shard_size.empty()) {
    c.exporting.shard_size = plan::parse_bytes(c.shard_size);
    if (c.exporting.shard_size == 0) {
      throw Error(ErrorKind::kInvalidArgument, "--shard-size must be more than 0 bytes");
    }
  }
  c.exporting.credentials = load_credentials(c.keys, true);
  c.exporting.stop = stop_on_signals();
  auto [r, seconds] = run_with_progress(c.quiet || c.json, [&](Progress& progress) {
    return export_shipment(c.exporting, progress);
  });
  if (c.json) {
    std::cout
        << to_json(c, r, seconds).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  } else {
    for (const std::string& w : r.warnings) print_warning(w);
    for (const std::string& path : r.skipped) {
      print_warning("left out (no extension to name it by in a sample): " + shown(path));
    }
  }
  if (!c.quiet && !c.json) {
    std::printf("exported shipment %s into %s as %s\n", r.shipment_id.c_str(),
                shown(c.exporting.target).c_str(), c.format.c_str());
    std::printf("  %llu samples, %llu files (%s) in %zu shards in %s (%s/s, %.0f samples/s)\n",
                static_cast<unsigned long long>(r.samples),
                static_cast<unsigned long long>(r.files), plan::approx_bytes(r.bytes).c_str(),
                r.shards.size(), human_seconds(seconds).c_str(),
                plan::approx_bytes(static_cast<uint64_t>(r.bytes / std::max(seconds, 1e-3))).c_str(),
                r.samples / std::max(seconds, 1e-3));
    for (const ExportedShard& s : r.shards) {
      std::printf("  %s  %llu samples  %llu bytes  sha256 %s%s\n", s.name.c_str(),
                  static_cast<unsigned long long>(s.samples),
                  static_cast<unsigned long long>(s.bytes), s.sha256.c_str(),
                  s.resumed ? "  (from before)" : "");
    }
    if (!r.index.empty()) std::printf("  index: %s\n", r.index.c_str());
  }
  if (!r.lost.empty()) {
    if (!c.json) {
      for (const std::string& path : r.lost) print_error("lost: " + shown(path));
    }
    print_error(std::to_string(r.lost.size()) +
                " files could not be recovered from the drives given; the " +
                std::to_string(r.shards_not_written.size()) +
                " shards that hold them were not written, nor the index. Attach more drives "
                "of the shipment and run the same command again: it carries on");
    return kExitDataLost;
  }
  if (!r.skipped.empty()) {
    print_error(std::to_string(r.skipped.size()) +
                " files were left out: a file name needs an extension (name.ext) to be part "
                "of a sample" +
                (c.json ? " (listed in the report)" : ""));
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace

void add_export(CLI::App& app, Runner& run) {
  auto c = std::make_shared<ExportCommand>();
  CLI::App* sub = app.add_subcommand(
      "export", "Write WebDataset or MDS shards for training straight from any k drives");
  sub->footer(
      "A sample is the files that share a key: folder and file name up to the first dot\n"
      "(train/0001.jpg and train/0001.json are sample train/0001, extensions jpg and json).\n"
      "WebDataset: shard-000000.tar, ... (POSIX tar, a sample's files together) and\n"
      "shards.json (wids index). MDS (MosaicML Streaming, version 2): shard.00000.mds, ...\n"
      "and index.json, one bytes column per extension plus __key__; a sample with no file\n"
      "of an extension has an empty value there. Shards are renamed into place only when\n"
      "complete; an interrupted export run again carries on from the last complete shard\n"
      "and writes the same bytes. Exit codes: 0 all exported; 3 files without an\n"
      "extension left out (listed); 4 some files lost (listed; their shards and the index\n"
      "not written); 1 failure; 2 usage error.\n\n"
      "Examples:\n"
      "  ferry export /mnt/a /mnt/b /mnt/c --to /data/wds --format webdataset --key-file ship.key\n"
      "  ferry export /mnt/* --to /data/mds --format mds --compression zstd --shard-size 128MiB "
      "--key-file ship.key\n"
      "  ferry export /mnt/* --to ./wds --format webdataset --only train --shuffle --seed 7 "
      "--key-file ship.key --json");
  sub->add_option("drives", c->exporting.drives, "Drives of the shipment (at least k)")->required();
  sub->add_option("--to", c->exporting.target,
                  "Folder to write the shards into (created if "
                  "missing; empty, or an interrupted export of the same command)")
      ->required();
  sub->add_option("--format", c->format, "Shard format: webdataset or mds")
      ->required()
      ->check(CLI::IsMember({"webdataset", "mds"}));
  add_key_options(*sub, c->keys);
  sub->add_option("--shipment", c->exporting.shipment,
                  "Use only the shipment with this id (or a unique start of it)");
  sub->add_option("--only", c->exporting.only, "Export only this file or folder (repeatable)")
      ->allow_extra_args(false);  // one path each: the drives may follow
  sub->add_option("--group", c->group,
                  "basename: files sharing a key form a sample (default); file: each file a "
                  "sample of its own, keyed as with basename, so files that would share a key "
                  "(a.jpg, a.json) are refused")
      ->check(CLI::IsMember({"basename", "file"}));
  sub->add_option("--shard-size", c->shard_size,
                  "Largest shard (default: 1GB for webdataset, 64MiB for mds)");
  CLI::Option* shuffle =
      sub->add_flag("--shuffle", c->exporting.shuffle,
                    "Samples in the shuffled order the PyTorch dataset uses (span-wise, so reads "
                    "stay sequential)");
  sub->add_option("--seed", c->exporting.seed, "Seed of --shuffle (default 0)")->needs(shuffle);
  sub->add_option("--compression", c->compression, "mds only: zstd-compressed shards (.mds.zstd)")
      ->check(CLI::IsMember({"zstd"}));
  sub->add_option("--hash", c->exporting.hashes,
                  "mds only: a hash index.json records per shard file (repeatable; md5, sha1, "
                  "sha256, ...; default sha256)")
      ->allow_extra_args(false);
  sub->add_flag("--overwrite", c->exporting.overwrite,
                "Export into a folder that holds other files (earlier shards are replaced)");
  sub->add_flag("--json", c->json, "Print the report as JSON on stdout (no progress, no summary)");
  sub->add_flag("-q,--quiet", c->quiet, "No progress line and no summary");
  sub->callback([c, &run] { run = [c] { return run_export(*c); }; });
}

}  // namespace ferry::cli
