// Every ferry the end-to-end tests start keeps its temporary files (the working
// catalog) in a folder of this test process's own, removed when its tests end: a ferry
// killed on purpose leaves its files behind, and they must not pile up in /tmp.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>

#include "support/temp_dir.h"

namespace ferry::test {
namespace {

class ChildTmpdir : public ::testing::Environment {
 public:
  void SetUp() override {
    if (const char* old = std::getenv("TMPDIR")) previous_ = old;
    dir_ = std::make_unique<TempDir>();
    ::chmod(dir_->path().c_str(), 01777);  // as /tmp: some tests run ferry as another user
    ::setenv("TMPDIR", dir_->path().c_str(), 1);
  }
  void TearDown() override {
    if (previous_) {
      ::setenv("TMPDIR", previous_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
    dir_.reset();
  }

 private:
  std::optional<std::string> previous_;
  std::unique_ptr<TempDir> dir_;
};

[[maybe_unused]] ::testing::Environment* const registered =
    ::testing::AddGlobalTestEnvironment(new ChildTmpdir);

}  // namespace
}  // namespace ferry::test
