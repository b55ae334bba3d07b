// A fixed set of threads running queued tasks: the block reads of the random-access
// reader, so that a late drive's read can be waited for with a deadline and left to
// finish on its own while its stripe is rebuilt from the others.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::read {

class TaskPool {
 public:
  explicit TaskPool(int threads);
  ~TaskPool();  // runs the tasks still queued, then joins
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Tasks must not throw.
  void submit(std::function<void()> task);

 private:
  void work();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::read
