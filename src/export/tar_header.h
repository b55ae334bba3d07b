// POSIX tar (ustar, with pax extended headers where ustar cannot say it), as written to
// WebDataset shards: regular files only, owner 0:0 and no user names, so that a shard
// depends only on the files' names, modes, mtimes and bytes.
//
// A member is its header block(s), its bytes, and zeros up to the next 512-byte
// boundary; an archive ends with two zero blocks. A pax header ('x', POSIX.1-2001) comes
// before the ustar header when the name does not fit ustar's 100 + 155 bytes, is UTF-8
// beyond ASCII, or the size or mtime does not fit 11 octal digits. A name that is not
// UTF-8 stays raw in ustar when it fits (as GNU tar writes it); else its `path` record is
// marked hdrcharset=BINARY.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::exporting {

constexpr uint64_t kTarBlock = 512;

struct TarMember {
  std::string name;  // '/'-separated, raw bytes
  uint64_t size = 0;
  uint32_t mode = 0644;
  int64_t mtime_ns = 0;
};

// The header block(s) of `member`: a multiple of 512 bytes.
std::string tar_header(const TarMember& member);
// Zeros after `size` bytes of data, up to the next block boundary.
inline uint64_t tar_padding(uint64_t size) { return (kTarBlock - size % kTarBlock) % kTarBlock; }
// Everything `member` takes in an archive: header(s), bytes and padding.
uint64_t tar_member_bytes(const TarMember& member);
// The end of an archive: two zero blocks.
constexpr uint64_t kTarEndBytes = 2 * kTarBlock;

bool is_utf8(const std::string& text);

}  // namespace ferry::exporting
