// `--threads N` keeps the whole process to N cores; without it, one worker per core
// the process may use.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

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

}  // namespace
}  // namespace ferry::test
