// Fuzzes the label reader: any bytes must give a Label or a ferry::Error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ferry/error.h"
#include "format/label.h"

namespace {

void parse(const std::string& text) {
  try {
    ferry::format::Label l = ferry::format::label_from_json(text, "fuzz");
    // What parses must survive a round trip.
    ferry::format::label_from_json(ferry::format::label_to_json(l), "fuzz round trip");
  } catch (const ferry::Error&) {
  }
}

}  // namespace

// The input as it is, then grown the ways a hostile drive grows a label past what the
// fuzzer's inputs reach: nested up to 100,000 levels deep, and repeated past the size cap.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  parse(text);
  if (size > 0) {
    const size_t depth = static_cast<size_t>(data[0]) * 400;
    parse(std::string(depth, '[') + text + std::string(depth, ']'));
    parse(std::string(depth, '{') + "\"a\":" + text);
    std::string big = text;
    while (big.size() <= (64u << 10)) big += text;
    parse(big);
  }
  return 0;
}
