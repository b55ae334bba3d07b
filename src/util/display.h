// Paths are raw bytes; this shows them safely in messages.
#pragma once

#include <string>

namespace ferry::util {

// Valid UTF-8 passes through; control bytes, backslashes and invalid bytes become \xNN.
std::string shown(const std::string& raw_path);

}  // namespace ferry::util
