// ferry pack SRC --to DRIVE... --parity M (--key-file F | --passphrase-file F) [--json]
#include "ferry/pack.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/key_options.h"
#include "cli/output.h"
#include "codec/sha256.h"
#include "util/threads.h"
#include "plan/units.h"

namespace ferry::cli {
namespace {

struct PackCommand {
  PackOptions pack;
  KeyOptions keys;
  uint32_t block_size_kib = 1024;
  bool no_compress = false;
  bool no_xattrs = false;
  bool no_space_check = false;
  bool json = false;
  bool quiet = false;
  bool discard = false;
};

// [{path, reason}], paths shown safely; the raw bytes in hex when that differs.
nlohmann::json path_list(const std::vector<std::pair<std::string, std::string>>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [path, reason] : entries) {
    nlohmann::json j = {{"path", shown(path)}, {"reason", reason}};
    if (j["path"] != path) {
      j["path_hex"] = codec::to_hex(reinterpret_cast<const uint8_t*>(path.data()), path.size());
    }
    list.push_back(j);
  }
  return list;
}

nlohmann::json to_json(const PackReport& r, double seconds) {
  return {{"shipment", r.shipment_id},
          {"data_drives", r.k},
          {"parity_drives", r.m},
          {"files", r.files},
          {"directories", r.directories},
          {"symlinks", r.symlinks},
          {"source_bytes", r.source_bytes},
          {"stream_bytes", r.stream_bytes},
          {"stripes", r.stripes},
          {"seconds", seconds},
          {"resumed", r.resumed},
          {"resumed_files", r.resumed_files},
          {"resumed_bytes", r.resumed_bytes},
          {"already_complete", r.already_complete},
          {"labels_completed", r.labels_completed},
          {"skipped", path_list(r.skipped)},
          {"warnings", r.warnings},
          {"unreadable", path_list(r.unreadable)}};
}

int run_pack(PackCommand& c) {
  util::use_at_most_cores(c.pack.threads);
  c.pack.credentials = load_credentials(c.keys, true);
  c.pack.stop = stop_on_signals();
  if (c.discard) c.pack.env = &io::WriteEnv::discarding();
  c.pack.block_size = c.block_size_kib * 1024;
  if (c.no_compress) c.pack.compress = false;
  if (c.no_xattrs) c.pack.xattrs = false;
  if (c.no_space_check) c.pack.check_space = false;
  // Before the pack, not after it: a drive that is not mounted is worth stopping for.
  if (!c.json) c.pack.warn = [](const std::string& w) { print_warning(w); };
  auto [r, seconds] = run_with_progress(
      c.quiet || c.json, [&](Progress& progress) { return pack_shipment(c.pack, progress); });
  if (c.json) {
    std::cout << to_json(r, seconds).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else if (!c.quiet) {
    if (r.labels_completed > 0) {
      std::printf(
          "finished a pack that was stopped while its labels were turning complete: %u more "
          "drives now say complete\n",
          r.labels_completed);
    } else if (r.already_complete) {
      std::printf(
          "the drives already hold the complete shipment of this source; nothing to do "
          "(use --force to pack it again)\n");
    }
    if (r.resumed) {
      std::printf("resumed an interrupted pack: %llu files (%s) were already packed\n",
                  static_cast<unsigned long long>(r.resumed_files),
                  plan::approx_bytes(r.resumed_bytes).c_str());
    }
    std::printf("packed shipment %s: %u data + %u parity drives (any %u restore everything)\n",
                r.shipment_id.c_str(), r.k, r.m, r.k);
    std::printf(
        "  %llu files, %llu directories, %llu symlinks; %s read, %s stored, in %s (%s/s)\n",
        static_cast<unsigned long long>(r.files), static_cast<unsigned long long>(r.directories),
        static_cast<unsigned long long>(r.symlinks), plan::approx_bytes(r.source_bytes).c_str(),
        plan::approx_bytes(r.stream_bytes).c_str(), human_seconds(seconds).c_str(),
        plan::approx_bytes(static_cast<uint64_t>(r.source_bytes / std::max(seconds, 1e-3))).c_str());
    for (auto& [path, kind] : r.skipped) {
      std::printf("  skipped %s: %s\n", shown(path).c_str(), kind.c_str());
    }
  }
  // With --json the list is in the report; one line on stderr still says so.
  if (!c.json) {
    for (auto& [path, why] : r.unreadable) print_warning("not packed: " + shown(path) + ": " + why);
  }
  if (!r.unreadable.empty()) {
    print_warning(std::to_string(r.unreadable.size()) + " entries could not be packed (listed " +
                  (c.json ? "in the report" : "above") +
                  "); the shipment is complete and consistent without them");
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace

void add_pack(CLI::App& app, Runner& run) {
  auto c = std::make_shared<PackCommand>();
  CLI::App* sub =
      app.add_subcommand("pack", "Pack a source tree onto N drives with erasure coding");
  sub->footer(
      "Any k = N - M of the N drives restore everything. Exit codes: 0 all packed; 3 shipment\n"
      "complete but some files could not be read (listed); 1 failure; 2 usage error.\n\n"
      "Kept for each entry: type, mode, mtime (ns), owner and group (numbers and names),\n"
      "extended attributes (ACLs and capabilities among them), symbolic link targets, and\n"
      "which names are hard links of one file (stored once).\n\n"
      "Examples:\n"
      "  ferry pack /data --to /mnt/a /mnt/b /mnt/c /mnt/d --parity 1 --key-file ship.key\n"
      "  FERRY_PASSPHRASE='long phrase' ferry pack ~/corpus --to /media/d1 /media/d2 /media/d3 "
      "--parity 1\n"
      "  ferry pack /data --to /mnt/{a,b,c,d,e,f} --parity 2 --passphrase-file pass.txt --force "
      "--json");
  sub->add_option("source", c->pack.source, "Directory to pack")->required();
  sub->add_option("--to", c->pack.drives, "The drives (folders), N of them; order gives the slots")
      ->required()
      ->expected(2, 64);
  sub->add_option("--parity", c->pack.parity, "M: drives that may be lost (1 <= M < N)")
      ->required();
  add_key_options(*sub, c->keys);
  sub->add_option("--block-size", c->block_size_kib, "Block size in KiB (default 1024)")
      ->check(CLI::Range(4, 65536));
  sub->add_option("--threads", c->pack.threads, "Cores to use, for every thread (default: all)");
  sub->add_flag("--force", c->pack.force, "Replace a shipment already on the drives");
  sub->add_flag("--no-compress", c->no_compress,
                "Never compress file contents (a sparse file's holes are still kept as holes)");
  sub->add_flag("--no-xattrs", c->no_xattrs,
                "Do not record extended attributes (ACLs and capabilities among them)");
  sub->add_option("--segment-size", c->pack.segment_bytes, "Bytes per segment file (default 1 GiB)")
      ->group("");
  sub->add_flag("--no-space-check", c->no_space_check,
                "Do not refuse when the drives report too little free space");
  sub->add_option("--kdf-log2-n", c->pack.scrypt_log2_n, "scrypt cost (default 17)")->group("");
  sub->add_flag("--discard", c->discard,
                "Benchmarks only: run the whole pipeline but throw the output away")
      ->group("");
  sub->add_option("--checkpoint-bytes", c->pack.checkpoint_bytes,
                  "Stream bytes between checkpoints (default 1 GiB; a smaller source gets none)")
      ->group("");
  sub->add_flag("--json", c->json, "Print the report as JSON on stdout (no progress, no summary)");
  sub->add_flag("-q,--quiet", c->quiet, "No progress line and no summary");
  sub->callback([c, &run] { run = [c] { return run_pack(*c); }; });
}

}  // namespace ferry::cli
