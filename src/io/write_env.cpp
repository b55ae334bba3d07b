#include "ferry/write_env.h"

#include <unistd.h>

#include <cerrno>

#include "ferry/error.h"
#include "io/file.h"

namespace ferry::io {
namespace {

// Writes `path`.tmp through the environment, then renames it over `path`.
class RenamedReplacement : public ReplacementFile {
 public:
  RenamedReplacement(const WriteEnv& env, std::string path)
      : env_(env), path_(std::move(path)), temp_(path_ + ".tmp") {
    env.remove(temp_);  // a leftover of an earlier run, maybe longer than this one
    file_ = env.open(temp_);
  }
  void append(const void* buf, size_t len) override {
    file_->pwrite(buf, len, written_);
    written_ += len;
  }
  void commit() override {
    file_->sync();
    file_->close();
    env_.rename(temp_, path_);
  }

 private:
  const WriteEnv& env_;
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

void WriteEnv::rename(const std::string& from, const std::string& to) const {
  rename_into_place(from, to);
}

void WriteEnv::remove(const std::string& path) const {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove " + path, errno);
}

void WriteEnv::truncate(const std::string& path, uint64_t size) const {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) throw_errno("cannot cut " + path, errno);
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
  void rename(const std::string&, const std::string&) const override {}
  void remove(const std::string&) const override {}
  void truncate(const std::string&, uint64_t) const override {}
};

}  // namespace

const WriteEnv& WriteEnv::discarding() {
  static const DiscardingWriteEnv env;
  return env;
}

}  // namespace ferry::io
