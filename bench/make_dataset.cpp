// ferry-make-dataset: reproducible data sets for the demo and the benchmarks.
//
//   ferry-make-dataset --profile mixed --size 2GiB --seed 1 OUT
//     like a training corpus: half the bytes in incompressible video-sized clips,
//     40% in 50 KB – 1.5 MB images, 10% in compressible CSV sheets.
//   ferry-make-dataset --profile small-files --files 200000 --seed 1 OUT
//     many files of 1–8 KiB.
//   ferry-make-dataset --profile random-read --size 1GiB --seed 1 OUT
//     two files of that size each for random reads: compressible.csv (CSV sheet rows)
//     and incompressible.bin (random bytes).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "ferry-make-dataset: %s\n", message.c_str());
  std::exit(2);
}

uint64_t parse_size(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit = end;
  double scale = unit.empty() || unit == "B" ? 1
                 : unit == "kB" || unit == "KB" ? 1e3
                 : unit == "MB" ? 1e6
                 : unit == "GB" ? 1e9
                 : unit == "KiB" ? 1024.0
                 : unit == "MiB" ? 1048576.0
                 : unit == "GiB" ? 1073741824.0
                 : -1;
  if (v <= 0 || scale < 0) die("bad size '" + text + "' (try 256MB or 2GiB)");
  return static_cast<uint64_t>(v * scale);
}

void write_file(const std::string& path, const std::vector<char>& data, size_t len) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("cannot create " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(fd, data.data() + done, len - done);
    if (n <= 0) die("cannot write " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

void fill_random(std::vector<char>& buf, size_t len, std::mt19937_64& rng) {
  if (buf.size() < len) buf.resize(len);
  for (size_t i = 0; i < len; i += 8) {
    uint64_t v = rng();
    std::memcpy(buf.data() + i, &v, std::min<size_t>(8, len - i));
  }
}

void fill_csv(std::vector<char>& buf, size_t len, std::mt19937_64& rng) {
  std::string s = "sample_id,label,width,height,score,split\n";
  while (s.size() < len) {
    s += std::to_string(rng() % 10000000) + ",class_" + std::to_string(rng() % 50) + "," +
         std::to_string(256 + rng() % 1024) + "," + std::to_string(256 + rng() % 1024) + ",0." +
         std::to_string(rng() % 1000) + "," + (rng() % 10 ? "train" : "val") + "\n";
  }
  buf.assign(s.begin(), s.begin() + static_cast<long>(len));
}

void mkdir_p(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty()) ::mkdir(cur.c_str(), 0755);
    }
    if (i < path.size()) cur += path[i];
  }
}

void mixed(const std::string& out, uint64_t total, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<char> buf;
  mkdir_p(out + "/clips");
  mkdir_p(out + "/sheets");
  // Clips: half the bytes, 100–300 MB each, smaller for small sets so there are several.
  uint64_t clip_max = std::min<uint64_t>(300000000, std::max<uint64_t>(total / 8, 1000000));
  uint64_t clip_min = clip_max / 3;
  uint64_t done = 0;
  for (int i = 0; done < total / 2; ++i) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(clip_min + rng() % (clip_max - clip_min + 1), total / 2 - done));
    fill_random(buf, len, rng);
    char name[64];
    std::snprintf(name, sizeof name, "/clips/clip-%04d.mp4", i);
    write_file(out + name, buf, len);
    done += len;
  }
  uint64_t images = 0;
  for (int i = 0; images < total * 4 / 10; ++i) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(50000 + rng() % 1450000, total * 4 / 10 - images));
    fill_random(buf, len, rng);
    char dir[64], name[96];
    std::snprintf(dir, sizeof dir, "/images/shard-%03d", i / 500);
    std::snprintf(name, sizeof name, "%s/img-%06d.jpg", dir, i);
    if (i % 500 == 0) mkdir_p(out + dir);
    write_file(out + name, buf, len);
    images += len;
  }
  uint64_t sheets = 0, target = total - done - images;
  for (int i = 0; sheets < target; ++i) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(1000000 + rng() % 9000000, target - sheets));
    fill_csv(buf, len, rng);
    char name[64];
    std::snprintf(name, sizeof name, "/sheets/labels-%04d.csv", i);
    write_file(out + name, buf, len);
    sheets += len;
  }
}

void small_files(const std::string& out, uint64_t files, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<char> buf;
  for (uint64_t i = 0; i < files; ++i) {
    char dir[64], name[96];
    std::snprintf(dir, sizeof dir, "/dir-%04llu", static_cast<unsigned long long>(i / 1000));
    if (i % 1000 == 0) mkdir_p(out + dir);
    std::snprintf(name, sizeof name, "%s/f-%07llu.txt", dir, static_cast<unsigned long long>(i));
    size_t len = 1024 + rng() % (7 * 1024 + 1);
    fill_random(buf, len, rng);
    write_file(out + name, buf, len);
  }
}

void random_read(const std::string& out, uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<char> buf;
  mkdir_p(out);
  const size_t chunk = 64u << 20;
  for (int which = 0; which < 2; ++which) {
    std::string path = out + (which == 0 ? "/compressible.csv" : "/incompressible.bin");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("cannot create " + path + ": " + std::strerror(errno));
    for (uint64_t done = 0; done < size;) {
      size_t len = static_cast<size_t>(std::min<uint64_t>(chunk, size - done));
      if (which == 0) fill_csv(buf, len, rng);
      else fill_random(buf, len, rng);
      for (size_t w = 0; w < len;) {
        ssize_t n = ::write(fd, buf.data() + w, len - w);
        if (n <= 0) die("cannot write " + path + ": " + std::strerror(errno));
        w += static_cast<size_t>(n);
      }
      done += len;
    }
    ::close(fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string profile = "mixed", out;
  uint64_t size = 256000000, files = 200000, seed = 1;
  std::set<std::string> given;  // the options named
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    given.insert(a);
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--profile") profile = value();
    else if (a == "--size") size = parse_size(value());
    else if (a == "--files") files = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--seed") seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "-h" || a == "--help") {
      std::printf("usage: ferry-make-dataset [--profile mixed|small-files|random-read] [--size 2GiB] [--files N] [--seed N] OUT\n");
      return 0;
    } else if (out.empty()) out = a;
    else die("unexpected argument " + a);
  }
  if (out.empty()) die("name the output folder");
  mkdir_p(out);
  // Each profile is sized by one of them: the other, given, would be ignored silently.
  const bool by_count = profile == "small-files";
  if (by_count && given.count("--size")) die("small-files is sized by --files N, not --size");
  if (!by_count && given.count("--files")) die(profile + " is sized by --size, not --files");
  if (profile == "mixed") mixed(out, size, seed);
  else if (profile == "small-files") small_files(out, files, seed);
  else if (profile == "random-read") random_read(out, size, seed);
  else die("unknown profile " + profile + " (mixed, small-files or random-read)");
  return 0;
}
