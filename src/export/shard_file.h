// One shard file being written: under a temporary name in the target ("." + name +
// ".partial"), hashed as it goes, optionally zstd-compressed as one frame whose header
// states the content size; renamed to its name only by commit(), after an fsync. A
// ShardFile dropped without commit() removes its temporary file.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/file.h"

typedef struct ZSTD_CCtx_s ZSTD_CCtx;

namespace ferry::exporting {

// Hashes by the names MDS gives them (Python's hashlib names): those OpenSSL computes.
bool is_supported_hash(const std::string& name);
std::string supported_hash_names();  // "md5, sha1, ..." for messages

// Several named digests of one byte stream.
class Digests {
 public:
  explicit Digests(const std::vector<std::string>& names);  // throws kInvalidArgument
  ~Digests();
  Digests(const Digests&) = delete;
  Digests& operator=(const Digests&) = delete;
  void update(const void* data, size_t len);
  nlohmann::json finish();  // {name: lowercase hex}

 private:
  std::vector<std::string> names_;
  std::vector<void*> ctx_;  // EVP_MD_CTX*
};

struct ShardFileInfo {
  uint64_t raw_bytes = 0;
  nlohmann::json raw_hashes;  // of the bytes given to write()
  uint64_t file_bytes = 0;
  nlohmann::json file_hashes;  // of the file as stored (the same without compression)
  std::string sha256;          // of the file as stored
};

class ShardFile {
 public:
  // `raw_size`: the exact number of bytes write() will be given (the zstd frame states it).
  ShardFile(const std::string& dir, const std::string& name, uint64_t raw_size, bool zstd,
            const std::vector<std::string>& hashes);
  ~ShardFile();
  ShardFile(const ShardFile&) = delete;
  ShardFile& operator=(const ShardFile&) = delete;

  void write(const void* data, size_t len);
  void write(const std::string& data) { write(data.data(), data.size()); }
  uint64_t written() const { return raw_bytes_; }
  // Flushes, fsyncs and renames into place. Throws kIO when the bytes written are not
  // the `raw_size` promised.
  ShardFileInfo commit();
  void discard();  // removes the temporary file

  static std::string temp_name(const std::string& name) { return "." + name + ".partial"; }

 private:
  void emit(const void* data, size_t len);  // to the file, through the buffer
  void flush();

  std::string dir_, name_, temp_;
  uint64_t raw_size_, raw_bytes_ = 0, file_bytes_ = 0;
  io::File file_;
  ZSTD_CCtx* zstd_ = nullptr;
  Digests raw_hashes_, file_hashes_;
  std::string buffer_, zbuf_;
  bool open_ = true;
};

}  // namespace ferry::exporting
