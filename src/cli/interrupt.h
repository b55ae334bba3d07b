// SIGINT and SIGTERM become a request to stop at the next checkpoint: the library sees
// the flag, finishes cleanly and says how to resume. A second signal kills at once.
#pragma once

#include <atomic>

namespace ferry::cli {

// Installs the handlers (once) and returns the flag they set.
const std::atomic<bool>* stop_on_signals();

}  // namespace ferry::cli
