// `--threads N` keeps the whole process to N cores; without it, one worker per core
// the process may use. Per-drive jobs run side by side and report the first failure.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "util/parallel.h"
#include "util/threads.h"

namespace ferry::test {
namespace {

// Runs `body` in a child process (affinity is per process: the test runner keeps its
// own) and returns the child's exit status.
template <typename F>
int in_child(F body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

TEST(Threads, UseAtMostCoresLimitsTheProcessAndItsDefaultWorkers) {
  if (util::usable_cores() < 2) GTEST_SKIP() << "needs a machine with two cores";
  EXPECT_EQ(in_child([] {
              util::use_at_most_cores(1);
              cpu_set_t set;
              sched_getaffinity(0, sizeof set, &set);
              return CPU_COUNT(&set) == 1 && util::worker_threads(0) == 1 ? 0 : 1;
            }),
            0);
}

TEST(Threads, AskingForMoreCoresThanThereAreChangesNothing) {
  const int cores = util::usable_cores();
  EXPECT_EQ(in_child([cores] {
              util::use_at_most_cores(cores + 8);
              util::use_at_most_cores(0);
              return util::usable_cores() == cores ? 0 : 1;
            }),
            0);
  EXPECT_EQ(util::worker_threads(3), 3);
}

TEST(Parallel, EveryTaskRunsAtTheSameTimeAsTheOthers) {
  // Each task waits until all four have started: run one after another, none would end.
  std::atomic<int> started{0};
  std::atomic<int> timed_out{0};
  std::vector<int> ran(4, 0);
  util::on_each_in_parallel(ran.size(), [&](size_t i) {
    ++started;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 4) {
      if (std::chrono::steady_clock::now() > deadline) {
        ++timed_out;
        break;
      }
      std::this_thread::yield();
    }
    ran[i] = 1;
  });
  EXPECT_EQ(timed_out.load(), 0);
  EXPECT_EQ(ran, std::vector<int>(4, 1));
}

TEST(Parallel, AFailureLetsTheOtherTasksFinishThenIsRethrown) {
  std::atomic<int> finished{0};
  try {
    util::on_each_in_parallel(3, [&](size_t i) {
      if (i == 1) throw std::runtime_error("drive 1 failed");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++finished;
    });
    FAIL() << "the failure was not rethrown";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "drive 1 failed");
  }
  EXPECT_EQ(finished.load(), 2);
}

}  // namespace
}  // namespace ferry::test
