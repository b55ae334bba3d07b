// The same small job on every drive at once: each drive is its own device, so writing a
// catalog or a label to four drives one after the other takes four times as long.
#pragma once

#include <cstddef>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace ferry::util {

// Runs task(0) ... task(count - 1), each on a thread of its own, and waits for all of
// them. Every task runs to its end even when another fails; then the first exception
// thrown is rethrown.
template <typename Task>
void on_each_in_parallel(size_t count, const Task& task) {
  std::mutex mutex;
  std::exception_ptr first_error;
  auto run = [&](size_t i) {
    try {
      task(i);
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!first_error) first_error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (size_t i = 1; i < count; ++i) {
    try {
      threads.emplace_back(run, i);
    } catch (const std::system_error&) {
      run(i);  // no thread to be had: do it here
    }
  }
  if (count > 0) run(0);
  for (std::thread& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace ferry::util
