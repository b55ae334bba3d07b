// How the command line talks to people: escaped names, human units, colour only on a
// terminal and never with NO_COLOR, and a live progress line on stderr.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "ferry/progress.h"
#include "util/display.h"

namespace ferry::cli {

bool stderr_is_terminal();
bool use_colour();
void print_error(const std::string& message);
void print_warning(const std::string& message);

using util::shown;
std::string human_bytes(uint64_t bytes);    // "1.5 GB"
std::string human_seconds(double seconds);  // "3m 20s"

// Redraws one status line from `progress` four times a second while alive, on a
// terminal only, unless `quiet`.
class ProgressLine {
 public:
  ProgressLine(const Progress& progress, bool quiet);
  ~ProgressLine();
  void stop();  // erases the line

 private:
  void loop();
  const Progress& progress_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace ferry::cli
