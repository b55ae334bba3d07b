// Fuzzes the label reader: any bytes must give a Label or a ferry::Error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ferry/error.h"
#include "format/label.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    ferry::format::Label l =
        ferry::format::label_from_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    // What parses must survive a round trip.
    ferry::format::label_from_json(ferry::format::label_to_json(l), "fuzz round trip");
  } catch (const ferry::Error&) {
  }
  return 0;
}
