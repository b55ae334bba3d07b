// For tests of code that could hang: a hang fails the whole run at once instead of
// holding it until the test runner's timeout, and says what did not return.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>

namespace ferry::test {

// Runs `call` and returns what it returns; exits the test process with status 1 when
// it has not returned within a minute (its threads may be stuck where nothing can end
// them, so no clean way out is left).
template <class Call>
auto within_a_minute(const char* what, Call call) {
  auto done = std::async(std::launch::async, call);
  if (done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::fprintf(stderr, "%s did not return within a minute\n", what);
    std::_Exit(1);
  }
  return done.get();
}

}  // namespace ferry::test
