#include "cli/interrupt.h"

#include <csignal>

namespace ferry::cli {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int sig) {
  if (stop_requested.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

const std::atomic<bool>* stop_on_signals() {
  static bool installed = [] {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    return true;
  }();
  (void)installed;
  return &stop_requested;
}

}  // namespace ferry::cli
