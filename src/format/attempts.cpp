#include "format/attempts.h"

#include <algorithm>
#include <cstdlib>

#include "ferry/error.h"

namespace ferry::format {

void PackAttempts::begin(uint64_t first_stripe, uint32_t attempt) {
  while (!runs_.empty() && runs_.back().first >= first_stripe) runs_.pop_back();
  runs_.emplace_back(first_stripe, attempt);
}

uint32_t PackAttempts::of(uint64_t stripe) const {
  auto it = std::upper_bound(runs_.begin(), runs_.end(), stripe,
                             [](uint64_t s, const auto& run) { return s < run.first; });
  return it == runs_.begin() ? 0 : std::prev(it)->second;
}

std::string PackAttempts::to_string() const {
  std::string out;
  for (const auto& [first, attempt] : runs_) {
    if (!out.empty()) out += ',';
    out += std::to_string(first) + ':' + std::to_string(attempt);
  }
  return out;
}

PackAttempts PackAttempts::parse(const std::string& text, const std::string& where) {
  auto bad = [&] {
    return Error(ErrorKind::kCorruption, where + ": the list of pack attempts is malformed");
  };
  PackAttempts out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string run = text.substr(pos, comma - pos);
    size_t colon = run.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == run.size() ||
        run.find_first_not_of("0123456789:") != std::string::npos || run.size() > 32) {
      throw bad();
    }
    uint64_t first = std::strtoull(run.c_str(), nullptr, 10);
    uint64_t attempt = std::strtoull(run.c_str() + colon + 1, nullptr, 10);
    if (attempt == 0 || attempt > 0xffffffffu || out.runs_.size() >= 65536) throw bad();
    if (out.runs_.empty() ? first != 0
                          : first <= out.runs_.back().first || attempt <= out.runs_.back().second) {
      throw bad();
    }
    out.runs_.emplace_back(first, static_cast<uint32_t>(attempt));
    pos = comma + 1;
  }
  if (out.runs_.empty() || text.back() == ',') throw bad();
  return out;
}

}  // namespace ferry::format
