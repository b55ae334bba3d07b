#include "cli/output.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "plan/units.h"

namespace ferry::cli {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

bool use_colour() {
  const char* no_colour = std::getenv("NO_COLOR");
  return stderr_is_terminal() && !(no_colour && *no_colour);
}

std::string terminal_safe(const std::string& text) {
  std::string out;
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

void print_error(const std::string& message) {
  const std::string text = terminal_safe(message);
  if (use_colour()) {
    std::fprintf(stderr, "\033[1;31mferry: error:\033[0m %s\n", text.c_str());
  } else {
    std::fprintf(stderr, "ferry: error: %s\n", text.c_str());
  }
}

void print_warning(const std::string& message) {
  const std::string text = terminal_safe(message);
  if (use_colour()) {
    std::fprintf(stderr, "\033[1;33mferry: warning:\033[0m %s\n", text.c_str());
  } else {
    std::fprintf(stderr, "ferry: warning: %s\n", text.c_str());
  }
}

std::string human_seconds(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm %02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  } else if (s < 86400 * 2) {
    std::snprintf(buf, sizeof buf, "%dh %02dm", static_cast<int>(s) / 3600,
                  static_cast<int>(s) % 3600 / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f days", s / 86400);
  }
  return buf;
}

ProgressLine::ProgressLine(const Progress& progress, bool quiet) : progress_(progress) {
  if (quiet || !stderr_is_terminal()) return;
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  if (!running_.exchange(false)) return;
  thread_.join();
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

void ProgressLine::loop() {
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  while (running_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    uint64_t done = progress_.bytes_done, total = progress_.bytes_total;
    double rate = elapsed > 0 ? done / elapsed : 0;
    std::string eta = rate > 0 && total > done ? human_seconds((total - done) / rate) : "-";
    std::fprintf(stderr, "\r\033[K%s: %s / %s, %llu / %llu files, %s/s, ETA %s",
                 progress_.phase.load(), plan::approx_bytes(done).c_str(), plan::approx_bytes(total).c_str(),
                 static_cast<unsigned long long>(progress_.files_done.load()),
                 static_cast<unsigned long long>(progress_.files_total.load()),
                 plan::approx_bytes(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
    std::fflush(stderr);
  }
}

}  // namespace ferry::cli
