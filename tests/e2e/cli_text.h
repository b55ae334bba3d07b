// What the binary says about itself, read from its help text: the commands and each
// command's option names. Used to hold the man page and the bash completion in step.
#pragma once

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/run.h"

namespace ferry::test {

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines of `help` after the line `heading`, up to the next blank line.
inline std::vector<std::string> section_of(const std::string& help, const std::string& heading) {
  std::vector<std::string> out;
  bool in = false;
  for (const std::string& line : lines_of(help)) {
    if (!in) {
      in = line == heading;
    } else if (line.empty()) {
      break;
    } else {
      out.push_back(line);
    }
  }
  return out;
}

// The commands `ferry --help` lists, in its order.
inline std::vector<std::string> listed_commands() {
  std::vector<std::string> commands;
  for (const std::string& line : section_of(run_ferry({"--help"}).out, "Subcommands:")) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) commands.push_back(name);
  }
  return commands;
}

// Every option name `ferry help COMMAND` shows ("-q", "--quiet", ...).
inline std::vector<std::string> option_names(const std::string& command) {
  std::vector<std::string> names;
  for (const std::string& line : section_of(run_ferry({"help", command}).out, "Options:")) {
    if (line.rfind("  -", 0) != 0) continue;  // a wrapped description
    std::string spec = line.substr(2, line.find(' ', 2) - 2);
    std::istringstream parts(spec);
    for (std::string name; std::getline(parts, name, ',');) names.push_back(name);
  }
  return names;
}

inline std::vector<std::string> long_options(const std::string& command) {
  std::vector<std::string> out;
  for (const std::string& name : option_names(command)) {
    if (name.rfind("--", 0) == 0) out.push_back(name);
  }
  return out;
}

// A file of the source tree (this header is tests/e2e/cli_text.h).
inline std::string source_path(const std::string& relative) {
  std::filesystem::path here = std::filesystem::path(__FILE__).lexically_normal();
  return (here.parent_path().parent_path().parent_path() / relative).string();
}

}  // namespace ferry::test
