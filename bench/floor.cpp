// ferry-floor: what the bare work of a pack and of a restore costs on this machine, per
// byte of a data set, on one core. It runs ferry's own codec calls over the set's bytes
// one after the other, each while the data is still in cache, with none of ferry's
// threads, queues, catalog or checks around them, and times each step by the thread's
// CPU clock:
//
//   pack:    read the file, decide whether to compress it (pack's own sample test),
//            zstd -1 in 1 MiB frames where it pays, SHA-256, AES-256-GCM of every unit,
//            Reed–Solomon parity, CRC32C of every block, write every block to its drive
//   restore: read the data blocks back, CRC32C, AES-256-GCM open, zstd decompress,
//            SHA-256 of the file's bytes (timed once, counted for both), write the file
//
// Whatever ferry does beyond this can only add to it, so `cores / floor` is an upper
// bound on either's speed, however well the work is spread over the cores. The benchmark
// harness prints it next to the targets that ask for more.
//
//   ferry-floor SET SCRATCH [--repeat 3] [--k 3] [--m 1] [--cores N] [--tsv FILE]
//
// SCRATCH (a folder in /dev/shm for the harness) receives the drives' blocks and the
// restored bytes, a few hundred MiB at a time, removed as it goes. With --repeat, each
// step's figure is its best pass: the floor is the lowest the machine showed.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "codec/aead.h"
#include "codec/crc32c.h"
#include "codec/erasure.h"
#include "codec/sha256.h"
#include "codec/zstd.h"
#include "format/constants.h"
#include "io/file.h"
#include "pack/source_file.h"

namespace {

using namespace ferry;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "ferry-floor: %s\n", message.c_str());
  std::exit(2);
}

enum Step {
  kReadSource,
  kDecide,
  kCompress,
  kHash,
  kSeal,
  kParity,
  kCrc,
  kWriteDrives,  // pack
  kReadDrives,
  kCheckCrc,
  kOpen,
  kDecompress,
  kWriteFiles,  // restore
  kSteps
};
struct StepInfo {
  const char* id;
  const char* title;
  bool pack, restore;
};
constexpr StepInfo kStepInfo[kSteps] = {
    {"read_source", "read the source files", true, false},
    {"decide", "decide what to compress (sample)", true, false},
    {"compress", "zstd -1 where it pays", true, false},
    {"sha256", "SHA-256 of every file", true, true},
    {"seal", "AES-256-GCM seal", true, false},
    {"parity", "Reed-Solomon parity", true, false},
    {"crc", "CRC32C of every block", true, false},
    {"write_drives", "write the blocks to the drives", true, false},
    {"read_drives", "read the data blocks back", false, true},
    {"check_crc", "CRC32C of the data blocks", false, true},
    {"open", "AES-256-GCM open", false, true},
    {"decompress", "zstd decompress", false, true},
    {"write_files", "write the files", false, true},
};

int64_t thread_cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

// Adds the CPU time of its scope to one step.
class Timed {
 public:
  explicit Timed(int64_t* total) : total_(total), start_(thread_cpu_ns()) {}
  ~Timed() { *total_ += thread_cpu_ns() - start_; }

 private:
  int64_t* total_;
  int64_t start_;
};

void list_files(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) die("cannot read folder " + dir + ": " + std::strerror(errno));
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = io::join(dir, name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      list_files(path, out);
    else if (S_ISREG(st.st_mode))
      out.push_back(path);
  }
  ::closedir(d);
}

// One pass over the set: every step's CPU nanoseconds.
class Pass {
 public:
  Pass(const std::string& scratch, int k, int m)
      : scratch_(scratch),
        k_(k),
        n_(k + m),
        rs_(k, m),
        aead_(codec::Key{1}),
        unit_plain_(format::kDefaultBlockSize - format::kUnitOverhead),
        record_(format::kBlockHeaderSize + format::kDefaultBlockSize),
        stripe_plain_(static_cast<size_t>(k) * unit_plain_) {
    records_.resize(static_cast<size_t>(n_) * record_);
    readback_.resize(static_cast<size_t>(k) * record_);
    plain_.resize(stripe_plain_);
    chunk_.resize(format::kCompressionFrameSize);
    frame_.resize(codec::zstd_bound(format::kCompressionFrameSize));
    unpacked_.resize(format::kCompressionFrameSize);
  }

