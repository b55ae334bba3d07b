#include "ferry/error.h"

#include <cerrno>
#include <cstring>

namespace ferry {

void throw_errno(const std::string& what, int err) {
  std::string message = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    throw Error(ErrorKind::kNoSpace, message + " (free some space, or use a larger drive)");
  }
  throw Error(ErrorKind::kIO, message);
}

}  // namespace ferry
