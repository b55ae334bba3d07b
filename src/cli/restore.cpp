// ferry restore DRIVE... --to DIR (--key-file F | --passphrase-file F) [--only PATH]... [--json]
#include "ferry/restore.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/key_options.h"
#include "cli/output.h"
#include "util/threads.h"
#include "plan/units.h"

namespace ferry::cli {
namespace {

struct RestoreCommand {
  RestoreOptions restore;
  KeyOptions keys;
  bool json = false;
  bool no_xattrs = false;
  bool no_space_check = false;
  bool quiet = false;
};

nlohmann::json to_json(const RestoreOptions& o, const RestoreReport& r, double seconds) {
  nlohmann::json lost = nlohmann::json::array();
  for (const std::string& path : r.lost) lost.push_back(shown(path));
  nlohmann::json not_applied = nlohmann::json::array();
  for (const auto& [path, what] : r.not_applied) {
    not_applied.push_back({{"path", shown(path)}, {"what", what}});
  }
  return {{"shipment", r.shipment_id},
          {"target", shown(o.target)},
          {"files", r.files},
          {"directories", r.directories},
          {"symlinks", r.symlinks},
          {"bytes", r.bytes},
          {"already_present", r.already_present},
          {"units_rebuilt", r.units_rebuilt},
          {"seconds", seconds},
          {"hard_links", r.hard_links},
          {"lost_files", lost},
          {"not_applied", not_applied},
          {"not_restored", r.not_restored},
          {"warnings", r.warnings}};
}

int run_restore(RestoreCommand& c) {
  util::use_at_most_cores(c.restore.threads);
  c.restore.credentials = load_credentials(c.keys, true);
  if (c.no_xattrs) c.restore.xattrs = false;
  if (c.no_space_check) c.restore.check_space = false;
  c.restore.stop = stop_on_signals();
  auto [r, seconds] = run_with_progress(
      c.quiet || c.json, [&](Progress& progress) { return restore_shipment(c.restore, progress); });
  if (c.json) {
    // The warnings and the lost files are in the report; stderr only says that some are lost.
    std::cout << to_json(c.restore, r, seconds)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    for (const std::string& w : r.warnings) print_warning(w);
  }
  if (!c.quiet && !c.json) {
    std::printf("restored shipment %s into %s\n", r.shipment_id.c_str(), c.restore.target.c_str());
    std::printf("  %llu files (%s), %llu directories, %llu symlinks in %s (%s/s)\n",
                static_cast<unsigned long long>(r.files), plan::approx_bytes(r.bytes).c_str(),
                static_cast<unsigned long long>(r.directories),
                static_cast<unsigned long long>(r.symlinks), human_seconds(seconds).c_str(),
                plan::approx_bytes(static_cast<uint64_t>(r.bytes / std::max(seconds, 1e-3))).c_str());
    if (r.already_present) {
      std::printf("  %llu files were already there with the same content and were left alone\n",
                  static_cast<unsigned long long>(r.already_present));
    }
    if (r.hard_links) {
      std::printf("  %llu of the files are hard links to another file restored\n",
                  static_cast<unsigned long long>(r.hard_links));
    }
    if (r.units_rebuilt) {
      std::printf("  %llu blocks were missing or damaged and rebuilt from parity on the fly\n",
                  static_cast<unsigned long long>(r.units_rebuilt));
    }
  }
  if (!r.lost.empty()) {
    if (!c.json) {
      for (const std::string& path : r.lost) print_error("lost: " + shown(path));
    }
    print_error(std::to_string(r.lost.size()) +
                " files could not be recovered from the drives given and were not written" +
                (c.json ? " (listed in the report)" : "") +
                "; attach more drives of the shipment and restore again");
    return kExitDataLost;
  }
  if (!r.not_applied.empty()) {
    if (!c.json) {
      for (const auto& [path, what] : r.not_applied) print_warning(shown(path) + ": " + what);
    }
    const std::string listed = c.json ? " (listed in the report)" : " (listed above)";
    const uint64_t other = r.not_applied.size() - r.not_restored;
    if (r.not_restored == 0) {
      print_warning(std::to_string(other) +
                    " entries were restored without some of their metadata or in another form" +
                    listed + "; every file's content is restored");
    } else {
      print_warning(std::to_string(r.not_restored) + " entries were not restored" +
                    (other ? " and " + std::to_string(other) +
                                 " were restored without some of their metadata or in another form"
                           : std::string()) +
                    listed + ": the target cannot hold them; every other file's content is "
                    "restored");
    }
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace

void add_restore(CLI::App& app, Runner& run) {
  auto c = std::make_shared<RestoreCommand>();
  CLI::App* sub = app.add_subcommand("restore", "Restore files from any k drives of a shipment");
  sub->footer(
      "Drives may be given in any order and under any mount paths; a missing or damaged\n"
      "drive is rebuilt from parity on the fly. Exit codes: 0 all restored; 4 some files\n"
      "lost (listed, never written); 3 restored, but some entries not, or without metadata\n"
      "the target or this user cannot take (a name, a link, a mode, a setuid bit, an\n"
      "extended attribute; each listed); 1 failure; 2 usage error.\n\n"
      "Owners and groups are restored when running as root, by name where the name is\n"
      "known on this system, else by number; run as another user, they are left to that\n"
      "user and said once (not an exit 3 by itself). setuid and setgid bits only with the\n"
      "owner.\n"
      "Hard links are restored as links among the files restored.\n\n"
      "Examples:\n"
      "  ferry restore /mnt/a /mnt/b /mnt/c --to /data --key-file ship.key\n"
      "  ferry restore /mnt/* --to /data --key-file ship.key --only images/2024 --only labels.csv\n"
      "  FERRY_PASSPHRASE='long phrase' ferry restore /media/d1 /media/d3 /media/d4 --to ./out "
      "--json");
  sub->add_option("drives", c->restore.drives, "Drives of the shipment (at least k)")->required();
  sub->add_option("--to", c->restore.target, "Folder to restore into (created if missing)")
      ->required();
  add_key_options(*sub, c->keys);
  sub->add_option("--shipment", c->restore.shipment,
                  "Use only the shipment with this id (or a unique start of it)");
  sub->add_option("--only", c->restore.only, "Restore only this file or folder (repeatable)")
      ->allow_extra_args(false);  // one path each: the drives may follow
  sub->add_flag("--overwrite", c->restore.overwrite, "Replace files already in the target");
  sub->add_flag("--no-space-check", c->no_space_check,
                "Do not refuse when the target reports too little free space");
  sub->add_flag("--rename-collisions", c->restore.rename_collisions,
                "On a target that takes names differing only in case or in Unicode "
                "normalization as one, restore the later of each group under a new name "
                "(listed) instead of refusing");
  sub->add_flag("--numeric-owner", c->restore.numeric_owner,
                "Restore owners and groups, and the users and groups that ACLs name, "
                "by number, not by name");
  sub->add_flag("--no-xattrs", c->no_xattrs,
                "Do not restore extended attributes (ACLs and capabilities among them)");
  sub->add_option("--threads", c->restore.threads, "Cores to use, for every thread (default: all)");
  sub->add_flag("--json", c->json, "Print the report as JSON on stdout (no progress, no summary)");
  sub->add_flag("-q,--quiet", c->quiet, "No progress line and no summary");
  sub->callback([c, &run] { run = [c] { return run_restore(*c); }; });
}

}  // namespace ferry::cli
