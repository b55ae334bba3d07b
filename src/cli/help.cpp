// ferry help [COMMAND] — the main help, or one command's (the same text as --help).
// Hidden: `ferry help --man` renders the man page (docs/ferry.1, written by
// scripts/gen-man.sh) from the same CLI11 definitions, so the two never drift apart.
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "ferry/error.h"

namespace ferry::cli {
namespace {

struct HelpCommand {
  std::string command;
  bool man = false;
};

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands(std::function<bool(const CLI::App*)>(
      [](const CLI::App* sub) { return !sub->get_name().empty(); }));
}

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : commands_of(app))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

// The text `--help` prints; app.help() would follow the parsed `help` subcommand.
std::string help_text(const CLI::App& app, const std::string& shown_name) {
  return app.get_formatter()->make_help(&app, shown_name, CLI::AppFormatMode::Normal);
}

// ---- roff ----------------------------------------------------------------------

// Escapes text for roff: backslashes, hyphens (kept as ASCII minus so that commands
// copy and paste), quotes that groff would curl, and non-ASCII as \[uXXXX].
std::string roff(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c == '\'') {
      out += "\\(aq";
    } else if (c == '`') {
      out += "\\(ga";
    } else if (c == '"') {
      out += "\\(dq";
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      uint32_t cp = c & (0x3F >> extra);
      for (int j = 1; j <= extra && i + 1 < text.size(); ++j) {
        cp = (cp << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F);
      }
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    }
  }
  return out;
}

// One line of running text: escaped, and never read as a request.
std::string roff_line(const std::string& text) {
  std::string line = roff(text);
  return line.empty() || line[0] == '.' ? "\\&" + line : line;
}

std::string bold(const std::string& text) { return "\\fB" + roff(text) + "\\fR"; }
std::string italic(const std::string& text) { return "\\fI" + roff(text) + "\\fR"; }

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

