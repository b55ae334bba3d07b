// ferry: move data sets too large for the network on ordinary drives.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "ferry/error.h"
#include "util/display.h"

int main(int argc, char** argv) {
  using namespace ferry::cli;
  CLI::App app{
      "ferry packs a source tree onto N drives with erasure coding (any k of N restore\n"
      "everything), authenticated encryption and per-file SHA-256, verifies drives on\n"
      "arrival without the key, and restores from any k of them.\n\n"
      "Typical use:\n"
      "  ferry keygen -o ship.key\n"
      "  ferry pack /data --to /mnt/a /mnt/b /mnt/c /mnt/d --parity 1 --key-file ship.key\n"
      "  ferry info /mnt/a /mnt/b /mnt/c\n"
      "  ferry restore /mnt/a /mnt/b /mnt/c --to /restored --key-file ship.key\n",
      "ferry"};
  app.footer(
      "Exit codes:\n"
      "  0    success\n"
      "  1    failure\n"
      "  2    usage error\n"
      "  3    done, but something was left out or damaged: pack could not read some files\n"
      "       (listed); verify found damage that parity can still repair; repair left\n"
      "       altered blocks it can only locate with the key; export left out files\n"
      "       without an extension (listed)\n"
      "  4    data lost: some files cannot be recovered from the drives given (listed,\n"
      "       never written by restore; export writes no shard that would hold one)\n"
      "  5    incomplete: verify had fewer than k drives attached, and those are intact\n"
      "  130  interrupted (Ctrl-C, SIGTERM): pack, restore or export stopped at a checkpoint\n"
      "       (export: after its last complete shard); the same command again resumes it\n\n"
      "Environment:\n"
      "  FERRY_PASSPHRASE  the passphrase, when neither --key-file nor --passphrase-file is given\n"
      "  NO_COLOR          when set and not empty, no colour, even on a terminal\n\n"
      "Run `ferry help COMMAND` (or `ferry COMMAND --help`) for a command's options and examples.");
  app.set_version_flag("--version", std::string("ferry ") + FERRY_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  Runner run;
  add_keygen(app, run);
  add_pack(app, run);
  add_info(app, run);
  add_ls(app, run);
  add_restore(app, run);
  add_plan(app, run);
  add_verify(app, run);
  add_repair(app, run);
  add_mount(app, run);
  add_export(app, run);
  add_help(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A word where the command goes that names none: said as such, not as "a subcommand
    // is required".
    if (argc >= 2 && argv[1][0] != '-') {
      std::string names;
      bool known = false;
      for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        known = known || sub->get_name() == argv[1];
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      if (!known) {
        print_error("unknown command '" + ferry::util::shown(argv[1]) + "'; the commands are: " +
                    names + " (`ferry help` says what each does)");
        return kExitUsage;
      }
    }
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    return run ? run() : kExitUsage;
  } catch (const ferry::Error& e) {
    print_error(e.what());
    if (e.kind() == ferry::ErrorKind::kInterrupted) return kExitInterrupted;
    return e.kind() == ferry::ErrorKind::kInvalidArgument ? kExitUsage : kExitFailure;
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what());
    return kExitFailure;
  }
}
