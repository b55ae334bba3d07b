// ferry verify DRIVE... [--key-file F | --passphrase-file F] [--json]
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/key_options.h"
#include "cli/output.h"
#include "ferry/verify.h"
#include "util/threads.h"

namespace ferry::cli {
namespace {

struct VerifyCommand {
  VerifyOptions verify;
  KeyOptions keys;
  bool json = false;
  bool quiet = false;
};

int exit_code_for(Verdict v) {
  switch (v) {
    case Verdict::kIntact: return kExitOk;
    case Verdict::kRecoverable: return kExitPartial;
    case Verdict::kDataLost: return kExitDataLost;
    case Verdict::kIncomplete: return kExitIncomplete;
  }
  return kExitFailure;
}

const char* verdict_text(Verdict v) {
  switch (v) {
    case Verdict::kIntact: return "intact";
    case Verdict::kRecoverable: return "damaged but fully recoverable";
    case Verdict::kDataLost: return "data lost";
    case Verdict::kIncomplete: return "incomplete: the drives attached are intact";
  }
  return "?";
}

nlohmann::json to_json(const VerifyReport& r) {
  nlohmann::json drives = nlohmann::json::array();
  for (const DriveCheck& d : r.drives) {
    nlohmann::json j = {{"path", d.path},         {"slot", d.slot},
                        {"role", drive_role_name(d.role)},     {"blocks_ok", d.ok},
                        {"blocks_damaged", d.damaged}, {"blocks_missing", d.missing},
                        {"blocks_truncated", d.truncated}, {"blocks_misplaced", d.misplaced},
                        {"blocks_foreign", d.foreign}, {"blocks_unreadable", d.unreadable},
                        {"catalog_ok", d.catalog_ok}, {"examples", d.examples}};
    if (!d.problem.empty()) j["problem"] = d.problem;
    drives.push_back(j);
  }
  nlohmann::json lost = nlohmann::json::array();
  for (const std::string& p : r.lost_files) lost.push_back(shown(p));
  return {{"shipment", r.shipment_id},
          {"data_drives", r.k},
          {"parity_drives", r.m},
          {"keyed", r.keyed},
          {"verdict", r.verdict == Verdict::kIntact        ? "intact"
                      : r.verdict == Verdict::kRecoverable ? "recoverable"
                      : r.verdict == Verdict::kIncomplete  ? "incomplete"
                                                           : "data-lost"},
          {"drives_attached", r.attached},
          {"drives_attached_intact", r.attached_intact},
          {"stripes", r.stripes},
          {"stripes_intact", r.stripes_intact},
          {"stripes_degraded", r.stripes_degraded},
          {"stripes_lost", r.stripes_lost},
          {"parity_mismatches", r.parity_mismatches},
          {"catalog_intact", r.catalog_intact},
          {"units_unauthentic", r.units_unauthentic},
          {"units_unrecoverable", r.units_unrecoverable},
          {"files_checked", r.files_checked},
          {"lost_files", lost},
          {"drives", drives}};
}

void print_human(const VerifyReport& r) {
  std::printf("shipment %s: %u data + %u parity, %llu stripes, %s\n", r.shipment_id.c_str(), r.k,
              r.m, static_cast<unsigned long long>(r.stripes),
              r.keyed ? "checked with the key" : "checked without the key");
  for (const DriveCheck& d : r.drives) {
    std::string where = d.path.empty() ? "(not given)" : d.path;
    if (d.role != DriveRole::kMember) {
      std::printf("  %-9s %s: %s\n", drive_role_name(d.role), terminal_safe(where).c_str(),
                  terminal_safe(d.problem).c_str());
      continue;
    }
    uint64_t bad = d.damaged + d.missing + d.truncated + d.misplaced + d.foreign + d.unreadable;
    std::printf("  slot %-3d  %s: %llu blocks ok", d.slot, terminal_safe(where).c_str(),
                static_cast<unsigned long long>(d.ok));
    if (bad) {
      std::printf(", %llu damaged, %llu missing, %llu truncated, %llu misplaced, %llu foreign, %llu unreadable",
                  static_cast<unsigned long long>(d.damaged), static_cast<unsigned long long>(d.missing),
                  static_cast<unsigned long long>(d.truncated),
                  static_cast<unsigned long long>(d.misplaced),
                  static_cast<unsigned long long>(d.foreign),
                  static_cast<unsigned long long>(d.unreadable));
    }
    std::printf("%s\n", d.catalog_ok ? "" : "; catalog copy DAMAGED");
    for (const std::string& e : d.examples) std::printf("            %s\n", terminal_safe(e).c_str());
  }
  if (r.verdict == Verdict::kIncomplete && r.attached < r.k) {
    std::printf("  stripes: too few drives attached to rebuild or check any\n");
  } else if (r.verdict == Verdict::kIncomplete) {
    std::printf("  stripes: %llu, each rebuildable from the drives attached; none damaged\n",
                static_cast<unsigned long long>(r.stripes));
  } else {
    std::printf("  stripes: %llu intact, %llu damaged but rebuildable, %llu lost\n",
                static_cast<unsigned long long>(r.stripes_intact),
                static_cast<unsigned long long>(r.stripes_degraded),
                static_cast<unsigned long long>(r.stripes_lost));
  }
  if (r.parity_mismatches) {
    std::printf("  %llu stripes have every checksum right but parity that disagrees: a block was "
                "altered on purpose or by a fault; verify with the key to locate it\n",
                static_cast<unsigned long long>(r.parity_mismatches));
  }
  if (!r.catalog_intact) std::printf("  no intact catalog copy on the drives given\n");
  if (r.keyed) {
    std::printf("  %llu files checked by SHA-256", static_cast<unsigned long long>(r.files_checked));
    if (r.units_unauthentic) {
      // "Rebuilt" only when they were: a loss reported below means some were not.
      std::printf(r.units_unrecoverable || !r.lost_files.empty()
                      ? ", %llu altered blocks found, not all of them rebuildable"
                      : ", %llu altered blocks found and rebuilt",
                  static_cast<unsigned long long>(r.units_unauthentic));
    }
    std::printf("\n");
    for (const std::string& p : r.lost_files) std::printf("  lost: %s\n", shown(p).c_str());
  }
  std::printf("verdict: %s\n", verdict_text(r.verdict));
  const uint32_t n = r.k + r.m;
  if (r.attached < n && r.attached_intact) {
    const uint32_t short_of_k = r.attached < r.k ? r.k - r.attached : 0;
    // Drives given but not usable (a label unreadable, disputed or a duplicate) are not
    // "not attached": they are listed above with what is wrong.
    size_t unusable = 0;
    for (const DriveCheck& c : r.drives) {
      unusable += c.role == DriveRole::kUnreadable || c.role == DriveRole::kDisputed ||
                  c.role == DriveRole::kDuplicate;
    }
    if (unusable > 0) {
      std::printf("%u of %u drives usable (%zu more given, not usable: see above); ", r.attached,
                  n, unusable);
    } else {
      std::printf("%u of %u drives attached; ", r.attached, n);
    }
    if (short_of_k > 0) {
      std::printf("attach %u more to check the data (any %u hold it all), %u more to check "
                  "parity\n", short_of_k, r.k, n - r.attached);
    } else {
      std::printf("every stripe can be rebuilt from them; attach %u more to check parity "
                  "(a drive that is lost: `ferry repair` writes it anew onto a blank one)\n",
                  n - r.attached);
    }
  }
  if (r.verdict == Verdict::kRecoverable && r.stripes_lost > 0) {
    // Only possible with the key: the stripes short of k blocks hold no file bytes.
    std::printf("every file is intact, but %llu stripes that hold no file data cannot be rebuilt\n",
                static_cast<unsigned long long>(r.stripes_lost));
  }
  // Blocks past the labels' end are no damage repair mends: only the key tells leftovers
  // of a pack from labels edited to hide stripes.
  bool mendable = r.stripes_degraded > 0 || r.units_unauthentic > 0;
  for (const DriveCheck& c : r.drives) {
    mendable = mendable || (c.role == DriveRole::kMember && !c.catalog_ok);
  }
  if (r.blocks_beyond_labels && !r.keyed) {
    std::printf("segment files hold blocks beyond the stripes the labels claim: run `ferry "
                "verify` with the key to tell leftovers of a pack from edited labels\n");
  }
  if (r.verdict == Verdict::kRecoverable && !(r.attached < n && r.attached_intact) &&
      (r.stripes_lost == 0 || r.stripes_degraded > 0) && (mendable || !r.blocks_beyond_labels)) {
    std::printf("run `ferry repair` on these drives to make the shipment whole again\n");
  }
}

int run_verify(VerifyCommand& c) {
  util::use_at_most_cores(c.verify.threads);
  c.verify.credentials = load_credentials(c.keys, false);
  VerifyReport r = run_with_progress(c.quiet || c.json, [&](Progress& progress) {
                     return verify_shipment(c.verify, progress);
                   }).first;
  if (c.json) {
    std::cout << to_json(r).dump(2) << "\n";
  } else if (!c.quiet) {
    print_human(r);
  }
  return exit_code_for(r.verdict);
}

}  // namespace

void add_verify(CLI::App& app, Runner& run) {
  auto c = std::make_shared<VerifyCommand>();
  CLI::App* sub = app.add_subcommand("verify", "Check the drives of a shipment, with or without the key");
  sub->footer(
      "Without a key: every block's header, position and checksum, and every stripe's\n"
      "parity. With a key: also every block's authentication, the catalog and every\n"
      "file's SHA-256. Exit codes: 0 intact; 3 damaged but fully recoverable; 4 data\n"
      "lost; 5 incomplete: drives not attached, those attached intact (one drive checked\n"
      "alone as it is plugged in, or k of N with every stripe rebuildable); 1 error; 2 usage\n"
      "error.\n\n"
      "Examples:\n"
      "  ferry verify /mnt/a /mnt/b /mnt/c /mnt/d\n"
      "  ferry verify /mnt/* --key-file ship.key\n"
      "  ferry verify /mnt/a /mnt/b /mnt/c --json > arrival-report.json");
  sub->add_option("drives", c->verify.drives, "Drives of the shipment")->required();
  add_key_options(*sub, c->keys);
  sub->add_option("--shipment", c->verify.shipment,
                  "Use only the shipment with this id (or a unique start of it)");
  sub->add_option("--threads", c->verify.threads, "Cores to use, for every thread (default: all)");
  sub->add_flag("--json", c->json, "Machine-readable report");
  sub->add_flag("-q,--quiet", c->quiet, "No progress line and no report; the exit code says it all");
  sub->callback([c, &run] { run = [c] { return run_verify(*c); }; });
}

}  // namespace ferry::cli
