// ferry repair DRIVE... [--rebuild NEWDRIVE...]
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/key_options.h"
#include "cli/output.h"
#include "ferry/repair.h"
#include "util/threads.h"

namespace ferry::cli {
namespace {

struct RepairCommand {
  RepairOptions repair;
  KeyOptions keys;
  bool json = false;
  bool quiet = false;
};

int run_repair(RepairCommand& c) {
  util::use_at_most_cores(c.repair.threads);
  c.repair.credentials = load_credentials(c.keys, false);
  c.repair.stop = stop_on_signals();
  RepairReport r = run_with_progress(c.quiet || c.json, [&](Progress& progress) {
                     return repair_shipment(c.repair, progress);
                   }).first;
  if (c.json) {
    std::cout << nlohmann::json{{"shipment", r.shipment_id},
                                {"blocks_rewritten", r.blocks_rewritten},
                                {"slots_rebuilt", r.slots_rebuilt},
                                {"catalogs_rewritten", r.catalogs_rewritten},
                                {"stripes_unrepairable", r.stripes_unrepairable},
                                {"slots_still_missing", r.slots_still_missing}}
                     .dump(2)
              << "\n";
  } else if (!c.quiet) {
    std::printf("repaired shipment %s: %llu blocks rewritten, %llu catalog copies replaced\n",
                r.shipment_id.c_str(), static_cast<unsigned long long>(r.blocks_rewritten),
                static_cast<unsigned long long>(r.catalogs_rewritten));
    for (uint32_t slot : r.slots_rebuilt) std::printf("  slot %u rebuilt onto a new drive\n", slot);
  }
  for (uint32_t slot : r.slots_still_missing) {
    print_warning("slot " + std::to_string(slot) +
                  " is still missing: give a blank drive with --rebuild to recreate it");
  }
  if (r.stripes_unlocatable) {
    print_error(std::to_string(r.stripes_unlocatable) +
                " stripes have a block altered together with its checksum: parity disagrees, "
                "but without the key repair cannot tell which block (parity alone tells it only "
                "with two or more parity drives and one altered block a stripe). Run "
                "`ferry repair` with --key-file or --passphrase-file to mend them (restore reads "
                "through them correctly meanwhile)");
    if (!r.stripes_unrepairable) return kExitPartial;
  }
  if (r.stripes_unrepairable) {
    print_error(std::to_string(r.stripes_unrepairable) +
                " stripes have fewer than k intact blocks and could not be repaired; attach more "
                "drives of the shipment and run repair again");
    return kExitDataLost;
  }
  return kExitOk;
}

}  // namespace

void add_repair(CLI::App& app, Runner& run) {
  auto c = std::make_shared<RepairCommand>();
  CLI::App* sub = app.add_subcommand("repair", "Rewrite damaged blocks and rebuild lost drives (no key needed)");
  sub->footer(
      "Damaged or missing blocks are rebuilt from parity and written back in place; with\n"
      "--rebuild, each missing slot is recreated on a blank drive (label, catalog copy and\n"
      "every block). No key needed; with one, a block altered together with its checksum\n"
      "is found even with a single parity drive. Safe to run again after an interruption.\n"
      "Exit codes: 0 repaired; 3 altered blocks left (give the key); 4 some stripes\n"
      "beyond repair; 1 failure; 2 usage error.\n\n"
      "Examples:\n"
      "  ferry repair /mnt/a /mnt/b /mnt/c /mnt/d\n"
      "  ferry repair /mnt/a /mnt/b /mnt/d --rebuild /mnt/new\n"
      "  ferry repair /mnt/* --json");
  sub->add_option("drives", c->repair.drives, "Drives of the shipment")->required();
  sub->add_option("--rebuild", c->repair.rebuild, "Blank drives to recreate missing slots on");
  add_key_options(*sub, c->keys);
  sub->add_option("--shipment", c->repair.shipment,
                  "Use only the shipment with this id (or a unique start of it)");
  sub->add_option("--threads", c->repair.threads, "Cores to use, for every thread (default: all)");
  sub->add_flag("--json", c->json, "Machine-readable report");
  sub->add_flag("-q,--quiet", c->quiet, "No progress line and no summary");
  sub->callback([c, &run] { run = [c] { return run_repair(*c); }; });
}

}  // namespace ferry::cli
