// How the command line talks to people: escaped names, human units, colour only on a
// terminal and never with NO_COLOR, and a live progress line on stderr.
#pragma once

#include <atomic>
#include <chrono>
#include <utility>
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
// `text` with control characters other than newline and tab (terminal escape sequences
// among them) written as \xNN: text that came from a drive may hold anything. Errors,
// warnings and reports pass through it.
std::string terminal_safe(const std::string& text);

using util::shown;
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

// Runs `work(progress)` under a progress line (none when `hidden`); returns its result
// and the seconds it took.
template <class Work>
auto run_with_progress(bool hidden, Work&& work) {
  Progress progress;
  auto start = std::chrono::steady_clock::now();
  ProgressLine line(progress, hidden);
  auto result = work(progress);
  line.stop();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::make_pair(std::move(result), seconds);
}

}  // namespace ferry::cli
