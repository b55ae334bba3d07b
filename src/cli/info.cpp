#include "cli/commands.h"

namespace ferry::cli {

void add_info(CLI::App& app, Runner& run) {
  CLI::App* sub = app.add_subcommand("info", "not yet implemented");
  sub->callback([&run] { run = [] { return kExitFailure; }; });
}

}  // namespace ferry::cli
