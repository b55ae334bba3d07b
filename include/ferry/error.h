// The one error type of ferry's library. Every failure surfaces as a ferry::Error
// whose kind lets callers tell bad bytes from a failing drive from a wrong key, and
// whose message names what failed and what the user can do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace ferry {

enum class ErrorKind {
  kInvalidArgument,  // the caller asked for something impossible (usage error)
  kIO,               // the operating system refused a read, write, open, ...
  kNoSpace,          // a drive or target ran out of space
  kCorruption,       // bytes on a drive are not what ferry wrote
  kWrongKey,         // the key or passphrase does not open this shipment
  kUnsupported,      // a format version this build does not know
  kNotEnoughDrives,  // fewer than k usable drives
  kConflict,         // refusing to overwrite or to mix shipments without being asked
  kUnsafePath,       // a catalog path that would escape the restore target
  kInterrupted,      // stopped on request (SIGINT/SIGTERM)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Throws kIO (or kNoSpace for ENOSPC/EDQUOT) naming `what` and the errno text.
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace ferry
