#include "cli/key_options.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ferry/error.h"
#include "format/keys.h"

namespace ferry::cli {

void add_key_options(CLI::App& sub, KeyOptions& options) {
  sub.add_option("--key-file", options.key_file, "Key file made by `ferry keygen`");
  sub.add_option("--passphrase-file", options.passphrase_file,
                 "File whose first line is the passphrase (or set FERRY_PASSPHRASE)");
}

Credentials load_credentials(const KeyOptions& options, bool required) {
  Credentials c;
  if (!options.key_file.empty()) c.key_file = format::read_key_file(options.key_file);
  if (!options.passphrase_file.empty()) {
    std::ifstream in(options.passphrase_file);
    if (!in) {
      throw Error(ErrorKind::kInvalidArgument, "cannot read passphrase file " + options.passphrase_file);
    }
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    c.passphrase = line;
  } else if (const char* env = std::getenv("FERRY_PASSPHRASE"); env && !c.key_file) {
    c.passphrase = env;
  }
  if (c.passphrase && c.passphrase->empty()) {
    throw Error(ErrorKind::kInvalidArgument, "the passphrase is empty");
  }
  if (required && c.empty()) {
    throw Error(ErrorKind::kInvalidArgument,
                "this needs the shipment's key: --key-file F, --passphrase-file F, or "
                "FERRY_PASSPHRASE in the environment");
  }
  return c;
}

}  // namespace ferry::cli
