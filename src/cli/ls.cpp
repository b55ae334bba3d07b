// ferry ls DRIVE... (--key-file F | --passphrase-file F) [--long] [--json]
#include <cstdio>
#include <iostream>
#include <utility>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/key_options.h"
#include "cli/output.h"
#include "codec/sha256.h"
#include "read/drive_set.h"
#include "read/open_shipment.h"
#include "util/display.h"

namespace ferry::cli {
namespace {

struct LsCommand {
  std::vector<std::string> drives;
  std::string shipment;
  KeyOptions keys;
  bool long_format = false;
  bool json = false;
};

const char* kind_name(format::EntryKind k) {
  switch (k) {
    case format::EntryKind::kFile: return "file";
    case format::EntryKind::kDirectory: return "directory";
    case format::EntryKind::kSymlink: return "symlink";
  }
  return "?";
}


int run_ls(const LsCommand& c) {
  Credentials creds = load_credentials(c.keys, true);
  read::DriveSet drives = read::open_drives(c.drives, c.shipment);
  read::require_complete(drives);  // an interrupted pack has no catalog to list yet
  auto shipment = read::open_shipment(std::move(drives), creds);
  if (!c.json) {
    for (const std::string& w : shipment->drives.warnings()) print_warning(w);
  }
  format::Catalog catalog = shipment->catalog();
  auto cursor = catalog.entries();
  format::Entry e;
  nlohmann::json list = nlohmann::json::array();
  while (cursor.next(e)) {
    std::string path = shown(e.path);
    if (c.json) {
      nlohmann::json j = {{"path", path}, {"type", kind_name(e.kind)}, {"mode", e.mode},
                          {"mtime_ns", e.mtime_ns}};
      if (path != e.path) j["path_hex"] = codec::to_hex(reinterpret_cast<const uint8_t*>(e.path.data()), e.path.size());
      if (e.kind == format::EntryKind::kFile) {
        j["size"] = e.size;
        j["sha256"] = codec::to_hex(e.sha256);
      }
      if (e.kind == format::EntryKind::kSymlink) j["target"] = shown(e.target);
      list.push_back(j);
    } else if (c.long_format) {
      char type = e.kind == format::EntryKind::kDirectory ? 'd' : e.kind == format::EntryKind::kSymlink ? 'l' : '-';
      std::printf("%c %04o %14llu %s %s%s%s\n", type, e.mode,
                  static_cast<unsigned long long>(e.kind == format::EntryKind::kFile ? e.size : 0),
                  util::utc_time(e.mtime_ns).c_str(), path.c_str(),
                  e.kind == format::EntryKind::kSymlink ? " -> " : "",
                  e.kind == format::EntryKind::kSymlink ? shown(e.target).c_str() : "");
    } else {
      std::printf("%s%s\n", path.c_str(), e.kind == format::EntryKind::kDirectory ? "/" : "");
    }
  }
  if (c.json) std::cout << list.dump(2) << "\n";
  return kExitOk;
}

}  // namespace

void add_ls(CLI::App& app, Runner& run) {
  auto c = std::make_shared<LsCommand>();
  CLI::App* sub = app.add_subcommand("ls", "List the files of a shipment (works from any single drive)");
  sub->footer(
      "Examples:\n"
      "  ferry ls /mnt/a --key-file ship.key\n"
      "  ferry ls /mnt/a /mnt/b --key-file ship.key --long\n"
      "  FERRY_PASSPHRASE='long phrase' ferry ls /media/d2 --json");
  sub->add_option("drives", c->drives, "One or more drives of the shipment")->required();
  add_key_options(*sub, c->keys);
  sub->add_option("--shipment", c->shipment,
                  "Use only the shipment with this id (or a unique start of it)");
  sub->add_flag("-l,--long", c->long_format, "Type, mode, size and mtime too");
  sub->add_flag("--json", c->json, "Machine-readable output");
  sub->callback([c, &run] { run = [c] { return run_ls(*c); }; });
}

}  // namespace ferry::cli
