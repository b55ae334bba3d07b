// Colour only on a terminal, and never with NO_COLOR: output to files or pipes carries no
// escape sequence at all, from any command, success or failure; on a terminal NO_COLOR
// turns colour off (and without it, colour is on, which shows the check can see it).
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "e2e/checks.h"
#include "e2e/fixture.h"

extern char** environ;

namespace ferry::test {
namespace {

const std::vector<std::string> kPlanBySize = {"plan",    "--size",   "80TB", "--files",
                                              "3000000", "--drives", "4",    "--drive-size",
                                              "22TB",    "--parity", "1"};

// Escape sequences made visible, for failure messages.
std::string visible(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\033' ? std::string("<ESC>") : std::string(1, c);
  return out;
}

bool has_colour(const std::string& text) {
  static const std::regex sgr("\033\\[[0-9;]*m");
  return std::regex_search(text, sgr);
}

class Colour : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    write_file(source(), "a.csv", csv_text(3 * kTestUnitPlain, 1));
    write_file(source(), "dir/b.bin", random_bytes(2 * kTestUnitPlain, 2));
    make_symlink(source(), "link", "a.csv");
  }

  // Runs `args` with and without NO_COLOR, output to files: no escape of any kind.
  // `expected_exit` -1: any failure.
  void expect_plain(const std::vector<std::string>& args, int expected_exit) {
    std::string what;
    for (const std::string& a : args) what += a + " ";
    for (const std::vector<std::string>& env :
         {std::vector<std::string>{"NO_COLOR=1"}, std::vector<std::string>{}}) {
      RunResult r = run_ferry(args, env);
      std::string label = what + (env.empty() ? "(no NO_COLOR)" : "(NO_COLOR=1)");
      if (expected_exit < 0) {
        EXPECT_NE(r.exit_code, 0) << label << "\n" << r.out << r.err;
      } else {
        EXPECT_EQ(r.exit_code, expected_exit) << label << "\n" << r.out << r.err;
      }
      EXPECT_EQ(r.out.find('\033'), std::string::npos) << label << "\n" << visible(r.out);
      EXPECT_EQ(r.err.find('\033'), std::string::npos) << label << "\n" << visible(r.err);
    }
  }

  std::vector<std::string> with(std::vector<std::string> args,
                                const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
};

TEST_F(Colour, NoEscapesWhenNotATerminal) {
  // pack, again (a no-op), and with an impossible parity (an error, red on a terminal).
  std::vector<std::string> pack = {
      "pack",       source(), "--parity",     "1",
      "--key-file", key(),    "--block-size", std::to_string(kTestBlockKiB),
      "--to"};
  for (const auto& d : drives(4)) pack.push_back(d);
  expect_plain(with(pack, {"--force"}), 0);
  expect_plain(pack, 0);
  std::vector<std::string> bad = pack;
  bad[3] = "4";  // --parity 4 of 4 drives
  expect_plain(bad, -1);

  expect_plain({"info", drive(0), drive(1), drive(2), drive(3)}, 0);
  expect_plain({"info", drive(0), drive(1)}, 1);  // not restorable
  expect_plain({"info", drive(0), drive(1), "--json"}, 1);
  expect_plain({"ls", drive(2), "--key-file", key(), "--long"}, 0);
  expect_plain({"verify", drive(0), drive(1), drive(2), drive(3)}, 0);
  expect_plain({"verify", drive(0), drive(1), drive(2), "--key-file", key()}, 5);  // incomplete
  expect_plain({"verify", drive(0), drive(1), drive(2), drive(3), "--json"}, 0);
  expect_plain(kPlanBySize, 0);
  expect_plain(with(kPlanBySize, {"--json"}), 0);
  expect_plain({"plan", source(), "--drives", "4", "--drive-size", "1MB", "--parity", "1"}, 0);
  expect_plain(
      {"plan", source(), "--drives", "4", "--drive-size", "22TB", "--parity", "1", "--bags", "2"},
      0);
  expect_plain({"restore", drive(1), drive(2), drive(3), "--to", target(), "--key-file", key()}, 0);
  expect_plain({"restore", drive(1), drive(2), "--to", target("b"), "--key-file", key()}, 1);
  expect_plain({"repair", drive(0), drive(1), drive(2), drive(3)}, 0);
  expect_plain({"info"}, 2);  // usage error
  expect_plain({"help", "nosuch"}, 2);
}

struct TerminalRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together, as a terminal shows them
};

// Runs ferry with stdin, stdout and stderr on a pseudo-terminal.
TerminalRun run_on_terminal(const std::vector<std::string>& args,
                            const std::vector<std::string>& env) {
  std::vector<std::string> argv_s = {ferry_binary()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string v = *e;
    if (v.rfind("NO_COLOR=", 0) == 0 || v.rfind("FERRY_PASSPHRASE=", 0) == 0 ||
        v.rfind("TERM=", 0) == 0) {
      continue;
    }
    env_s.push_back(v);
  }
  env_s.push_back("TERM=xterm");
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  TerminalRun r;
  int master = -1;
  struct winsize size = {};
  size.ws_row = 50;
  size.ws_col = 200;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) {
    r.output = std::string("forkpty failed: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      r.output.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO once the child has gone and closed the terminal
    }
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Containers without /dev/pts have none: those checks are skipped there.
bool terminal_available() {
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return false;
  ::close(master);
  ::close(slave);
  return true;
}

TEST_F(Colour, OnATerminalNoColorTurnsColourOff) {
  std::vector<std::vector<std::string>> commands = {
      kPlanBySize,                       // "fits", the verdict line
      {"info", dir_ / "no-such-drive"},  // an error
  };
  if (!terminal_available()) GTEST_SKIP() << "no pseudo-terminal here";
  for (const auto& args : commands) {
    std::string what = args[0] + " " + args[1];
    TerminalRun coloured = run_on_terminal(args, {});
    EXPECT_TRUE(has_colour(coloured.output))
        << what << ": colour expected on a terminal without NO_COLOR:\n"
        << visible(coloured.output);
    for (const char* no_colour : {"NO_COLOR=1", "NO_COLOR=yes"}) {
      TerminalRun plain = run_on_terminal(args, {no_colour});
      EXPECT_EQ(plain.exit_code, coloured.exit_code) << what;
      EXPECT_FALSE(has_colour(plain.output)) << what << " with " << no_colour << ":\n"
                                             << visible(plain.output);
      EXPECT_FALSE(plain.output.empty()) << what;
    }
  }
}

TEST_F(Colour, OnATerminalProgressAndReportsCarryNoColourWithNoColor) {
  if (!terminal_available()) GTEST_SKIP() << "no pseudo-terminal here";
  std::vector<std::string> pack = {
      "pack",       source(), "--parity",     "1",
      "--key-file", key(),    "--block-size", std::to_string(kTestBlockKiB),
      "--to"};
  for (const auto& d : drives(4)) pack.push_back(d);
  for (const std::vector<std::string>& args :
       {pack,
        {"verify", drive(0), drive(1), drive(2), "--key-file", key()},
        {"restore", drive(0), drive(1), drive(3), "--to", target(), "--key-file", key()},
        {"plan", source(), "--drives", "4", "--drive-size", "1MB", "--parity", "1"}}) {
    TerminalRun r = run_on_terminal(args, {"NO_COLOR=1"});
    EXPECT_FALSE(has_colour(r.output)) << args[0] << ":\n" << visible(r.output);
    EXPECT_NE(r.exit_code, 2) << args[0] << ":\n" << r.output;
  }
}

}  // namespace
}  // namespace ferry::test
