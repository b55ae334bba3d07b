#include "pack/read_ahead.h"

#include <cerrno>
#include <cstring>

#include "codec/sha256.h"
#include "codec/zstd.h"
#include "format/constants.h"
#include "pack/source_file.h"
#include "util/dir_chain.h"

namespace ferry::pack {
namespace {

// Room for the largest file read ahead, raw or compressed (which can come out a little
// larger when only its start compresses), so no buffer ever moves.
constexpr size_t kBufferCapacity = ReadAhead::kMaxFileSize + (ReadAhead::kMaxFileSize >> 6) + (1u << 20);

std::vector<uint8_t> new_buffer() {
  std::vector<uint8_t> buffer;
  buffer.reserve(kBufferCapacity);  // address space only, until used
  return buffer;
}

// A worker's own handles and buffers.
struct Worker {
  explicit Worker(const std::string& source) : source(source) {}
  util::DirChain source;
  codec::ZstdCompressor zstd;
  std::vector<uint8_t> packed = std::vector<uint8_t>(codec::zstd_bound(format::kCompressionFrameSize));
  // A compressed file is built here, then swapped with its raw bytes.
  std::vector<uint8_t> frames = new_buffer();
};

// Replaces `file.stored` by independent zstd frames when its sample says that pays.
void compress_if_it_pays(Worker& w, ReadyFile& file) {
  const size_t size = file.stored.size();
  if (size < kMinCompressSize) return;
  const size_t sample = std::min(size, kCompressionSample);
  size_t c = w.zstd.compress(file.stored.data(), sample, w.packed.data(), w.packed.size());
  if (!compression_pays(c, sample)) return;
  std::vector<uint8_t>& frames = w.frames;
  frames.clear();
  if (sample == size) {
    frames.assign(w.packed.begin(), w.packed.begin() + static_cast<ptrdiff_t>(c));
    file.entry.frames = {static_cast<uint32_t>(c)};
  } else {
    for (size_t at = 0; at < size; at += format::kCompressionFrameSize) {
      size_t len = std::min<size_t>(format::kCompressionFrameSize, size - at);
      c = w.zstd.compress(file.stored.data() + at, len, w.packed.data(), w.packed.size());
      frames.insert(frames.end(), w.packed.begin(), w.packed.begin() + static_cast<ptrdiff_t>(c));
      file.entry.frames.push_back(static_cast<uint32_t>(c));
    }
  }
  std::swap(file.stored, frames);
  file.entry.encoding = format::Encoding::kZstdFrames;
}

// Reads, hashes and maybe compresses one file; a file that changes while being read
// is read once more, as FilePacker does.
void prepare(Worker& w, bool compress, ReadyFile& file) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    ReadFailure failure;
    SourceFile source(w.source, file.entry.path, &failure, &file.reason);
    if (failure == ReadFailure::kUnreadable) {
      file.outcome = ReadyFile::kUnreadable;
      return;
    }
    if (failure == ReadFailure::kChanged) continue;
    const uint64_t size = source.size();
    if (size > ReadAhead::kMaxFileSize) {
      file.outcome = ReadyFile::kTooLarge;
      return;
    }
    // One byte more than the size reveals a file that grew.
    file.stored.resize(size + 1);
    ssize_t n = read_full(source.fd(), file.stored.data(), size + 1);
    if (n < 0) {
      file.outcome = ReadyFile::kUnreadable;
      file.reason = std::string("read error: ") + std::strerror(errno);
      return;
    }
    if (static_cast<uint64_t>(n) != size || !source.unchanged()) {
      file.reason = "changed while being read";
      continue;
    }
    file.stored.resize(size);
    source.describe(file.entry);
    file.entry.sha256 = codec::sha256(file.stored.data(), file.stored.size());
    file.entry.encoding = format::Encoding::kRaw;
    file.entry.frames.clear();
    if (compress) compress_if_it_pays(w, file);
    file.outcome = ReadyFile::kPacked;
    return;
  }
  file.outcome = ReadyFile::kChanged;
  file.reason = "changed while being read, twice; left out";
}

}  // namespace

ReadAhead::ReadAhead(const std::string& source, bool compress, int threads)
    : source_(source), compress_(compress) {
  for (size_t i = 0; i < kBuffers; ++i) spares_.push_back(new_buffer());
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ReadAhead::has_room() const {
  std::lock_guard lock(mutex_);
  return !spares_.empty();
}

void ReadAhead::add(const format::Entry& entry) {
  {
    std::lock_guard lock(mutex_);
    jobs_.emplace_back();
    jobs_.back().file.entry = entry;
    jobs_.back().file.stored = std::move(spares_.back());
    spares_.pop_back();
  }
  queued_.notify_one();
}

void ReadAhead::recycle(std::vector<uint8_t> buffer) {
  std::lock_guard lock(mutex_);
  if (buffer.capacity() < kBufferCapacity) buffer = new_buffer();  // one that grew and moved
  spares_.push_back(std::move(buffer));
}

ReadyFile ReadAhead::take() {
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [&] { return error_ || (!jobs_.empty() && jobs_.front().done); });
  if (error_) std::rethrow_exception(error_);
  ReadyFile file = std::move(jobs_.front().file);
  jobs_.pop_front();
  --next_job_;
  return file;
}

void ReadAhead::work() {
  try {
    Worker worker(source_);
    for (;;) {
      Job* job;
      {
        std::unique_lock lock(mutex_);
        queued_.wait(lock, [&] { return stopping_ || next_job_ < jobs_.size(); });
        if (stopping_) return;
        job = &jobs_[next_job_++];  // a deque keeps its elements in place as it grows
      }
      prepare(worker, compress_, job->file);
      {
        std::lock_guard lock(mutex_);
        job->done = true;
      }
      finished_.notify_one();
    }
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    finished_.notify_all();
  }
}

}  // namespace ferry::pack
