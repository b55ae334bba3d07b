// completions/ferry.bash knows every command and, on each command's opts= line, every
// option that command's help shows; and it completes what it should when bash runs it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/checks.h"
#include "e2e/cli_text.h"
#include "support/run.h"
#include "support/temp_dir.h"
#include "support/tree.h"

namespace ferry::test {
namespace {

std::string script() { return read_all(source_path("completions/ferry.bash")); }

std::set<std::string> words_of(const std::string& text) {
  std::set<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.insert(w);
  return words;
}

// The words of `NAME="..."` in the script, or of `CASE) opts="..."`.
std::set<std::string> quoted_after(const std::string& text, const std::string& pattern) {
  std::smatch m;
  std::regex re(pattern + "\"([^\"]*)\"");
  if (!std::regex_search(text, m, re)) return {};
  return words_of(m[1].str());
}

TEST(Completion, ScriptIsInstalledWithTheRepository) {
  ASSERT_TRUE(path_exists(source_path("completions/ferry.bash")));
  std::string s = script();
  EXPECT_NE(s.find("complete -F _ferry ferry"), std::string::npos);
}

TEST(Completion, KnowsEveryCommandAndEveryOption) {
  std::string s = script();
  std::set<std::string> commands = quoted_after(s, "local commands=");
  std::vector<std::string> listed = listed_commands();
  ASSERT_FALSE(listed.empty());
  for (const std::string& command : listed) {
    EXPECT_TRUE(commands.count(command))
        << "command '" << command << "' is missing from commands= in completions/ferry.bash";
    std::set<std::string> opts = quoted_after(s, "\\n\\s*" + command + "\\) opts=");
    EXPECT_FALSE(opts.empty()) << "completions/ferry.bash has no '" << command
                               << ") opts=\"...\"' line";
    for (const std::string& option : option_names(command)) {
      if (option == "-h") continue;
      EXPECT_TRUE(opts.count(option))
          << "ferry " << command << " " << option << " is missing from completions/ferry.bash";
    }
    // And nothing the command does not have.
    std::vector<std::string> real = option_names(command);
    for (const std::string& option : opts) {
      EXPECT_NE(std::find(real.begin(), real.end(), option), real.end())
          << "completions/ferry.bash offers " << option << " for ferry " << command
          << ", which has no such option";
    }
  }
  for (const std::string& command : commands) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), command), listed.end())
        << "completions/ferry.bash offers a command ferry does not have: " << command;
  }
}

class CompletionInBash : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v bash >/dev/null 2>&1") != 0) GTEST_SKIP() << "no bash";
    make_dir(dir_.path(), "mnt-a");
    make_dir(dir_.path(), "mnt-b");
    write_file(dir_.path(), "ship.key", "not really a key\n");
    write_file(dir_.path(), "mnt-notes.txt", "a file, not a folder\n");
  }

  // What _ferry offers for `line` (the last word is the one being completed).
  std::set<std::string> complete(const std::string& line) {
    std::string command = "cd '" + dir_.path() + "' && bash --norc --noprofile -c '. \"" +
                          source_path("completions/ferry.bash") +
                          "\"; read -ra COMP_WORDS <<<\"$1\"; [[ \"$1\" == *\" \" ]] && "
                          "COMP_WORDS+=(\"\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _ferry; "
                          "printf \"%s\\n\" \"${COMPREPLY[@]}\"' _ '" +
                          line + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return {};
    std::string out;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    ::pclose(pipe);
    std::set<std::string> words;
    for (const std::string& w : lines_of(out)) {
      if (!w.empty()) words.insert(w);
    }
    return words;
  }

  TempDir dir_;
};

TEST_F(CompletionInBash, CommandsOptionsFoldersAndFiles) {
  using S = std::set<std::string>;
  EXPECT_EQ(complete("ferry re"), S({"restore", "repair"}));
  EXPECT_EQ(complete("ferry pack --pa"), S({"--parity", "--passphrase-file"}));
  EXPECT_EQ(complete("ferry pack /data --to mnt"), S({"mnt-a", "mnt-b"}));
  EXPECT_EQ(complete("ferry pack /data --to mnt-a mnt"), S({"mnt-a", "mnt-b"}));
  EXPECT_EQ(complete("ferry restore mnt-a --to mn"), S({"mnt-a", "mnt-b"}));
  EXPECT_EQ(complete("ferry verify mnt-b mn"), S({"mnt-a", "mnt-b"}));
  EXPECT_EQ(complete("ferry ls mnt-a --key-file sh"), S({"ship.key"}));
  EXPECT_EQ(complete("ferry ls mnt-a --passphrase-file mnt-n"), S({"mnt-notes.txt"}));
  EXPECT_EQ(complete("ferry help pl"), S({"plan"}));
  EXPECT_EQ(complete("ferry --v"), S({"--version"}));
  EXPECT_EQ(complete("ferry plan --drives "), S());
}

}  // namespace
}  // namespace ferry::test
