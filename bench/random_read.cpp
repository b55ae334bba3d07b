// ferry-random-read: how fast the random-access reader (include/ferry/shipment.h, the
// reader under `ferry mount`) serves reads, measured through its public API alone.
//
//   ferry-random-read DRIVE... --key-file F --random PATH [--random PATH...]
//                     [--reads 2000] [--warm 500] [--len 65536] [--seed 1] [--cache 256MiB]
//     For each file PATH of the shipment: `--warm` reads at random offsets, then `--reads`
//     more, timed. Prints reads/s and, from stats(), units and frames opened per timed
//     read (the warm-up's counts taken off).
//
//   ferry-random-read DRIVE... --key-file F --sequential [--slow-drive DIR]
//                     [--slow-factor 5] [--threads 2]
//     Reads every file of the shipment whole, in catalog order, 1 MiB at a time, spread
//     over --threads readers, twice on fresh Shipments: as the drives are, then with
//     drive DIR slowed (below). Prints GB/s of both and their ratio.
//
// The slowed drive is an injected delay, for benchmarks only: a ReadEnv over the real
// file system whose every pread of a file under DIR, once done, sleeps (factor - 1) times
// as long as it took, so that drive serves bytes at 1/factor of its own speed. The other
// drives are read as they are.
//
// --tsv FILE writes the figures as `name<TAB>value` lines for bench/run.sh.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ferry/error.h"
#include "ferry/read_env.h"
#include "ferry/shipment.h"
#include "format/keys.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "ferry-random-read: %s\n", message.c_str());
  std::exit(2);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t parse_size(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit = end;
  double scale = unit.empty() || unit == "B" ? 1
                 : unit == "KiB"             ? 1024.0
                 : unit == "MiB"             ? 1048576.0
                 : unit == "GiB"             ? 1073741824.0
                 : unit == "MB"              ? 1e6
                 : unit == "GB"              ? 1e9
                                             : -1;
  if (v < 0 || scale < 0) die("bad size '" + text + "' (try 64KiB or 256MiB)");
  return static_cast<uint64_t>(v * scale);
}

// Reads of files under `prefix` take `factor` times as long as the real ones did.
class SlowFile : public ferry::io::RandomAccessFile {
 public:
  SlowFile(std::unique_ptr<ferry::io::RandomAccessFile> inner, double factor)
      : inner_(std::move(inner)), factor_(factor) {}
  size_t pread(void* buf, size_t len, uint64_t offset) const override {
    auto t0 = Clock::now();
    size_t n = inner_->pread(buf, len, offset);
    auto took = Clock::now() - t0;
    std::this_thread::sleep_for(
        std::chrono::duration_cast<std::chrono::nanoseconds>(took * (factor_ - 1)));
    return n;
  }

 private:
  std::unique_ptr<ferry::io::RandomAccessFile> inner_;
  double factor_;
};

class SlowDriveEnv : public ferry::io::ReadEnv {
 public:
  SlowDriveEnv(std::string prefix, double factor) : prefix_(std::move(prefix)), factor_(factor) {
    while (prefix_.size() > 1 && prefix_.back() == '/') prefix_.pop_back();
    prefix_ += '/';
  }
  std::unique_ptr<ferry::io::RandomAccessFile> open(const std::string& path) const override {
    auto file = ferry::io::ReadEnv::posix().open(path);
    if (path.compare(0, prefix_.size(), prefix_) != 0) return file;
    return std::make_unique<SlowFile>(std::move(file), factor_);
  }

 private:
  std::string prefix_;
  double factor_;
};

struct Options {
  std::vector<std::string> drives, random_paths;
  std::string key_file, slow_drive, tsv;
  bool sequential = false;
  uint64_t reads = 2000, warm = 500, len = 65536, seed = 1, cache = 256ull << 20;
  double slow_factor = 5;
  unsigned threads = 2;
};

std::unique_ptr<ferry::Shipment> open_shipment(const Options& o, const ferry::io::ReadEnv* env) {
  ferry::ShipmentOptions so;
  so.drives = o.drives;
  so.credentials.key_file = ferry::format::read_key_file(o.key_file);
  so.cache_bytes = o.cache;
  so.env = env;
  return ferry::Shipment::open(so);
}

std::vector<std::pair<std::string, double>> out;
void put(const std::string& name, double value) {
  out.emplace_back(name, value);
  std::printf("%-36s %.4f\n", name.c_str(), value);
}