  void file(const std::string& path) {
    io::File in = io::File::open_read(path);
    const uint64_t size = in.size();
    bool compress;
    {
      Timed t(&ns[kDecide]);
      compress = pack::worth_compressing(in.fd(), size, zstd_, sample_, packed_);
    }
    for (;;) {
      size_t got;
      {
        Timed t(&ns[kReadSource]);
        got = in.read(chunk_.data(), chunk_.size());
      }
      if (got == 0) break;
      {
        Timed t(&ns[kHash]);
        sha_.update(chunk_.data(), got);
      }
      if (compress) {
        size_t c;
        {
          Timed t(&ns[kCompress]);
          c = zstd_.compress(chunk_.data(), got, frame_.data(), frame_.size());
        }
        {
          Timed t(&ns[kDecompress]);
          if (unzstd_.decompress(frame_.data(), c, unpacked_.data(), unpacked_.size()) != got) {
            die("zstd did not give back " + path);
          }
        }
        store(frame_.data(), c);
      } else {
        store(chunk_.data(), got);
      }
      {
        Timed t(&ns[kWriteFiles]);
        restored_.write(chunk_.data(), got);
      }
      restored_bytes_ += got;
      if (restored_bytes_ >= kRotateBytes) rotate_restored();
      source_bytes += got;
    }
    sha_.finish();
  }

  void finish() {
    if (filled_ > 0) stripe();
    ::unlink(restored_.path().c_str());
    for (int i = 0; i < n_; ++i) ::unlink(segment_path(i).c_str());
  }

  int64_t ns[kSteps] = {};
  uint64_t source_bytes = 0, stored_bytes = 0;

 private:
  static constexpr uint64_t kRotateBytes = 256u << 20;  // restored bytes kept at once

  std::string segment_path(int i) const { return io::join(scratch_, "drive-" + std::to_string(i)); }

  // Appends stored bytes to the stream; every full stripe goes to the drives.
  void store(const uint8_t* p, size_t len) {
    stored_bytes += len;
    while (len > 0) {
      size_t take = std::min(len, stripe_plain_ - filled_);
      std::memcpy(plain_.data() + filled_, p, take);
      filled_ += take;
      p += take;
      len -= take;
      if (filled_ == stripe_plain_) stripe();
    }
  }

  uint8_t* payload(std::vector<uint8_t>& records, int i) {
    return records.data() + static_cast<size_t>(i) * record_ + format::kBlockHeaderSize;
  }

  void stripe() {
    std::memset(plain_.data() + filled_, 0, stripe_plain_ - filled_);
    codec::Nonce nonce{};
    {
      Timed t(&ns[kSeal]);
      for (int j = 0; j < k_; ++j) {
        std::memcpy(nonce.data(), &stripes_, sizeof stripes_);
        nonce[11] = static_cast<uint8_t>(j);
        uint8_t* out = payload(records_, j);
        std::memcpy(out, nonce.data(), nonce.size());
        aead_.seal(nonce, nullptr, 0, plain_.data() + static_cast<size_t>(j) * unit_plain_,
                   unit_plain_, out + nonce.size(), out + nonce.size() + unit_plain_);
      }
    }
    std::vector<uint8_t*> data(k_), parity(n_ - k_);
    for (int j = 0; j < k_; ++j) data[j] = payload(records_, j);
    for (int j = k_; j < n_; ++j) parity[j - k_] = payload(records_, j);
    {
      Timed t(&ns[kParity]);
      rs_.encode(format::kDefaultBlockSize, data.data(), parity.data());
    }
    uint32_t crcs[64];
    {
      Timed t(&ns[kCrc]);
      for (int i = 0; i < n_; ++i)
        crcs[i] = codec::crc32c(payload(records_, i), format::kDefaultBlockSize);
    }
    if (stripes_ % kStripesPerSegment == 0) open_segments();
    const uint64_t at = (stripes_ % kStripesPerSegment) * record_;
    {
      Timed t(&ns[kWriteDrives]);
      for (int i = 0; i < n_; ++i)
        drives_[i].write(records_.data() + static_cast<size_t>(i) * record_, record_);
    }
    {
      Timed t(&ns[kReadDrives]);
      for (int j = 0; j < k_; ++j)
        drives_back_[j].pread(readback_.data() + static_cast<size_t>(j) * record_, record_, at);
    }
    {
      Timed t(&ns[kCheckCrc]);
      for (int j = 0; j < k_; ++j) {
        if (codec::crc32c(payload(readback_, j), format::kDefaultBlockSize) != crcs[j])
          die("a block read back differs");
      }
    }
    {
      Timed t(&ns[kOpen]);
      for (int j = 0; j < k_; ++j) {
        const uint8_t* in = payload(readback_, j);
        std::memcpy(nonce.data(), in, nonce.size());
        if (!aead_.open(nonce, nullptr, 0, in + nonce.size(), unit_plain_,
                        plain_.data() + static_cast<size_t>(j) * unit_plain_,
                        in + nonce.size() + unit_plain_)) {
          die("a block read back fails authentication");
        }
      }
    }
    ++stripes_;
    filled_ = 0;
  }

  static constexpr uint64_t kStripesPerSegment = 64;

