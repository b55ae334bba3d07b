// What opens a shipment: the key from a key file, a passphrase, or both.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace ferry {

struct Credentials {
  std::optional<std::array<uint8_t, 32>> key_file;
  std::optional<std::string> passphrase;
  bool empty() const { return !key_file && !passphrase; }
};

}  // namespace ferry
