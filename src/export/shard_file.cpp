#include "export/shard_file.h"

#include <openssl/evp.h>
#include <unistd.h>
#include <zstd.h>

#include <map>

#include "codec/sha256.h"
#include "ferry/error.h"

namespace ferry::exporting {
namespace {

// MDS (hashlib) name -> OpenSSL name.
const std::map<std::string, std::string>& hash_table() {
  static const std::map<std::string, std::string> table = {
      {"blake2b", "BLAKE2B-512"}, {"blake2s", "BLAKE2S-256"}, {"md5", "MD5"},
      {"sha1", "SHA1"},           {"sha224", "SHA224"},       {"sha256", "SHA256"},
      {"sha384", "SHA384"},       {"sha3_224", "SHA3-224"},   {"sha3_256", "SHA3-256"},
      {"sha3_384", "SHA3-384"},   {"sha3_512", "SHA3-512"},   {"sha512", "SHA512"}};
  return table;
}

constexpr size_t kBuffer = 1 << 20;
constexpr int kZstdLevel = 3;  // what MDS's "zstd" means

}  // namespace

bool is_supported_hash(const std::string& name) { return hash_table().count(name) > 0; }

std::string supported_hash_names() {
  std::string out;
  for (const auto& [name, _] : hash_table()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

Digests::Digests(const std::vector<std::string>& names) : names_(names) {
  for (const std::string& name : names) {
    auto it = hash_table().find(name);
    if (it == hash_table().end()) {
      throw Error(ErrorKind::kInvalidArgument,
                  "unknown hash '" + name + "'; ferry computes " + supported_hash_names());
    }
    const EVP_MD* md = EVP_get_digestbyname(it->second.c_str());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (!md || !ctx || EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
      EVP_MD_CTX_free(ctx);
      throw Error(ErrorKind::kUnsupported, "this OpenSSL does not compute " + name);
    }
    ctx_.push_back(ctx);
  }
}

Digests::~Digests() {
  for (void* ctx : ctx_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx));
}

void Digests::update(const void* data, size_t len) {
  for (void* ctx : ctx_) EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx), data, len);
}

nlohmann::json Digests::finish() {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < ctx_.size(); ++i) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_[i]), md, &len);
    out[names_[i]] = codec::to_hex(md, len);
  }
  return out;
}

static std::vector<std::string> with_sha256(std::vector<std::string> names) {
  for (const std::string& n : names) {
    if (n == "sha256") return names;
  }
  names.push_back("sha256");
  return names;
}

ShardFile::ShardFile(const std::string& dir, const std::string& name, uint64_t raw_size, bool zstd,
                     const std::vector<std::string>& hashes)
    : dir_(dir),
      name_(name),
      temp_(io::join(dir, temp_name(name))),
      raw_size_(raw_size),
      raw_hashes_(zstd ? hashes : std::vector<std::string>{}),
      file_hashes_(with_sha256(hashes)) {
  file_ = io::File::open_write(temp_, true);
  buffer_.reserve(kBuffer);
  if (zstd) {
    zstd_ = ZSTD_createCCtx();
    if (!zstd_) throw Error(ErrorKind::kIO, "zstd: out of memory");
    ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, kZstdLevel);
    ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setPledgedSrcSize(zstd_, raw_size);
    zbuf_.resize(ZSTD_CStreamOutSize());
  }
}

ShardFile::~ShardFile() {
  if (open_) discard();
  if (zstd_) ZSTD_freeCCtx(zstd_);
}

void ShardFile::emit(const void* data, size_t len) {
  file_hashes_.update(data, len);
  file_bytes_ += len;
  const char* p = static_cast<const char*>(data);
  if (buffer_.size() + len > kBuffer) flush();
  if (len >= kBuffer) {
    file_.write(p, len);
  } else {
    buffer_.append(p, len);
  }
}

void ShardFile::flush() {
  if (!buffer_.empty()) file_.write(buffer_.data(), buffer_.size());
  buffer_.clear();
}

void ShardFile::write(const void* data, size_t len) {
  raw_bytes_ += len;
  if (!zstd_) {
    emit(data, len);
    return;
  }
  raw_hashes_.update(data, len);
  ZSTD_inBuffer in{data, len, 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer out{zbuf_.data(), zbuf_.size(), 0};
    size_t r = ZSTD_compressStream2(zstd_, &out, &in, ZSTD_e_continue);
    if (ZSTD_isError(r)) throw Error(ErrorKind::kIO, std::string("zstd: ") + ZSTD_getErrorName(r));
    emit(zbuf_.data(), out.pos);
  }
}

ShardFileInfo ShardFile::commit() {
  if (raw_bytes_ != raw_size_) {
    throw Error(ErrorKind::kIO, "internal: shard " + name_ + " got " + std::to_string(raw_bytes_) +
                                    " bytes, not the " + std::to_string(raw_size_) + " planned");
  }
  if (zstd_) {
    ZSTD_inBuffer in{nullptr, 0, 0};
    size_t left;
    do {
      ZSTD_outBuffer out{zbuf_.data(), zbuf_.size(), 0};
      left = ZSTD_compressStream2(zstd_, &out, &in, ZSTD_e_end);
      if (ZSTD_isError(left)) {
        throw Error(ErrorKind::kIO, std::string("zstd: ") + ZSTD_getErrorName(left));
      }
      emit(zbuf_.data(), out.pos);
    } while (left != 0);
  }
  flush();
  file_.sync();
  file_.close();
  ShardFileInfo info;
  info.raw_bytes = raw_bytes_;
  info.file_bytes = file_bytes_;
  info.file_hashes = file_hashes_.finish();
  info.sha256 = info.file_hashes["sha256"].get<std::string>();
  info.raw_hashes = zstd_ ? raw_hashes_.finish() : info.file_hashes;
  io::rename_into_place(temp_, io::join(dir_, name_));
  open_ = false;
  return info;
}

void ShardFile::discard() {
  if (!open_) return;
  open_ = false;
  file_ = io::File();
  ::unlink(temp_.c_str());
}

}  // namespace ferry::exporting
