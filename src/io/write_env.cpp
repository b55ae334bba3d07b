#include "ferry/write_env.h"

#include <unistd.h>

#include "io/file.h"

namespace ferry::io {
namespace {

// Writes `path`.tmp through the environment, then renames it over `path`.
class RenamedReplacement : public ReplacementFile {
 public:
  RenamedReplacement(const WriteEnv& env, std::string path) : path_(std::move(path)), temp_(path_ + ".tmp") {
    ::unlink(temp_.c_str());  // a leftover of an earlier run, maybe longer than this one
    file_ = env.open(temp_);
  }
  void append(const void* buf, size_t len) override {
    file_->pwrite(buf, len, written_);
    written_ += len;
  }
  void commit() override {
    file_->sync();
    file_->close();
    rename_into_place(temp_, path_);
  }

 private:
  std::string path_, temp_;
  std::unique_ptr<WritableFile> file_;
  uint64_t written_ = 0;
};

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
    return std::make_unique<PosixWritableFile>(File::open_untrusted_write(path));
  }
};

}  // namespace

std::unique_ptr<ReplacementFile> WriteEnv::replace(const std::string& path) const {
  return std::make_unique<RenamedReplacement>(*this, path);
}

void WriteEnv::write_atomically(const std::string& path, const std::string& data) const {
  std::unique_ptr<ReplacementFile> file = replace(path);
  file->append(data.data(), data.size());
  file->commit();
}

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

class DiscardingReplacement : public ReplacementFile {
 public:
  void append(const void*, size_t) override {}
  void commit() override {}
};

class DiscardingWriteEnv : public WriteEnv {
 public:
  std::unique_ptr<WritableFile> open(const std::string&) const override {
    return std::make_unique<DiscardingFile>();
  }
  std::unique_ptr<ReplacementFile> replace(const std::string&) const override {
    return std::make_unique<DiscardingReplacement>();
  }
};

}  // namespace

const WriteEnv& WriteEnv::discarding() {
  static const DiscardingWriteEnv env;
  return env;
}

}  // namespace ferry::io
