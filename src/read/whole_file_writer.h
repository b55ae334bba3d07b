// Restore's files of up to 16 MiB stored, written on a pool of threads, several at once.
// The thread that reads the stream only gathers each file's stored bytes into a buffer;
// a worker decompresses them when they are zstd frames, checks them against the
// catalog, writes them under a temporary name and renames them.
//
// Why: writing fresh pages into a file costs as much as all of restore's cryptography,
// and with one writing thread that thread held restore to about one core wherever files
// are compressed (on those it also hashes) or of a few hundred kilobytes. Two files can
// be written at once; one file cannot, its writers queue on the inode's lock. For small
// files, creating, naming and renaming is most of the work; two threads doing it in one
// folder took about 5 % longer than in two (medians of five runs). Large files are
// streamed by the caller.
//
// Handing over a file costs the two threads a lock each way, and a thread's sleep and
// wakeup costs more than a small file: the caller wakes a worker only when several files
// wait or before it turns to other work, and waits for a buffer until several files are
// done, not one.
//
// Memory is a fixed set of buffers, reused from file to file: many for files up to
// 64 KiB, fewer up to 256 KiB, a few for larger ones, about 100 MiB at most.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "format/catalog.h"
#include "read/file_streamer.h"
#include "util/no_init_allocator.h"

namespace ferry::read {

class WholeFileWriter {
 public:
  // Files stored in fewer bytes are small: they wait in the queue for company.
  static constexpr uint64_t kSmallStored = 64u << 10;
  static constexpr uint64_t kMaxStored = 16u << 20;
  // Whether a file goes to the pool: stored in at most that many bytes, in an encoding
  // known.
  static bool takes(const format::Entry& e) {
    return e.stored <= kMaxStored &&
           (e.encoding == format::Encoding::kRaw || e.encoding == format::Encoding::kZstdFrames);
  }

  // Called on the caller's thread for each file once it is done, in the order the
  // files were submitted: `written` is false for a file lost (damaged beyond repair,
  // or not matching its size and SHA-256), which leaves nothing behind.
  using Report = std::function<void(const format::Entry&, bool written)>;
  // Files go below the folder `target`, whose subfolders exist.
  WholeFileWriter(const std::string& target, int threads, Report report);
  ~WholeFileWriter();  // finishes the files being written; drops those not yet started
  WholeFileWriter(const WholeFileWriter&) = delete;
  WholeFileWriter& operator=(const WholeFileWriter&) = delete;

  // A buffer for the stored bytes of `entry` (takes() it), sized to them. Waits while
  // every buffer of its size is in use, reporting the files that finish meanwhile.
  util::ByteBuffer& prepare(const format::Entry& entry);
  // Queues the file prepared last, its buffer filled by FileStreamer::gather().
  void submit(Gathered gathered);
  // Reports the files finished so far; rethrows, in order, what failed to write one.
  void report_finished();
  // Sets the workers to the files queued: before the caller turns to other work.
  void start_queued();
  // Waits for every file submitted and reports it.
  void finish();

  struct Worker;  // a writing thread's own folder handles and buffers (.cpp)

 private:
  struct BufferSize {
    uint64_t largest_file;
    size_t buffers;
  };
  static constexpr BufferSize kBufferSizes[] = {
      {kSmallStored, 512}, {256u << 10, 16}, {kMaxStored, 4}};
  static constexpr size_t kSizes = std::size(kBufferSizes);
  struct Slot {
    util::ByteBuffer stored;
    size_t buffer_size = 0;  // index in kBufferSizes
    format::Entry entry;
    Gathered gathered = Gathered::kLost;
    std::atomic<bool> done{false};  // set under mutex_; read by the caller without it
    bool written = false;
    std::exception_ptr error;
  };
  // The caller waits for this many files at a time, and wakes a sleeping worker for
  // small files only once this many are queued.
  static constexpr size_t kBatch = 8;
  // Waits until the oldest file, and when they are under way a few after it, are done;
  // reports those that are, oldest first. Called with `lock` held; returns with it
  // held, throws with it released.
  void report_some(std::unique_lock<std::mutex>& lock);
  // Reports the files done at the front, oldest first; the same lock contract.
  void report_done(std::unique_lock<std::mutex>& lock);
  void wake_workers();  // with mutex_ held
  void work();
  void write(Worker& worker, Slot& slot) const;

  const std::string target_;
  const Report report_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_[kSizes];  // caller's thread only
  std::deque<Slot*> submitted_;      // in order, until reported; caller's thread only
  Slot* prepared_ = nullptr;

  std::mutex mutex_;
  std::condition_variable queued_;    // workers wait here for files
  std::condition_variable finished_;  // the caller waits here for awaited_
  std::deque<Slot*> queue_;           // submitted, not yet started
  size_t idle_ = 0;                   // workers waiting on queued_
  const Slot* awaited_ = nullptr;     // the file the caller waits for
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::read
