// An exclusive lock on a shipment folder, so two ferry processes never write the same
// drive. Held (flock) for the lifetime of the object; released by the kernel if the
// process dies.
#pragma once

#include <string>

namespace ferry::io {

class DriveLock {
 public:
  // Throws kConflict naming the drive when another process holds it.
  explicit DriveLock(const std::string& folder);
  ~DriveLock();
  DriveLock(const DriveLock&) = delete;
  DriveLock& operator=(const DriveLock&) = delete;

 private:
  int fd_;
};

}  // namespace ferry::io
