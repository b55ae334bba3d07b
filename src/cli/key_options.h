// --key-file / --passphrase-file, shared by every command that needs the key.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "ferry/credentials.h"

namespace ferry::cli {

struct KeyOptions {
  std::string key_file;
  std::string passphrase_file;
};

void add_key_options(CLI::App& sub, KeyOptions& options);

// Reads what was given; FERRY_PASSPHRASE is used when no file is named. With
// `required`, having none is a usage error.
Credentials load_credentials(const KeyOptions& options, bool required);

}  // namespace ferry::cli
