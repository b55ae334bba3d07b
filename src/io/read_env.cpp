#include "ferry/read_env.h"

#include "io/file.h"

namespace ferry::io {
namespace {

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  explicit PosixRandomAccessFile(File file) : file_(std::move(file)) {}
  size_t pread(void* buf, size_t len, uint64_t offset) const override {
    return file_.pread(buf, len, offset);
  }

 private:
  File file_;
};

class PosixReadEnv : public ReadEnv {
 public:
  std::unique_ptr<RandomAccessFile> open(const std::string& path) const override {
    return std::make_unique<PosixRandomAccessFile>(File::open_untrusted(path));
  }
};

}  // namespace

const ReadEnv& ReadEnv::posix() {
  static const PosixReadEnv env;
  return env;
}

}  // namespace ferry::io
