// ferry mount DRIVE... MOUNTPOINT (--key-file F | --passphrase-file F) [--only PATH]...

#include "cli/commands.h"
#include "cli/key_options.h"
#include "cli/output.h"
#include "ferry/error.h"
#include "plan/units.h"
#include "read/selection.h"
#ifdef FERRY_WITH_FUSE
#include "mount/shipment_fs.h"
#endif

namespace ferry::cli {
namespace {

struct MountCommand {
  std::vector<std::string> paths;  // the drives, then the mount point
  KeyOptions keys;
  std::vector<std::string> only;
  std::string shipment;
  std::string cache = "256MiB";
  bool foreground = false;
  bool allow_other = false;
  bool debug = false;
};

int run_mount(MountCommand& c) {
  if (c.paths.size() < 2) {
    throw Error(ErrorKind::kInvalidArgument,
                "give the drives and then the mount point: ferry mount DRIVE... MOUNTPOINT");
  }
#ifdef FERRY_WITH_FUSE
  mount::MountOptions o;
  o.mountpoint = c.paths.back();
  o.shipment.drives.assign(c.paths.begin(), c.paths.end() - 1);
  o.shipment.credentials = load_credentials(c.keys, true);
  o.shipment.shipment = c.shipment;
  o.shipment.cache_bytes = plan::parse_bytes(c.cache);
  o.only = read::Selection(c.only).roots();  // as restore and export read --only
  o.foreground = c.foreground;
  o.allow_other = c.allow_other;
  o.debug = c.debug;
  o.warn = [](const std::string& w) { print_warning(w); };
  mount::serve(o);
  return kExitOk;
#else
  throw Error(ErrorKind::kUnsupported,
              "this ferry was built without FUSE, so it cannot mount; install libfuse3-dev and "
              "fuse3 and build again, or use `ferry restore`");
#endif
}

}  // namespace

void add_mount(CLI::App& app, Runner& run) {
  auto c = std::make_shared<MountCommand>();
  CLI::App* sub = app.add_subcommand(
      "mount", "Show a shipment as a read-only folder, read straight off any k drives");
  sub->footer(
      "Files are read in place: only the blocks a read needs, rebuilt from parity when a\n"
      "drive is missing, damaged or slow; every block is authenticated, and a read that\n"
      "cannot be served fails with an I/O error, never with wrong bytes. Runs in the\n"
      "background until `fusermount3 -u MOUNTPOINT`; with --foreground, until Ctrl-C.\n\n"
      "Examples:\n"
      "  ferry mount /mnt/a /mnt/b /mnt/c /data --key-file ship.key\n"
      "  ferry mount /mnt/* /data --key-file ship.key --only images/2024 --cache 1GiB\n"
      "  ferry mount /media/d1 /media/d3 ./view --passphrase-file pass.txt --foreground");
  sub->add_option("paths", c->paths, "Drives of the shipment (at least k), then the mount point")
      ->required();
  add_key_options(*sub, c->keys);
  sub->add_option("--shipment", c->shipment,
                  "Use only the shipment with this id (or a unique start of it)");
  sub->add_option("--only", c->only, "Show only this file or folder (repeatable)")
      ->allow_extra_args(false);  // one path each: the drives may follow
  sub->add_option("--cache", c->cache, "Memory for decrypted blocks (default 256MiB)");
  sub->add_flag("-f,--foreground", c->foreground, "Stay in the foreground; Ctrl-C unmounts");
  sub->add_flag("--allow-other", c->allow_other,
                "Let other users read the mount (root, or user_allow_other in /etc/fuse.conf)");
  sub->add_flag("--debug", c->debug, "Log every FUSE request (implies --foreground)");
  sub->callback([c, &run] { run = [c] { return run_mount(*c); }; });
}

}  // namespace ferry::cli