// Paragraphs are separated by blank lines; each is a list of lines.
std::vector<std::vector<std::string>> paragraphs(const std::string& text) {
  std::vector<std::vector<std::string>> out(1);
  for (const std::string& line : split(text, '\n')) {
    if (line.find_first_not_of(' ') == std::string::npos) {
      if (!out.back().empty()) out.emplace_back();
    } else {
      out.back().push_back(line);
    }
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

bool indented(const std::string& line) { return line.rfind("  ", 0) == 0; }

using Definitions = std::vector<std::pair<std::string, std::string>>;

// "  TERM   what it means": an indented one-word term, then two or more spaces; a line
// indented deeper than the term continues the meaning above it.
bool definitions(const std::vector<std::string>& lines, Definitions& out) {
  out.clear();
  for (const std::string& line : lines) {
    if (!indented(line) || line.size() < 3) return false;
    if (line[2] == ' ') {
      if (out.empty()) return false;
      out.back().second += " " + line.substr(line.find_first_not_of(' '));
      continue;
    }
    size_t gap = line.find("  ", 2);
    if (gap == std::string::npos) return false;
    std::string term = line.substr(2, gap - 2);
    size_t start = line.find_first_not_of(' ', gap);
    if (term.find(' ') != std::string::npos || start == std::string::npos) return false;
    out.emplace_back(term, line.substr(start));
  }
  return !out.empty();
}

// A heading line ("Exit codes:") followed only by definitions.
bool definition_list(const std::vector<std::string>& para, Definitions& defs) {
  if (para.size() < 2 || indented(para[0]) || para[0].back() != ':') return false;
  return definitions({para.begin() + 1, para.end()}, defs);
}

void render_definitions(std::ostream& out, const Definitions& defs) {
  for (const auto& [term, meaning] : defs) {
    out << ".TP\n" << bold(term) << "\n" << roff_line(meaning) << "\n";
  }
}

// Running text stays running text (roff fills it); indented lines (examples) are kept
// as they are, in a literal block.
void render_paragraph(std::ostream& out, const std::vector<std::string>& para) {
  out << ".PP\n";
  Definitions defs;
  if (definition_list(para, defs)) {
    out << roff_line(para[0]) << "\n";
    render_definitions(out, defs);
    return;
  }
  bool literal = false;
  for (const std::string& line : para) {
    if (indented(line) != literal) {
      literal = !literal;
      out << (literal ? ".RS 4\n.nf\n" : ".fi\n.RE\n");
    }
    if (literal) {
      out << roff_line(line.substr(2)) << "\n";
    } else {
      out << roff_line(line.substr(line.find_first_not_of(' '))) << "\n";
    }
  }
  if (literal) out << ".fi\n.RE\n";
}

bool shown_option(const CLI::App& app, const CLI::Option* opt) {
  return !opt->get_group().empty() && opt != app.get_help_ptr();
}

std::string value_of(const CLI::Option* opt) {
  if (opt->get_type_size() == 0) return "";
  std::string value =
      opt->get_option_text().empty() ? opt->get_type_name() : opt->get_option_text();
  std::string out = value.empty() ? "" : italic(value);
  if (opt->get_expected_max() > 1) out += "...";
  return out;
}

std::string names_of(const CLI::Option* opt) {
  std::string out;
  for (const std::string& s : opt->get_snames()) out += (out.empty() ? "" : ", ") + bold("-" + s);
  for (const std::string& l : opt->get_lnames()) out += (out.empty() ? "" : ", ") + bold("--" + l);
  return out;
}

// "ferry pack \-\-to DRIVE... \-\-parity UINT [OPTIONS] source"
std::string synopsis(const CLI::App& sub) {
  std::string out = ".B ferry " + roff(sub.get_name()) + "\n";
  std::string rest;
  bool optional = false;
  for (const CLI::Option* opt : sub.get_options()) {
    if (!shown_option(sub, opt) || !opt->nonpositional()) continue;
    if (!opt->get_required()) {
      optional = true;
      continue;
    }
    std::string value = value_of(opt);
    rest += bold("--" + opt->get_single_name()) + (value.empty() ? "" : " " + value) + " ";
  }
  if (optional) rest += "[" + italic("OPTIONS") + "] ";
  for (const CLI::Option* opt : sub.get_options()) {
    if (!shown_option(sub, opt) || !opt->get_positional()) continue;
    std::string name =
        italic(opt->get_name(true)) + (opt->get_items_expected_max() > 1 ? "..." : "");
    rest += (opt->get_required() ? name : "[" + name + "]") + " ";
  }
  if (!rest.empty()) rest.pop_back();
  return out + rest + "\n";
}

// The positional arguments, or else the options, one .TP entry each.
void render_options(std::ostream& out, const CLI::App& app, bool positionals) {
  for (const CLI::Option* opt : app.get_options()) {
    if (!shown_option(app, opt) || opt->nonpositional() == positionals) continue;
    std::string head;
    if (opt->nonpositional()) {
      std::string value = value_of(opt);
      head = names_of(opt) + (value.empty() ? "" : " " + value);
    } else {
      head = italic(opt->get_name(true)) + (opt->get_items_expected_max() > 1 ? "..." : "");
    }
    std::string text = opt->get_description();
    if (opt->get_required()) text += " (required)";
    if (!opt->get_default_str().empty()) text += " (default: " + opt->get_default_str() + ")";
    out << ".TP\n" << head << "\n" << roff_line(text) << "\n";
  }
}

std::string render_man(const CLI::App& app) {
  std::ostringstream out;
  out << ".\\\" Generated by `ferry help --man` (scripts/gen-man.sh) from the command line\n"
         ".\\\" definitions in src/cli/. Do not edit: change the help text and regenerate.\n"
      << ".TH FERRY 1 \"\" \"ferry " << FERRY_VERSION << "\" \"User Commands\"\n"
      << ".SH NAME\n"
      << "ferry \\- move data sets too large for the network on ordinary drives\n";

  out << ".SH SYNOPSIS\n";
  out << ".B ferry\n[" << bold("--help") << "] [" << bold("--version") << "]\n";
  for (const CLI::App* sub : commands_of(app)) out << ".br\n" << synopsis(*sub);

  // The main help's text: its description, then its footer, where "Exit codes:" and
  // "Environment:" lists become sections of their own.
  out << ".SH DESCRIPTION\n";
  for (const auto& para : paragraphs(app.get_description())) render_paragraph(out, para);
  std::vector<std::pair<std::string, Definitions>> sections;
  for (const auto& para : paragraphs(app.get_footer())) {
    Definitions defs;
    if (definition_list(para, defs) && (para[0] == "Exit codes:" || para[0] == "Environment:")) {
      sections.emplace_back(para[0] == "Exit codes:" ? "EXIT STATUS" : "ENVIRONMENT", defs);
    } else {
      render_paragraph(out, para);
    }
  }

  out << ".SH OPTIONS\n";
  out << ".TP\n"
      << names_of(app.get_help_ptr()) << "\n"
      << roff_line(app.get_help_ptr()->get_description()) << "\n";
  render_options(out, app, false);

  out << ".SH COMMANDS\n";
  for (const CLI::App* sub : commands_of(app)) {
    out << ".SS \"ferry " << roff(sub->get_name()) << "\"\n";
    out << roff_line(sub->get_description()) << "\n";
    out << ".PP\n" << synopsis(*sub);
    for (bool positionals : {true, false}) {
      std::ostringstream list;
      render_options(list, *sub, positionals);
      if (list.str().empty()) continue;
      out << ".PP\n" << (positionals ? "Arguments:" : "Options:") << "\n" << list.str();
    }
    for (const auto& para : paragraphs(sub->get_footer())) render_paragraph(out, para);
  }

  for (const auto& [title, defs] : sections) {
    out << ".SH " << (title.find(' ') == std::string::npos ? title : '"' + title + '"') << "\n";
    render_definitions(out, defs);
  }
  out << ".SH \"SEE ALSO\"\n"
         "The on\\-drive format is specified in docs/FORMAT.md in the ferry sources.\n";
  return out.str();
}

int run_help(const CLI::App& app, const HelpCommand& c) {
  if (c.man) {
    std::cout << render_man(app);
    return kExitOk;
  }
  if (c.command.empty()) {
    std::cout << help_text(app, app.get_name());
    return kExitOk;
  }
  for (const CLI::App* sub : commands_of(app)) {
    if (sub->get_name() == c.command) {
      std::cout << help_text(*sub, app.get_name() + " " + sub->get_name());
      return kExitOk;
    }
  }
  throw Error(ErrorKind::kInvalidArgument, "unknown command '" + shown(c.command) +
                                               "'; the commands are: " + command_names(app));
}

}  // namespace

void add_help(CLI::App& app, Runner& run) {
  auto c = std::make_shared<HelpCommand>();
  CLI::App* sub = app.add_subcommand("help", "Show the help of a command, or this help");
  sub->footer(
      "The same text as `ferry COMMAND --help`. Exit codes: 0 shown; 2 no such command.\n\n"
      "Examples:\n"
      "  ferry help restore\n"
      "  ferry help plan | less\n"
      "  ferry help");
  sub->add_option("command", c->command, "The command to explain (keygen, pack, ...)");
  sub->add_flag("--man", c->man, "Print the man page (roff), for scripts/gen-man.sh")->group("");
  sub->callback([c, &app, &run] { run = [c, &app] { return run_help(app, *c); }; });
}

}  // namespace ferry::cli
