#include "format/catalog_file.h"

#include <cstring>
#include <vector>

#include "codec/kdf.h"
#include "ferry/error.h"
#include "format/constants.h"
#include "io/file.h"
#include "util/bytes.h"

namespace ferry::format {
namespace {

// Header, FORMAT.md §Catalog file:
//  0 magic "FRYC" | 4 version u16 | 6 reserved u16 | 8 shipment id [16]
// 24 plaintext bytes u64 | 32 chunk size u32 | 36 chunk count u32 | 40 role u64
struct Header {
  ShipmentId shipment{};
  uint64_t role = kFinalCatalog;
  uint64_t plain_bytes = 0;
  uint32_t chunk_size = kCatalogChunkSize;
  uint32_t chunks = 0;
};

void encode(const Header& h, uint8_t out[kCatalogHeaderSize]) {
  std::memset(out, 0, kCatalogHeaderSize);
  std::memcpy(out, kCatalogMagic, 4);
  util::put_le(out + 4, kFormatVersion, 2);
  std::memcpy(out + 8, h.shipment.data(), 16);
  util::put_le(out + 24, h.plain_bytes, 8);
  util::put_le(out + 32, h.chunk_size, 4);
  util::put_le(out + 36, h.chunks, 4);
  util::put_le(out + 40, h.role, 8);
}

// Each chunk's AAD is the whole header and the chunk's index: a chunk cannot be moved,
// dropped or taken from another catalog without failing authentication.
std::vector<uint8_t> chunk_aad(const uint8_t header[kCatalogHeaderSize], uint32_t index) {
  std::vector<uint8_t> aad(header, header + kCatalogHeaderSize);
  aad.resize(kCatalogHeaderSize + 4);
  util::put_le(aad.data() + kCatalogHeaderSize, index, 4);
  return aad;
}

}  // namespace

uint64_t seal_catalog(const std::string& plain_path, const ShipmentId& shipment,
                      const codec::Key& data_key,
                      const std::function<void(const uint8_t*, size_t)>& out, uint64_t role) {
  io::File in = io::File::open_read(plain_path);
  Header h;
  h.shipment = shipment;
  h.role = role;
  h.plain_bytes = in.size();
  h.chunks = static_cast<uint32_t>((h.plain_bytes + h.chunk_size - 1) / h.chunk_size);
  uint8_t header[kCatalogHeaderSize];
  encode(h, header);

  codec::AesGcm aead(codec::hkdf(data_key, kCatalogKeyInfo));
  uint64_t bytes = 0;
  auto emit = [&](const uint8_t* data, size_t len) {
    bytes += len;
    out(data, len);
  };
  emit(header, sizeof header);
  std::vector<uint8_t> plain(h.chunk_size), sealed(codec::kNonceSize + h.chunk_size + codec::kTagSize);
  for (uint32_t i = 0; i < h.chunks; ++i) {
    size_t len = in.pread(plain.data(), h.chunk_size, static_cast<uint64_t>(i) * h.chunk_size);
    codec::Nonce nonce;
    codec::random_bytes(nonce.data(), nonce.size());  // the catalog is re-sealed at checkpoints
    std::memcpy(sealed.data(), nonce.data(), nonce.size());
    auto aad = chunk_aad(header, i);
    aead.seal(nonce, aad.data(), aad.size(), plain.data(), len, sealed.data() + codec::kNonceSize,
              sealed.data() + codec::kNonceSize + len);
    emit(sealed.data(), codec::kNonceSize + len + codec::kTagSize);
  }
  return bytes;
}

void open_catalog(const std::string& sealed_path, const std::string& plain_path,
                  const ShipmentId& shipment, const codec::Key& data_key, uint64_t role,
                  const io::ReadEnv& env) {
  std::unique_ptr<io::RandomAccessFile> in = env.open(sealed_path);
  auto corrupt = [&](const std::string& why) {
    return Error(ErrorKind::kCorruption, "catalog " + sealed_path + " is damaged: " + why);
  };
  uint8_t header[kCatalogHeaderSize];
  if (in->pread(header, sizeof header, 0) != sizeof header) throw corrupt("too short");
  if (std::memcmp(header, kCatalogMagic, 4) != 0) throw corrupt("bad magic");
  if (util::get_le(header + 4, 2) != kFormatVersion) {
    throw Error(ErrorKind::kUnsupported, "catalog " + sealed_path + " is of an unknown format version");
  }
  Header h;
  std::memcpy(h.shipment.data(), header + 8, 16);
  h.plain_bytes = util::get_le(header + 24, 8);
  h.chunk_size = static_cast<uint32_t>(util::get_le(header + 32, 4));
  h.chunks = static_cast<uint32_t>(util::get_le(header + 36, 4));
  h.role = util::get_le(header + 40, 8);
  if (h.shipment != shipment) throw corrupt("it belongs to shipment " + id_short(h.shipment));
  if (h.role != role) {
    // Authenticated below with the rest of the header: a forged role fails there.
    throw corrupt(h.role == kFinalCatalog
                      ? std::string("it is the shipment's catalog, not a checkpoint's snapshot")
                      : "it is the snapshot of checkpoint " + std::to_string(h.role - 1) +
                            ", not the catalog it stands in for (rolled back?)");
  }
  if (h.chunk_size == 0 || h.chunk_size > (64u << 20) ||
      h.chunks != (h.plain_bytes + h.chunk_size - 1) / h.chunk_size) {
    throw corrupt("implausible header");
  }
  uint64_t expected = kCatalogHeaderSize + h.plain_bytes +
                      static_cast<uint64_t>(h.chunks) * (codec::kNonceSize + codec::kTagSize);
  uint8_t beyond;
  if (in->pread(&beyond, 1, expected) != 0) throw corrupt("longer than its header says");

  codec::AesGcm aead(codec::hkdf(data_key, kCatalogKeyInfo));
  io::File out = io::File::open_write(plain_path, true);
  std::vector<uint8_t> plain(h.chunk_size), sealed(codec::kNonceSize + h.chunk_size + codec::kTagSize);
  uint64_t pos = kCatalogHeaderSize;
  for (uint32_t i = 0; i < h.chunks; ++i) {
    size_t len = static_cast<size_t>(
        std::min<uint64_t>(h.chunk_size, h.plain_bytes - static_cast<uint64_t>(i) * h.chunk_size));
    size_t total = codec::kNonceSize + len + codec::kTagSize;
    if (in->pread(sealed.data(), total, pos) != total) throw corrupt("truncated");
    pos += total;
    codec::Nonce nonce;
    std::memcpy(nonce.data(), sealed.data(), nonce.size());
    auto aad = chunk_aad(header, i);
    if (!aead.open(nonce, aad.data(), aad.size(), sealed.data() + codec::kNonceSize, len,
                   plain.data(), sealed.data() + codec::kNonceSize + len)) {
      throw corrupt("chunk " + std::to_string(i) + " fails authentication");
    }
    out.write(plain.data(), len);
  }
  out.close();
}

bool drive_file_matches(const std::string& path, uint64_t bytes, const codec::Digest& sha256,
                        const io::ReadEnv& env) {
  std::unique_ptr<io::RandomAccessFile> in = env.open(path);
  // A byte past the size the label records: longer, whatever its size (a huge or
  // sparse planted file is never read through).
  uint8_t beyond;
  if (in->pread(&beyond, 1, bytes) != 0) return false;
  codec::Sha256 h;
  std::vector<uint8_t> buf(1 << 20);
  for (uint64_t at = 0; at < bytes;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - at));
    const size_t got = in->pread(buf.data(), want, at);
    if (got == 0) return false;  // shorter
    h.update(buf.data(), got);
    at += got;
  }
  return h.finish() == sha256;
}

}  // namespace ferry::format
