#include "pack/read_ahead.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "codec/sha256.h"
#include "codec/zstd.h"
#include "format/constants.h"
#include "pack/compressed_formats.h"
#include "pack/source_file.h"
#include "util/dir_chain.h"
#include "util/threads.h"

namespace ferry::pack {
namespace {

// Room for a file of `size` bytes, raw or compressed (which can come out a little
// larger when only its start compresses), so no buffer ever moves.
size_t capacity_for(uint64_t size) { return codec::zstd_bound(static_cast<size_t>(size)) + (64u << 10); }

util::ByteBuffer new_buffer(uint64_t size) {
  util::ByteBuffer buffer;
  buffer.reserve(capacity_for(size));  // address space only, until used
  return buffer;
}

}  // namespace

struct ReadAhead::Worker {
  explicit Worker(const std::string& source) : source(source) {}
  util::DirChain source;
  codec::ZstdCompressor zstd;
  std::vector<uint8_t> packed = std::vector<uint8_t>(codec::zstd_bound(format::kCompressionFrameSize));
  util::ByteBuffer frames = new_buffer(ReadAhead::kMaxFileSize);  // a compressed file, built
};

namespace {
using Worker = ReadAhead::Worker;

// Replaces `file.stored` by independent zstd frames when its sample says that pays.
void compress_if_it_pays(Worker& w, ReadyFile& file) {
  const size_t size = file.stored.size();
  const size_t sample = std::min(size, kCompressionSample);
  if (size < kMinCompressSize || is_compressed_format(file.stored.data(), sample)) return;
  size_t c = 0;  // the sample that pays, compressed, in w.packed
  for (uint64_t at : sample_offsets(size)) {
    const size_t len = std::min(sample, size - static_cast<size_t>(at));
    if ((c = sample_pays(file.stored.data() + at, len, at == 0, w.zstd, w.packed)) > 0) break;
  }
  if (c == 0) return;
  util::ByteBuffer& frames = w.frames;
  frames.clear();
  if (sample == size) {  // the only sample: the whole file, compressed already
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
  file.stored.assign(frames.begin(), frames.end());
  file.entry.encoding = format::Encoding::kZstdFrames;
}

// Reads, hashes and maybe compresses one file. First as the walk saw it, when the walk
// recorded its version: a file unchanged since then costs one fstat, after reading. A
// file that changed is read as it is now, and once more if it changes while being
// read, as FilePacker does.
void prepare(Worker& w, bool compress, ReadyFile& file) {
  const bool walked = file.entry.inode != 0;
  for (int attempt = walked ? 0 : 1; attempt < 3; ++attempt) {
    ReadFailure failure;
    std::optional<SourceFile> opened;
    if (attempt == 0) {
      opened.emplace(w.source, file.entry, &failure, &file.reason);
    } else {
      opened.emplace(w.source, file.entry.path, &failure, &file.reason);
    }
    SourceFile& source = *opened;
    if (failure == ReadFailure::kUnreadable) {
      file.outcome = ReadyFile::kUnreadable;
      return;
    }
    if (failure == ReadFailure::kChanged) continue;
    const uint64_t size = source.size();
    if (capacity_for(size) > file.stored.capacity()) {
      file.outcome = ReadyFile::kTooLarge;
      return;
    }
    file.stored.resize(size + 1);
    ssize_t n = read_expected(source.fd(), file.stored.data(), size);
    if (n < 0 && attempt == 0) continue;  // a folder now, say: ask it what it is
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
  for (size_t size = 0; size < kSizes; ++size) {
    for (size_t i = 0; i < kBufferSizes[size].buffers; ++i) {
      spares_[size].push_back(new_buffer(kBufferSizes[size].largest_file));
    }
  }
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

void ReadAhead::plan(const std::vector<format::Entry>& batch) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    plans_.push_back(&batch);
    wake = top_up();
  }
  if (wake) queued_.notify_one();
}

size_t ReadAhead::buffer_size_for(uint64_t file_size) {
  size_t size = 0;
  while (file_size > kBufferSizes[size].largest_file) ++size;  // wanted(): the last holds it
  return size;
}

bool ReadAhead::top_up() {
  const size_t before = jobs_.size();
  while (!plans_.empty()) {
    const std::vector<format::Entry>& plan = *plans_.front();
    if (planned_ == plan.size()) {
      plans_.pop_front();
      planned_ = 0;
      continue;
    }
    const format::Entry& entry = plan[planned_];
    if (!wanted(entry)) {
      ++planned_;
      continue;
    }
    const size_t size = buffer_size_for(entry.size);
    if (spares_[size].empty()) break;
    Job& job = jobs_.emplace_back();
    job.file.entry = entry;
    job.file.stored = std::move(spares_[size].back());
    job.buffer_size = size;
    spares_[size].pop_back();
    ++planned_;
  }
  // Workers sleep only when nothing waits to be started; one that starts a file wakes
  // the next while more wait (see work()).
  return jobs_.size() > before && next_job_ == before;
}

const ReadyFile& ReadAhead::take() {
  std::unique_lock lock(mutex_);
  if (taken_.stored.capacity() > 0) {
    spares_[taken_size_].push_back(std::move(taken_.stored));
    taken_.stored = {};
  }
  // Refill in batches, once half the buffers of a size are free: handing workers one
  // file at a time would wake one for every file taken.
  bool refill = jobs_.empty();
  for (size_t size = 0; size < kSizes; ++size) {
    refill = refill || spares_[size].size() * 2 >= kBufferSizes[size].buffers;
  }
  const bool wake = refill && top_up();
  if (error_) std::rethrow_exception(error_);
  if (jobs_.empty()) throw std::logic_error("ReadAhead::take() with nothing planned");
  if (wake) {
    lock.unlock();
    queued_.notify_one();
    lock.lock();
  }
  // Until the oldest file is done, read the next one nobody has started rather than
  // wait: a file costs about as much as waking up for one.
  while (!error_ && !jobs_.front().done) {
    if (next_job_ == jobs_.size()) {
      finished_.wait(lock, [&] { return error_ || jobs_.front().done; });
      break;
    }
    Job& job = jobs_[next_job_++];
    lock.unlock();
    if (!taker_) taker_ = std::make_unique<Worker>(source_);
    prepare(*taker_, compress_, job.file);
    lock.lock();
    job.done = true;
  }
  if (error_) std::rethrow_exception(error_);
  taken_ = std::move(jobs_.front().file);
  taken_size_ = jobs_.front().buffer_size;
  jobs_.pop_front();
  --next_job_;
  return taken_;
}

void ReadAhead::work() {
  util::name_this_thread("ferry-readahead");
  // Condition variables are notified after the mutex is let go: a thread woken while
  // the notifier still holds it would only block again on the mutex.
  try {
    Worker worker(source_);
    for (;;) {
      Job* job;
      bool more;
      {
        std::unique_lock lock(mutex_);
        queued_.wait(lock, [&] { return stopping_ || next_job_ < jobs_.size(); });
        if (stopping_) return;
        job = &jobs_[next_job_++];  // a deque keeps its elements in place as it grows
        more = next_job_ < jobs_.size();
      }
      if (more) queued_.notify_one();
      prepare(worker, compress_, job->file);
      bool oldest;
      {
        std::lock_guard lock(mutex_);
        job->done = true;
        oldest = job == &jobs_.front();  // the only one take() waits for
      }
      if (oldest) finished_.notify_one();
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
