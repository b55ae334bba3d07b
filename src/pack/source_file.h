// One source file opened for packing, and what both ways of reading it share: the
// streaming FilePacker (large files) and the ReadAhead pool (small ones). The file is
// opened without following links, and a version check after reading catches a file
// that changed meanwhile, so nothing is ever packed torn.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "codec/zstd.h"
#include "format/catalog.h"
#include "util/dir_chain.h"

namespace ferry::pack {

// Why a file could not be read this time: kChanged is worth one more try.
enum class ReadFailure { kNone, kUnreadable, kChanged };

class SourceFile {
 public:
  // Opens `rel` below the source and takes its version as it is now (fstat). On failure
  // fd() is -1 and `failure`/`reason` say why.
  SourceFile(util::DirChain& source, const std::string& rel, ReadFailure* failure, std::string* reason);
  // Opens the file `walked` (whose inode the walk recorded) and takes the version the
  // walk saw for its own, without asking the file: unchanged() after reading then holds
  // only if nothing changed it since the walk, and a file left alone costs one fstat
  // instead of two. When it does not hold, read the file again as it is now.
  SourceFile(util::DirChain& source, const format::Entry& walked, ReadFailure* failure,
             std::string* reason);
  ~SourceFile();
  SourceFile(const SourceFile&) = delete;
  SourceFile& operator=(const SourceFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return before_.size; }
  // Whether the file is still the version taken: a regular file of the same size, mtime,
  // ctime and inode.
  bool unchanged() const;
  // Fills size, mode and mtime of `entry` from the version taken.
  void describe(format::Entry& entry) const;

 private:
  struct Version {
    uint64_t size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    uint64_t inode = 0;
    bool operator==(const Version&) const = default;
  };
  static Version version_of(const struct stat& st);
  void open(util::DirChain& source, const std::string& rel, ReadFailure* failure,
            std::string* reason);

  int fd_ = -1;
  Version before_;
  uint32_t mode_ = 0;  // permission bits
};

// read() that retries EINTR; returns the bytes read (0 at the end) or -1.
ssize_t read_some(int fd, void* buf, size_t len);
// Reads until `len` bytes or the end; returns the bytes read or -1.
ssize_t read_full(int fd, void* buf, size_t len);

// Smaller files are never compressed.
constexpr uint64_t kMinCompressSize = 4096;
// How much of a file's start is compressed to decide whether compressing it pays.
constexpr size_t kCompressionSample = 64 * 1024;
// Whether a sample of `len` bytes that compressed to `packed` bytes says to compress:
// it must shrink to nine tenths or less (media files do not).
inline bool compression_pays(size_t packed, size_t len) { return packed * 10 <= len * 9; }

// Reads a file opened at `size` bytes into `buf`, which has room for size + 1: stops
// at the end, or when size + 1 bytes came (it grew). A read that brings exactly the
// rest is taken as the end without asking again, one system call less per file: a
// file that grows meanwhile changes its size, which SourceFile::unchanged() catches.
ssize_t read_expected(int fd, void* buf, uint64_t size);

// Where a file of `size` bytes is sampled: its start and, for a file of several
// compression frames, three more points spread over it, each at a frame's start. One
// sample of the start stored whole a file whose first MiB is random and the rest zeros.
std::vector<uint64_t> sample_offsets(uint64_t size);

// Whether a sample of `data` says compressing pays: its compressed size in `packed`
// when it does, else 0. `at_start`: the file's first bytes, where a compressed format is
// known by its header.
size_t sample_pays(const uint8_t* data, size_t len, bool at_start, codec::ZstdCompressor& zstd,
                 std::vector<uint8_t>& packed);

// Whether the file has a hole (SEEK_HOLE finds one before its end); leaves the offset at 0.
bool has_hole(int fd, uint64_t size);

// Whether compressing this file pays, from its samples (never for a format that is
// compressed already). A sparse file always: its holes, read as zeros, compress to
// almost nothing, and restore makes them holes again. `scratch` and `packed` are the
// caller's buffers, resized as needed.
bool worth_compressing(int fd, uint64_t size, codec::ZstdCompressor& zstd,
                       std::vector<uint8_t>& scratch, std::vector<uint8_t>& packed);

}  // namespace ferry::pack
