#include "cli/commands.h"

namespace ferry::cli {

void add_pack(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("pack", "not yet implemented");
  sub->callback([&run] { run = [] { return kExitFailure; }; });
}

}  // namespace ferry::cli
