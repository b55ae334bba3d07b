#include "format/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "ferry/error.h"

namespace ferry::format {
namespace {

std::vector<uint8_t> wrap_aad(const ShipmentId& shipment, const std::string& type) {
  std::string aad = kWrapAadPrefix;
  aad.append(reinterpret_cast<const char*>(shipment.data()), shipment.size());
  aad += type;
  return std::vector<uint8_t>(aad.begin(), aad.end());
}

codec::Key key_file_kek(const codec::Key& file_key, const std::vector<uint8_t>& salt) {
  return codec::hkdf(file_key, std::string(kWrapKeyInfo) + " " + codec::to_hex(salt.data(), salt.size()));
}

KeyWrap seal(const codec::Key& kek, const std::string& type, const ShipmentId& shipment,
             const codec::Key& data_key, std::vector<uint8_t> salt) {
  KeyWrap w;
  w.type = type;
  w.salt = std::move(salt);
  codec::random_bytes(w.nonce.data(), w.nonce.size());
  w.wrapped.resize(data_key.size() + codec::kTagSize);
  auto aad = wrap_aad(shipment, type);
  codec::AesGcm(kek).seal(w.nonce, aad.data(), aad.size(), data_key.data(), data_key.size(),
                          w.wrapped.data(), w.wrapped.data() + data_key.size());
  return w;
}

std::optional<codec::Key> try_open(const codec::Key& kek, const KeyWrap& w,
                                   const ShipmentId& shipment) {
  if (w.wrapped.size() != codec::kKeySize + codec::kTagSize) return std::nullopt;
  codec::Key data_key{};
  auto aad = wrap_aad(shipment, w.type);
  if (!codec::AesGcm(kek).open(w.nonce, aad.data(), aad.size(), w.wrapped.data(),
                               codec::kKeySize, data_key.data(),
                               w.wrapped.data() + codec::kKeySize)) {
    return std::nullopt;
  }
  return data_key;
}

}  // namespace

void write_new_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      throw Error(ErrorKind::kConflict,
                  "key file " + path + " already exists; refusing to overwrite it (choose another name)");
    }
    throw_errno("cannot create key file " + path, errno);
  }
  codec::Key key{};
  codec::random_bytes(key.data(), key.size());
  std::string text = std::string(kKeyFileTag) + " " + codec::to_hex(key.data(), key.size()) + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) ==
                                            static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw_errno("cannot write key file " + path, err);
  }
}

codec::Key read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::kInvalidArgument, "cannot read key file " + path);
  std::string tag, hex;
  in >> tag >> hex;
  codec::Key key{};
  if (tag != kKeyFileTag || !codec::from_hex(hex, key.data(), key.size())) {
    throw Error(ErrorKind::kInvalidArgument,
                path + " is not a ferry key file (make one with: ferry keygen -o FILE)");
  }
  return key;
}

std::vector<KeyWrap> wrap_data_key(const codec::Key& data_key, const ShipmentId& shipment,
                                   const Credentials& credentials,
                                   const codec::ScryptParams& scrypt) {
  std::vector<KeyWrap> wraps;
  if (credentials.key_file) {
    std::vector<uint8_t> salt(16);
    codec::random_bytes(salt.data(), salt.size());
    wraps.push_back(
        seal(key_file_kek(*credentials.key_file, salt), "key-file", shipment, data_key, salt));
  }
  if (credentials.passphrase) {
    std::vector<uint8_t> salt(16);
    codec::random_bytes(salt.data(), salt.size());
    KeyWrap w = seal(codec::scrypt(*credentials.passphrase, salt, scrypt), "passphrase", shipment,
                     data_key, salt);
    w.scrypt = scrypt;
    wraps.push_back(std::move(w));
  }
  return wraps;
}

std::optional<codec::Key> unwrap_data_key(const Label& label, const Credentials& credentials) {
  // Decoy passphrase wraps would each cost a full scrypt run: only the first few count.
  size_t scrypt_runs = 0;
  for (const KeyWrap& w : label.keys) {
    std::optional<codec::Key> key;
    if (w.type == "key-file" && credentials.key_file) {
      key = try_open(key_file_kek(*credentials.key_file, w.salt), w, label.shipment);
    } else if (w.type == "passphrase" && credentials.passphrase &&
               scrypt_runs++ < kMaxPassphraseWrapsTried) {
      key = try_open(codec::scrypt(*credentials.passphrase, w.salt, w.scrypt), w, label.shipment);
    }
    if (key) return key;
  }
  return std::nullopt;
}

}  // namespace ferry::format
