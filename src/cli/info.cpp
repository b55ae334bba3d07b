// ferry info DRIVE... [--json] — no key needed, and never a file name.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "read/drive_set.h"
#include "plan/units.h"

namespace ferry::cli {
namespace {

struct InfoCommand {
  std::vector<std::string> drives;
  std::string shipment;
  bool json = false;
};

std::string utc(int64_t t) {
  char buf[64];
  std::time_t tt = t;
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return buf;
}


int run_info(const InfoCommand& c) {
  read::DriveSet set = read::open_drives(c.drives, c.shipment);
  const format::Label& l = set.label;
  const uint32_t present = set.present();
  const bool restorable = l.complete() && present >= l.layout.k;
  if (c.json) {
    nlohmann::json drives = nlohmann::json::array();
    for (const auto& d : set.drives) {
      nlohmann::json j = {{"path", d.given}, {"role", drive_role_name(d.role)}};
      if (d.label) {
        j["shipment"] = format::id_hex(d.label->shipment);
        j["slot"] = d.label->slot;
      }
      if (!d.problem.empty()) j["problem"] = d.problem;
      drives.push_back(j);
    }
    nlohmann::json out = {{"shipment", format::id_hex(l.shipment)},
                          {"format_version", format::kFormatVersion},
                          {"state", format::label_state_name(l.state)},
                          {"created", utc(l.created_unix)},
                          {"created_unix", l.created_unix},
                          {"drives", l.layout.n()},
                          {"data_drives", l.layout.k},
                          {"parity_drives", l.layout.m},
                          {"block_size", l.layout.block_size},
                          {"stripes", l.stripes},
                          {"data_bytes", l.stream_bytes},
                          {"present_slots", nlohmann::json::array()},
                          {"missing_slots", set.missing()},
                          {"restorable", restorable},
                          {"given", drives}};
    for (uint32_t s = 0; s < set.folders.size(); ++s) {
      if (!set.folders[s].empty()) out["present_slots"].push_back(s);
    }
    std::cout << out.dump(2) << "\n";
    return restorable ? kExitOk : kExitFailure;
  }
  std::printf("shipment   %s (format %u, %s)\n", format::id_hex(l.shipment).c_str(),
              format::kFormatVersion, l.complete() ? "complete" : "INCOMPLETE: pack was interrupted");
  std::printf("created    %s\n", utc(l.created_unix).c_str());
  std::printf("layout     %u drives: %u data + %u parity, blocks of %s\n", l.layout.n(), l.layout.k,
              l.layout.m, plan::approx_bytes(l.layout.block_size).c_str());
  std::printf("data       %s in %llu stripes\n", plan::approx_bytes(l.stream_bytes).c_str(),
              static_cast<unsigned long long>(l.stripes));
  for (uint32_t s = 0; s < set.folders.size(); ++s) {
    std::printf("slot %-3u   %s\n", s, set.folders[s].empty() ? "not attached" : set.folders[s].c_str());
  }
  for (const std::string& w : set.warnings()) print_warning(w);
  if (restorable) {
    std::printf("verdict    %u of %u drives present: restorable (any %u suffice)\n", present,
                l.layout.n(), l.layout.k);
    return kExitOk;
  }
  // Drives not attached are not lost: they may be on their way, or wait for the dock.
  std::printf("verdict    %u of %u drives attached: attach %u more to restore (any %u suffice)\n",
              present, l.layout.n(), l.layout.k > present ? l.layout.k - present : 0, l.layout.k);
  return kExitFailure;
}

}  // namespace

void add_info(CLI::App& app, Runner& run) {
  auto c = std::make_shared<InfoCommand>();
  CLI::App* sub = app.add_subcommand("info", "Describe the shipment on some drives (no key needed)");
  sub->footer(
      "Exit code 0 when the drives given can restore the shipment, 1 otherwise.\n\n"
      "Examples:\n"
      "  ferry info /mnt/a\n"
      "  ferry info /mnt/a /mnt/b /mnt/c /mnt/d --json");
  sub->add_option("drives", c->drives, "Drives to look at")->required();
  sub->add_option("--shipment", c->shipment,
                  "Use only the shipment with this id (or a unique start of it)");
  sub->add_flag("--json", c->json, "Machine-readable output");
  sub->callback([c, &run] { run = [c] { return run_info(*c); }; });
}

}  // namespace ferry::cli
