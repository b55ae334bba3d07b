#include "ferry/write_env.h"

#include "io/file.h"

namespace ferry::io {
namespace {

class PosixWritableFile : public WritableFile {
 public:
  explicit PosixWritableFile(File file) : file_(std::move(file)) {}
  void pwrite(const void* buf, size_t len, uint64_t offset) override { file_.pwrite(buf, len, offset); }
  void sync() override { file_.sync(); }
  void close() override { file_.close(); }

 private:
  File file_;
};

class PosixWriteEnv : public WriteEnv {
 public:
  std::unique_ptr<WritableFile> open(const std::string& path) const override {
    return std::make_unique<PosixWritableFile>(File::open_write(path, false));
  }
  void write_atomically(const std::string& path, const std::string& data) const override {
    write_file_atomically(path, data);
  }
};

}  // namespace

const WriteEnv& WriteEnv::posix() {
  static const PosixWriteEnv env;
  return env;
}

}  // namespace ferry::io

namespace ferry::io {
namespace {

class DiscardingFile : public WritableFile {
 public:
  void pwrite(const void*, size_t, uint64_t) override {}
  void sync() override {}
  void close() override {}
};

class DiscardingWriteEnv : public WriteEnv {
 public:
  std::unique_ptr<WritableFile> open(const std::string&) const override {
    return std::make_unique<DiscardingFile>();
  }
  void write_atomically(const std::string&, const std::string&) const override {}
};

}  // namespace

const WriteEnv& WriteEnv::discarding() {
  static const DiscardingWriteEnv env;
  return env;
}

}  // namespace ferry::io