  // New drive files, the old ones removed: the blocks written stay bounded.
  void open_segments() {
    drives_.clear();
    drives_back_.clear();
    for (int i = 0; i < n_; ++i) {
      ::unlink(segment_path(i).c_str());
      drives_.push_back(io::File::open_write(segment_path(i), true));
      drives_back_.push_back(io::File::open_read(segment_path(i)));
    }
  }

  void rotate_restored() {
    ::unlink(restored_.path().c_str());
    restored_ = io::File::open_write(io::join(scratch_, "restored"), true);
    restored_bytes_ = 0;
  }

  const std::string scratch_;
  const int k_, n_;
  codec::ReedSolomon rs_;
  codec::AesGcm aead_;
  codec::Sha256 sha_;
  codec::ZstdCompressor zstd_{1};
  codec::ZstdDecompressor unzstd_;
  const size_t unit_plain_, record_, stripe_plain_;
  std::vector<uint8_t> records_, readback_, plain_, chunk_, frame_, unpacked_, sample_, packed_;
  size_t filled_ = 0;
  uint64_t stripes_ = 0;
  std::vector<io::File> drives_, drives_back_;  // written, read back
  io::File restored_ = io::File::open_write(io::join(scratch_, "restored"), true);
  uint64_t restored_bytes_ = 0;
};

int measure(int argc, char** argv) {
  std::string set, scratch, tsv;
  int repeat = 3, k = 3, m = 1;
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--repeat")
      repeat = std::atoi(value().c_str());
    else if (a == "--k")
      k = std::atoi(value().c_str());
    else if (a == "--m")
      m = std::atoi(value().c_str());
    else if (a == "--cores")
      cores = std::atoi(value().c_str());
    else if (a == "--tsv")
      tsv = value();
    else if (a == "-h" || a == "--help") {
      std::printf(
          "usage: ferry-floor SET SCRATCH [--repeat 3] [--k 3] [--m 1] [--cores N] [--tsv FILE]\n"
          "  the CPU a pack and a restore of SET cannot do without, per byte, on one core\n"
          "  example: ferry-floor /dev/shm/set /dev/shm/scratch --tsv floor.tsv\n");
      return 0;
    } else if (set.empty())
      set = a;
    else if (scratch.empty())
      scratch = a;
    else
      die("unexpected argument " + a);
  }
  if (set.empty() || scratch.empty()) die("name the data set and a scratch folder (see --help)");
  if (repeat < 1 || k < 1 || m < 1 || k + m > 64 || cores < 1)
    die("--repeat, --k, --m and --cores take positive numbers (k + m <= 64)");
  std::vector<std::string> files;
  list_files(set, files);
  std::sort(files.begin(), files.end());
  io::make_directories(scratch);

  int64_t best[kSteps];
  std::fill(std::begin(best), std::end(best), INT64_MAX);
  uint64_t source = 0, stored = 0;
  for (int r = 0; r < repeat; ++r) {
    Pass pass(scratch, k, m);
    for (const std::string& f : files) pass.file(f);
    pass.finish();
    for (int s = 0; s < kSteps; ++s) best[s] = std::min(best[s], pass.ns[s]);
    source = pass.source_bytes;
    stored = pass.stored_bytes;
  }
  if (source == 0) die(set + " holds no bytes");

  FILE* out = tsv.empty() ? nullptr : std::fopen(tsv.c_str(), "w");
  if (!tsv.empty() && !out) die("cannot write " + tsv + ": " + std::strerror(errno));
  std::printf(
      "the bare work on one core, per byte of %s (%.2f GB in %zu files, stored %.1f %% of it), "
      "best of %d:\n",
      set.c_str(), source / 1e9, files.size(), 100.0 * stored / source, repeat);
  for (bool pack : {true, false}) {
    double total = 0;
    std::printf("  %s\n", pack ? "pack" : "restore");
    for (int s = 0; s < kSteps; ++s) {
      if (!(pack ? kStepInfo[s].pack : kStepInfo[s].restore)) continue;
      double per_byte = static_cast<double>(best[s]) / source;
      total += per_byte;
      std::printf("    %-36s %5.2f ns\n", kStepInfo[s].title, per_byte);
      if (out)
        std::fprintf(out, "%s_%s\t%.4f\n", pack ? "pack" : "restore", kStepInfo[s].id, per_byte);
    }
    std::printf("    %-36s %5.2f ns: at most %.2f GB/s on %d cores\n", "all", total, cores / total,
                cores);
    if (out)
      std::fprintf(out, "%s_total\t%.4f\n%s_ceiling_gbps\t%.4f\n", pack ? "pack" : "restore", total,
                   pack ? "pack" : "restore", cores / total);
  }
  if (out) {
    std::fprintf(out, "cores\t%d\n", cores);
    std::fclose(out);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return measure(argc, argv);
  } catch (const std::exception& e) {
    die(e.what());  // a file that cannot be read or written, named by ferry's I/O layer
  }
}
