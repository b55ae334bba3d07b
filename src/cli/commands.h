// Every subcommand lives in its own file with an options struct and a run function;
// main() only dispatches. Each add_* registers its subcommand on `app` and, when that
// subcommand is the one parsed, stores in `run` the function that does the work and
// returns the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace ferry::cli {

using Runner = std::function<int()>;

// Exit codes shared by all commands.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitPartial = 3;  // done, but some inputs were left out (listed)
constexpr int kExitDataLost = 4;
constexpr int kExitIncomplete = 5;  // verify: too few drives attached to tell, those attached intact
constexpr int kExitInterrupted = 130;  // stopped by SIGINT/SIGTERM at a checkpoint

void add_keygen(CLI::App& app, Runner& run);
void add_pack(CLI::App& app, Runner& run);
void add_info(CLI::App& app, Runner& run);
void add_ls(CLI::App& app, Runner& run);
void add_restore(CLI::App& app, Runner& run);
void add_plan(CLI::App& app, Runner& run);
void add_verify(CLI::App& app, Runner& run);
void add_repair(CLI::App& app, Runner& run);
void add_mount(CLI::App& app, Runner& run);
void add_export(CLI::App& app, Runner& run);
// `help` needs the whole app: call it last, with the app that outlives parse and run.
void add_help(CLI::App& app, Runner& run);

}  // namespace ferry::cli