void random_reads(const Options& o, const std::string& path, const std::string& tag) {
  auto shipment = open_shipment(o, nullptr);
  auto entry = shipment->stat(path);
  if (!entry || entry->kind != ferry::ShipmentEntry::Kind::kFile)
    die("no file " + path + " in the shipment");
  if (entry->size < o.len) die(path + " is smaller than one read");
  std::mt19937_64 rng(o.seed);
  std::vector<char> buf(o.len);
  auto one = [&] {
    uint64_t offset = rng() % (entry->size - o.len + 1);
    if (shipment->read(*entry, offset, buf.data(), o.len) != o.len) die("short read of " + path);
  };
  for (uint64_t i = 0; i < o.warm; ++i) one();
  auto before = shipment->stats();
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < o.reads; ++i) one();
  double secs = seconds_since(t0);
  auto after = shipment->stats();
  double n = static_cast<double>(o.reads);
  std::printf("%s: %s, %llu bytes; %llu reads of %llu bytes after %llu to warm\n", tag.c_str(),
              path.c_str(), static_cast<unsigned long long>(entry->size),
              static_cast<unsigned long long>(o.reads), static_cast<unsigned long long>(o.len),
              static_cast<unsigned long long>(o.warm));
  put(tag + "_bytes", static_cast<double>(entry->size));
  put(tag + "_reads_per_s", n / secs);
  put(tag + "_units_per_read", static_cast<double>(after.units_opened - before.units_opened) / n);
  put(tag + "_frames_per_read",
      static_cast<double>(after.frames_opened - before.frames_opened) / n);
  put(tag + "_cache_hit_share",
      static_cast<double>(after.cache_hits - before.cache_hits) /
          std::max<double>(1, static_cast<double>((after.cache_hits - before.cache_hits) +
                                                  (after.cache_misses - before.cache_misses))));
}

// Every file whole, in catalog order, shared out file by file over the threads.
void sequential(const Options& o, const ferry::io::ReadEnv* env, const std::string& tag) {
  auto shipment = open_shipment(o, env);
  std::vector<ferry::ShipmentEntry> files;
  shipment->list("", [&](const ferry::ShipmentEntry& e) {
    if (e.kind == ferry::ShipmentEntry::Kind::kFile) files.push_back(e);
    return true;
  });
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, o.threads); ++t) {
    threads.emplace_back([&] {
      std::vector<char> buf(1 << 20);
      for (size_t i; (i = next++) < files.size();) {
        const auto& e = files[i];
        for (uint64_t off = 0; off < e.size;) {
          size_t n = shipment->read(e, off, buf.data(), buf.size());
          if (n == 0) die("short read of " + e.path);
          off += n;
        }
        bytes += e.size;
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = seconds_since(t0);
  auto s = shipment->stats();
  uint64_t slow = 0;
  for (auto v : s.slow_per_slot) slow += v;
  put(tag + "_gb_per_s", static_cast<double>(bytes) / secs / 1e9);
  put(tag + "_seconds", secs);
  put(tag + "_reads_around", static_cast<double>(slow));
  put(tag + "_stripes_rebuilt", static_cast<double>(s.stripes_rebuilt));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--key-file")
      o.key_file = value();
    else if (a == "--random")
      o.random_paths.push_back(value());
    else if (a == "--sequential")
      o.sequential = true;
    else if (a == "--reads")
      o.reads = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--warm")
      o.warm = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--len")
      o.len = parse_size(value());
    else if (a == "--seed")
      o.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--cache")
      o.cache = parse_size(value());
    else if (a == "--slow-drive")
      o.slow_drive = value();
    else if (a == "--slow-factor")
      o.slow_factor = std::strtod(value().c_str(), nullptr);
    else if (a == "--threads")
      o.threads = static_cast<unsigned>(std::strtoul(value().c_str(), nullptr, 10));
    else if (a == "--tsv")
      o.tsv = value();
    else if (a == "-h" || a == "--help") {
      std::printf(
          "usage: ferry-random-read DRIVE... --key-file F (--random PATH... | --sequential "
          "[--slow-drive DIR] [--slow-factor 5]) [--reads N] [--warm N] [--len 64KiB] [--tsv "
          "FILE]\n");
      return 0;
    } else if (!a.empty() && a[0] == '-')
      die("unknown option " + a);
    else
      o.drives.push_back(a);
  }
  if (o.drives.empty() || o.key_file.empty()) die("give the drives and --key-file");
  if (o.len == 0 || o.reads == 0) die("--len and --reads must be above 0");
  if (o.slow_factor < 1) die("--slow-factor must be 1 or more");
  try {
    int n = 0;
    for (const auto& path : o.random_paths) random_reads(o, path, "random" + std::to_string(n++));
    if (o.sequential) {
      sequential(o, nullptr, "seq");
      if (!o.slow_drive.empty()) {
        SlowDriveEnv env(o.slow_drive, o.slow_factor);
        sequential(o, &env, "seq_slow");
        double plain = 0, slowed = 0;
        for (auto& [k, v] : out) {
          if (k == "seq_gb_per_s") plain = v;
          if (k == "seq_slow_gb_per_s") slowed = v;
        }
        put("seq_slow_factor", o.slow_factor);
        put("seq_slow_ratio", plain > 0 ? slowed / plain : 0);
      }
    }
  } catch (const std::exception& e) {
    die(e.what());
  }
  if (!o.tsv.empty()) {
    FILE* f = std::fopen(o.tsv.c_str(), "w");
    if (!f) die("cannot write " + o.tsv);
    for (auto& [k, v] : out) std::fprintf(f, "%s\t%.17g\n", k.c_str(), v);
    std::fclose(f);
  }
  return 0;
}
