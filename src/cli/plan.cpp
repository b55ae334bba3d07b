// ferry plan [SRC] --drives N --drive-size SIZE --parity M [...]
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/output.h"
#include "ferry/error.h"
#include "plan/ferry_rate.h"
#include "plan/planner.h"
#include "pack/source_scan.h"
#include "plan/units.h"

namespace ferry::cli {
namespace {

struct PlanOptions {
  std::string source;
  std::string size;
  uint64_t files = 0;
  bool files_given = false;
  int drives = 0;
  std::string drive_size;
  int parity = 0;
  std::string drive_speed = "250MB/s";
  std::string transit = "2d";
  std::string link = "1Gbit/s";
  double link_efficiency = 0.8;
  int bags = 1;
  std::optional<std::string> ferry_rate;  // measured when not given
  bool json = false;
};

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string counted(uint64_t n, const char* one, const char* many) {
  return with_commas(n) + " " + (n == 1 ? one : many);
}

std::string drive_list(const std::vector<int>& drives) {
  if (drives.empty()) return "nothing";
  std::string out = drives.size() == 1 ? "drive " : "drives ";
  for (size_t i = 0; i < drives.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(drives[i]);
  }
  return out;
}

// Colour for stdout: the shared rule (a terminal, no NO_COLOR) applied to where this
// output goes.
std::string paint(const char* sgr, const std::string& text) {
  if (!use_colour() || ::isatty(STDOUT_FILENO) != 1) return text;
  return std::string("\033[") + sgr + "m" + text + "\033[0m";
}

plan::PlanInput read_input(const PlanOptions& o, const plan::FerryRate& rate) {
  if (o.source.empty() && o.size.empty()) {
    throw Error(ErrorKind::kInvalidArgument,
                "say how much to ship: a source tree to scan (ferry plan /data ...) or "
                "--size (ferry plan --size 80TB --files 2000000 ...)");
  }
  if (!o.source.empty() && (!o.size.empty() || o.files_given)) {
    throw Error(ErrorKind::kInvalidArgument,
                "give a source tree or --size/--files, not both: the scan counts them");
  }
  plan::PlanInput in;
  if (!o.source.empty()) {
    // A scan of millions of files takes a while: say what is going on, on a terminal.
    bool note = stderr_is_terminal();
    if (note) std::cerr << "scanning " << shown(o.source) << " ..." << std::flush;
    pack::SourceSummary s;
    try {
      s = pack::scan_source(o.source);
    } catch (...) {
      if (note) std::cerr << "\r\033[K" << std::flush;
      throw;
    }
    if (note) std::cerr << "\r\033[K" << std::flush;
    if (s.unreadable > 0) {
      print_warning(counted(s.unreadable, "entry", "entries") +
                    " could not be read, so what lies below is not counted (first: " +
                    shown(s.first_error) + ")");
    }
    if (s.others > 0) {
      print_warning(
          counted(s.others, "FIFO, socket or device is", "FIFOs, sockets or devices are") +
          " not counted: they hold no data to ship");
    }
    in.source_bytes = s.bytes;
    in.files = s.files;
    in.directories = s.directories;
    in.symlinks = s.symlinks;
  } else {
    in.source_bytes = plan::parse_bytes(o.size);
    in.files = o.files;
  }
  in.drives = o.drives;
  in.parity = o.parity;
  in.drive_bytes = plan::parse_bytes(o.drive_size);
  in.drive_bytes_per_second = plan::parse_rate(o.drive_speed);
  in.ferry_bytes_per_second = rate.bytes_per_second;
  in.transit_seconds = plan::parse_duration(o.transit);
  in.link_bytes_per_second = plan::parse_rate(o.link);
  in.link_efficiency = o.link_efficiency;
  in.bags = o.bags;
  return in;
}

nlohmann::json to_json(const plan::PlanInput& in, const plan::FerryRate& rate,
                       const plan::Plan& p) {
  nlohmann::json j = {
      {"source_bytes", in.source_bytes},
      {"files", in.files},
      {"directories", in.directories},
      {"symlinks", in.symlinks},
      {"drives", in.drives},
      {"parity", in.parity},
      {"data_drives", p.data_drives},
      {"drive_bytes", in.drive_bytes},
      {"bags", in.bags},
      {"ferry_rate", {{"bytes_per_second", in.ferry_bytes_per_second},
                      {"source", rate.measured ? "measured" : "given"},
                      {"cores", rate.cores}}},
      {"fits", p.fits},
      {"usable_bytes", p.usable_bytes},
      {"bytes_per_drive", p.bytes_per_drive},
      {"pack_seconds", p.times.pack_seconds},
      {"restore_seconds", p.times.restore_seconds},
      {"transit_seconds", in.transit_seconds},
      {"door_to_door_seconds", p.times.door_to_door_seconds},
      {"network_seconds", p.network_seconds},
      {"effective_bits_per_second", p.effective_bits_per_second},
      {"drives_win", p.drives_win},
  };
  if (p.recommendation) {
    const auto& r = *p.recommendation;
    j["recommendation"] = {{"drives", r.drives},
                           {"parity", r.parity},
                           {"bags", r.bags},
                           {"usable_bytes", r.usable_bytes},
                           {"pack_seconds", r.times.pack_seconds},
                           {"restore_seconds", r.times.restore_seconds},
                           {"door_to_door_seconds", r.times.door_to_door_seconds}};
  } else {
    j["recommendation"] = nullptr;
  }
  return j;
}

// Three significant digits: a figure to read, not to feed back in.
std::string readable_bit_rate(double bytes_per_second) {
  if (!(bytes_per_second > 0)) return "0bit/s";
  double step = std::pow(10, std::floor(std::log10(bytes_per_second * 8)) - 2);
  return plan::format_bit_rate(std::round(bytes_per_second * 8 / step) * step / 8);
}

std::string layout_text(int drives, int parity, uint64_t drive_bytes) {
  return std::to_string(drives) + " x " + plan::approx_bytes(drive_bytes) + " drives, parity " +
         std::to_string(parity) + ": any " + std::to_string(drives - parity) + " of " +
         std::to_string(drives) + " restore everything";
}

void print_human(const plan::PlanInput& in, const plan::FerryRate& rate, const plan::Plan& p,
                 std::ostream& out) {
  auto row = [&out](const char* label, const std::string& value) {
    out << "  " << label << std::string(15 - std::string(label).size(), ' ') << value << "\n";
  };
  // A size given without --files has no count to show.
  bool counts = in.files || in.directories || in.symlinks;
  row("source", plan::approx_bytes(in.source_bytes) +
                    (counts ? " in " + counted(in.files, "file", "files") : "") +
                    (in.directories || in.symlinks
                         ? ", " + counted(in.directories, "directory", "directories") + ", " +
                               counted(in.symlinks, "symlink", "symlinks")
                         : ""));
  row("layout", layout_text(in.drives, in.parity, in.drive_bytes));
  if (p.fits) {
    row("capacity", plan::approx_bytes(p.usable_bytes) + " usable: " + paint("32", "fits") + " (" +
                        plan::approx_bytes(p.usable_bytes - in.source_bytes) + " to spare)");
  } else {
    row("capacity", plan::approx_bytes(p.usable_bytes) + " usable: " + paint("1;31", "does not fit") +
                        " (" + plan::approx_bytes(in.source_bytes - p.usable_bytes) + " short)");
  }
  row("per drive", plan::approx_bytes(p.bytes_per_drive) + " written, parity included");
  row("pack", human_seconds(p.times.pack_seconds) +
                  (p.times.ferry_bound
                       ? " at ferry's own rate of " + plan::format_rate(in.ferry_bytes_per_second)
                       : " at " + plan::format_rate(in.drive_bytes_per_second) + " per drive"));
  row("ferry's rate",
      plan::format_rate(in.ferry_bytes_per_second) +
          (rate.measured ? ", measured on this machine's " + counted(rate.cores, "core", "cores") +
                               " (--ferry-rate to set it)"
                         : ", as given with --ferry-rate"));
  row("transit", human_seconds(in.transit_seconds));
  row("restore", human_seconds(p.times.restore_seconds) + " reading " +
                     std::to_string(p.data_drives) + " drives at once");
  row("door to door", human_seconds(p.times.door_to_door_seconds) + ", a trip of " +
                          readable_bit_rate(p.effective_bits_per_second / 8));
  std::ostringstream efficiency;
  efficiency << in.link_efficiency * 100;
  row("network", human_seconds(p.network_seconds) + " over " +
                     plan::format_bit_rate(in.link_bytes_per_second) + " at " + efficiency.str() +
                     "% efficiency");
  out << "\n";

  if (p.recommendation) {
    const auto& r = *p.recommendation;
    row("recommended", layout_text(r.drives, r.parity, in.drive_bytes));
    out << std::string(17, ' ')
        << (in.bags >= 2
                ? "losing any one of the " + std::to_string(in.bags) + " bags loses nothing:"
                : "all in one bag (--bags 2 or more to survive a lost bag):")
        << "\n";
    for (size_t b = 0; b < r.bags.size(); ++b) {
      out << std::string(17, ' ') << "bag " << b + 1 << ": " << drive_list(r.bags[b]) << "\n";
    }
    out << std::string(17, ' ') << "pack " << human_seconds(r.times.pack_seconds)
        << ", door to door " << human_seconds(r.times.door_to_door_seconds) << "\n";
  } else {
    row("recommended", paint("1;31", "none") + ": no layout of up to " +
                           std::to_string(plan::kMaxDrives) + " drives of " +
                           plan::approx_bytes(in.drive_bytes) + " holds the data" +
                           (in.bags >= 2 ? " and survives a lost bag" : ""));
  }
  out << "\n";

  std::string drives = human_seconds(p.verdict_door_to_door_seconds) + " door to door";
  if (!p.fits && p.recommendation) drives += " (recommended layout)";
  std::string network = human_seconds(p.network_seconds) + " over the link";
  if (p.drives_win) {
    out << paint("1;32", "drives win: ") << drives << " vs " << network << "\n";
  } else if (p.fits || p.recommendation) {
    out << paint("1;33", "the network wins: ") << network << " vs " << drives << "\n";
  } else {
    out << paint("1;33", "no drive layout works: ") << network
        << "; larger drives or several shipments would do\n";
  }
}

int run_plan(const PlanOptions& options) {
  plan::FerryRate rate =
      plan::ferry_rate(options.ferry_rate, options.drives - options.parity, options.parity);
  plan::PlanInput input = read_input(options, rate);
  plan::Plan result = plan::make_plan(input);
  if (options.json) {
    std::cout << to_json(input, rate, result).dump(2) << "\n";
  } else {
    print_human(input, rate, result, std::cout);
  }
  return kExitOk;
}

}  // namespace

void add_plan(CLI::App& app, Runner& run) {
  auto o = std::make_shared<PlanOptions>();
  CLI::App* sub = app.add_subcommand(
      "plan", "Drives or network? How many drives, how much parity, which bag, how long");
  sub->footer(
      "Sizes: 80TB (10^12 bytes), 7.5TiB (2^40), 500GB. Rates: 250MB/s, 1Gbit/s, 10Gbps.\n"
      "Durations: 12h, 3d, 1d12h.\n\n"
      "Examples:\n"
      "  ferry plan /data --drives 4 --drive-size 22TB --parity 1 --bags 2\n"
      "  ferry plan --size 80TB --files 3000000 --drives 4 --drive-size 22TB --parity 1 \\\n"
      "      --link 1Gbit/s --transit 3d\n"
      "  ferry plan /data --drives 6 --drive-size 20TB --parity 2 --bags 3 --json");
  sub->add_option("SRC", o->source, "Source tree to measure (symlinks are not followed)");
  sub->add_option("--size", o->size, "Bytes to ship, when not scanning a tree (e.g. 80TB)");
  sub->add_option("--files", o->files, "Files to ship, when not scanning a tree")
      ->each([o](const std::string&) { o->files_given = true; });
  sub->add_option("--drives", o->drives, "Drives in the shipment (N = data + parity)")->required();
  sub->add_option("--drive-size", o->drive_size, "Space on each drive (e.g. 22TB, 20TiB)")
      ->required();
  sub->add_option("--parity", o->parity, "Parity drives: any N - M drives restore everything")
      ->required();
  sub->add_option("--drive-speed", o->drive_speed, "One drive's sustained write speed")
      ->capture_default_str();
  sub->add_option("--transit", o->transit, "Time from the last drive written to the first read")
      ->capture_default_str();
  sub->add_option("--link", o->link, "The network link's rate")->capture_default_str();
  sub->add_option("--link-efficiency", o->link_efficiency,
                  "Share of the link's rate a long transfer really gets")
      ->capture_default_str();
  sub->add_option("--bags", o->bags, "Bags or parcels the drives travel in")->capture_default_str();
  sub->add_option("--ferry-rate", o->ferry_rate,
                  "ferry's own rate on the packing machine (default: measured here, ~0.2 s)");
  sub->add_flag("--json", o->json, "Print the plan as JSON");
  sub->callback([o, &run] { run = [o] { return run_plan(*o); }; });
}

}  // namespace ferry::cli
