#include "cli/key_options.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/output.h"
#include "ferry/error.h"
#include "format/keys.h"

namespace ferry::cli {

void add_key_options(CLI::App& sub, KeyOptions& options) {
  sub.add_option("--key-file", options.key_file, "Key file made by `ferry keygen`");
  sub.add_option("--passphrase-file", options.passphrase_file,
                 "File whose first line is the passphrase (or set FERRY_PASSPHRASE)");
}

namespace {

// As ssh does for private keys: a secret others on this machine can read is no secret.
void warn_if_others_can_read(const std::string& path, const char* what) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    print_warning(std::string(what) + " " + path + " can be read by other users (mode " + mode +
                  "); anyone who can read it can open the shipment. Make it private: chmod 600 " +
                  path);
  }
}

}  // namespace

Credentials load_credentials(const KeyOptions& options, bool required) {
  Credentials c;
  if (!options.key_file.empty()) warn_if_others_can_read(options.key_file, "key file");
  if (!options.passphrase_file.empty()) warn_if_others_can_read(options.passphrase_file, "passphrase file");
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
