// ferry keygen -o KEYFILE
#include <iostream>

#include "cli/commands.h"
#include "format/keys.h"

namespace ferry::cli {
namespace {

struct KeygenOptions {
  std::string output;
};

int run_keygen(const KeygenOptions& options) {
  format::write_new_key_file(options.output);
  std::cout << "wrote a new key to " << options.output
            << " (mode 0600). Keep a copy apart from the drives: without it nothing can be "
               "restored.\n";
  return kExitOk;
}

}  // namespace

void add_keygen(CLI::App& app, Runner& run) {
  auto options = std::make_shared<KeygenOptions>();
  CLI::App* sub = app.add_subcommand("keygen", "Create a new random key file (mode 0600)");
  sub->footer("Examples:\n  ferry keygen -o ship.key\n  ferry keygen --output /secure/2026-11.key");
  sub->add_option("-o,--output", options->output, "Where to write the key; never overwritten")
      ->required();
  sub->callback([options, &run] { run = [options] { return run_keygen(*options); }; });
}

}  // namespace ferry::cli
