#include "cli/commands.h"

namespace ferry::cli {

void add_repair(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("repair", "not yet implemented");
  sub->callback([&run] { run = [] { return kExitFailure; }; });
}

}  // namespace ferry::cli
