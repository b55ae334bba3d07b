// Runs the built ferry binary as a user would, capturing exit code and output.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry::test {

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `ferry args...` with `env` added to the environment (NAME=VALUE).
RunResult run_ferry(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {});

// Starts `ferry args...` in the background (output discarded); returns its pid.
int spawn_ferry(const std::vector<std::string>& args);
// Waits for a process started by spawn_ferry; returns its exit code or 128 + signal.
int wait_ferry(int pid);

// The path of the ferry binary under test.
std::string ferry_binary();

}  // namespace ferry::test
