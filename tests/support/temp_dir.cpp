#include "support/temp_dir.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <stdexcept>

#include "io/file.h"

namespace ferry::test {

TempDir::TempDir() {
  struct stat st;
  std::string base = ::stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
  std::string pattern = base + "/ferry-test.XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  try {
    // Tests make folders read-only on purpose; give rights back before removing.
    std::string cmd = "chmod -R u+rwx '" + path_ + "' 2>/dev/null";
    (void)std::system(cmd.c_str());
    io::remove_tree(path_);
  } catch (...) {
  }
}

}  // namespace ferry::test
