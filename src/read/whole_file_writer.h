// Restore's files of medium size, written on a pool of threads, several at once. The
// thread that reads the stream only gathers each file's stored bytes into a buffer; a
// worker decompresses them when they are zstd frames, checks them against the catalog,
// writes them under a temporary name and renames them.
//
// Why: writing fresh pages into a file costs as much as all of restore's cryptography,
// and with one writing thread that thread held restore to about one core wherever files
// are compressed (on those it also hashes) or of a few hundred kilobytes. Two files can
// be written at once; one file cannot, its writers queue on the inode's lock. Small
// files stay with the caller: for them creating and renaming is most of the work, and
// threads doing that in one folder queue on the folder's lock, which made a restore of
// 200,000 files of a few KiB slower. Large files are streamed by the caller.
//
// Memory is a fixed set of buffers, reused from file to file: many for files up to
// 256 KiB, a few for larger ones, about 68 MiB at most.
#pragma once

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
  static constexpr uint64_t kMinStored = 64u << 10;
  static constexpr uint64_t kMaxStored = 16u << 20;
  // Whether a file goes to the pool: stored in that many bytes, in an encoding known.
  static bool takes(const format::Entry& e) {
    return e.stored >= kMinStored && e.stored <= kMaxStored &&
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
  void report_finished() { report(false); }
  // Waits for every file submitted and reports it.
  void finish() { report(true); }

  struct Worker;  // a writing thread's own folder handles and buffers (.cpp)

 private:
  struct BufferSize {
    uint64_t largest_file;
    size_t buffers;
  };
  static constexpr BufferSize kBufferSizes[] = {{256u << 10, 16}, {kMaxStored, 4}};
  static constexpr size_t kSizes = std::size(kBufferSizes);
  struct Slot {
    util::ByteBuffer stored;
    size_t buffer_size = 0;  // index in kBufferSizes
    format::Entry entry;
    Gathered gathered = Gathered::kLost;
    bool done = false;  // under mutex_
    bool written = false;
    std::exception_ptr error;
  };
  void report(bool wait_for_all);
  // Waits for the oldest file, frees its buffer and reports it. Called with `lock` held;
  // returns with it held, throws with it released.
  void report_oldest(std::unique_lock<std::mutex>& lock);
  void work();
  void write(Worker& worker, Slot& slot) const;

  const std::string target_;
  const Report report_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_[kSizes];  // caller's thread only
  std::deque<Slot*> submitted_;      // in order, until reported; caller's thread only
  Slot* prepared_ = nullptr;

  std::mutex mutex_;
  std::condition_variable queued_;    // workers wait here for a file
  std::condition_variable finished_;  // the caller waits here for the oldest file
  std::deque<Slot*> queue_;           // submitted, not yet started
  size_t idle_ = 0;                   // workers waiting on queued_
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::read
