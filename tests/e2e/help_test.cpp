// `ferry help [COMMAND]`, the examples in every command's help, and the man page: the
// checked-in docs/ferry.1 must be exactly what `ferry help --man` renders now.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "e2e/checks.h"
#include "e2e/cli_text.h"
#include "support/run.h"

namespace ferry::test {
namespace {

TEST(Help, EveryCommandIsListed) {
  std::vector<std::string> commands = listed_commands();
  EXPECT_EQ(commands, std::vector<std::string>({"keygen", "pack", "info", "ls", "restore", "plan",
                                                "verify", "repair", "mount", "export", "help"}));
}

TEST(Help, HelpCommandShowsTheSameTextAsDashDashHelp) {
  for (const std::string& command : listed_commands()) {
    RunResult via_help = run_ferry({"help", command});
    RunResult via_flag = run_ferry({command, "--help"});
    EXPECT_EQ(via_help.exit_code, 0) << command << ": " << via_help.err;
    EXPECT_EQ(via_flag.exit_code, 0) << command << ": " << via_flag.err;
    EXPECT_EQ(via_help.out, via_flag.out) << command;
    EXPECT_EQ(via_help.err, "") << command;
    EXPECT_NE(via_help.out.find("Usage: ferry " + command), std::string::npos) << via_help.out;
  }
}

TEST(Help, HelpAloneShowsTheMainHelp) {
  RunResult help = run_ferry({"help"});
  RunResult flag = run_ferry({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_EQ(help.out, flag.out);
  EXPECT_NE(help.out.find("Usage: ferry"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("Exit codes:"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("NO_COLOR"), std::string::npos) << help.out;
}

TEST(Help, UnknownCommandIsAUsageErrorNamingTheCommands) {
  // Asked for help on it, or given as the command itself.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"help", "pakc"},
                                               std::vector<std::string>{"pakc", "src"}}) {
    RunResult r = run_ferry(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("unknown command 'pakc'"), std::string::npos) << r.err;
    for (const std::string& command : listed_commands()) {
      EXPECT_NE(r.err.find(command), std::string::npos) << command << " not named in: " << r.err;
    }
  }
}

// Two or three examples, each a command line starting at two spaces (a line indented
// further continues the one above).
TEST(Help, EveryCommandShowsTwoOrThreeExamples) {
  for (const std::string& command : listed_commands()) {
    std::string help = run_ferry({"help", command}).out;
    size_t at = help.find("\nExamples:\n");
    ASSERT_NE(at, std::string::npos) << command << " has no examples:\n" << help;
    int examples = 0;
    for (const std::string& line : lines_of(help.substr(at + 11))) {
      if (line.empty()) break;
      if (line.rfind("  ", 0) != 0) break;
      if (line[2] == ' ') continue;  // continuation
      ++examples;
      EXPECT_NE(line.find("ferry "), std::string::npos) << command << ": " << line;
    }
    EXPECT_GE(examples, 2) << command << ":\n" << help;
    EXPECT_LE(examples, 3) << command << ":\n" << help;
  }
}

TEST(ManPage, CheckedInManPageMatchesTheGenerator) {
  RunResult man = run_ferry({"help", "--man"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  ASSERT_TRUE(path_exists(source_path("docs/ferry.1"))) << "docs/ferry.1 is missing";
  std::string checked_in = read_all(source_path("docs/ferry.1"));
  if (checked_in != man.out) {
    size_t at = 0;
    while (at < checked_in.size() && at < man.out.size() && checked_in[at] == man.out[at]) ++at;
    size_t line_start = man.out.rfind('\n', at == 0 ? 0 : at - 1);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    FAIL() << "docs/ferry.1 is out of step with the help text: run scripts/gen-man.sh and "
              "commit docs/ferry.1. First difference at byte "
           << at << "; the generator says:\n"
           << man.out.substr(line_start, 200);
  }
}

TEST(ManPage, CoversEveryCommandOptionAndSection) {
  std::string man = run_ferry({"help", "--man"}).out;
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
                              ".SH COMMANDS", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT"}) {
    EXPECT_NE(man.find(std::string("\n") + section + "\n"), std::string::npos) << section;
  }
  for (const std::string& command : listed_commands()) {
    EXPECT_NE(man.find(".SS \"ferry " + command + "\""), std::string::npos) << command;
    for (const std::string& option : long_options(command)) {
      std::string roff = "\\fB";
      for (char c : option) roff += c == '-' ? std::string("\\-") : std::string(1, c);
      EXPECT_NE(man.find(roff + "\\fR"), std::string::npos) << command << " " << option;
    }
  }
  EXPECT_EQ(man.find("\\-\\-man"), std::string::npos) << "the generator itself stays hidden";
  EXPECT_EQ(run_ferry({"help", "--help"}).out.find("--man"), std::string::npos);
}

// Renders the man page with man(1), or groff/nroff where man is missing, and expects no
// warnings. Skipped when none of them is installed.
TEST(ManPage, Renders) {
  std::string page = source_path("docs/ferry.1");
  std::string command;
  if (std::system("command -v man >/dev/null 2>&1") == 0) {
    command = "MANWIDTH=100 MAN_KEEP_FORMATTING= man --warnings -E UTF-8 -l '" + page + "'";
  } else if (std::system("command -v groff >/dev/null 2>&1") == 0) {
    command = "groff -man -Tutf8 -ww '" + page + "'";
  } else if (std::system("command -v nroff >/dev/null 2>&1") == 0) {
    command = "nroff -man -ww '" + page + "'";
  } else {
    GTEST_SKIP() << "neither man nor groff nor nroff is installed";
  }
  std::string err_path = std::string(::testing::TempDir()) + "/ferry-man-render.err";
  FILE* pipe = ::popen((command + " 2>'" + err_path + "'").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  int status = ::pclose(pipe);
  std::string err = read_all(err_path);
  std::remove(err_path.c_str());
  EXPECT_EQ(status, 0) << command << "\n" << err;
  EXPECT_EQ(err, "") << command;
  EXPECT_NE(out.find("EXIT STATUS"), std::string::npos) << out.substr(0, 2000);
  EXPECT_NE(out.find("ferry pack"), std::string::npos) << out.substr(0, 2000);
  EXPECT_EQ(out.find("\\f"), std::string::npos) << "a font escape was not understood";
}

}  // namespace
}  // namespace ferry::test
