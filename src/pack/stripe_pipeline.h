// The back half of pack: takes stripes of plaintext units, lets an optional ordered
// stage read each one (pack hashes the files there), seals each unit with AES-256-GCM,
// computes Reed–Solomon parity, CRCs and headers on a pool of threads, and has one
// writer per drive append its blocks in stripe order. A fixed ring of stripe buffers
// bounds memory whatever the size of the data.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codec/aead.h"
#include "ferry/write_env.h"
#include "format/layout.h"

namespace ferry::pack {

struct PipelineConfig {
  format::ShipmentId shipment{};
  format::Layout layout;
  codec::Key block_key{};          // the data key's block sub-key
  uint32_t attempt = 1;            // nonce prefix; unique per pack attempt
  std::vector<std::string> folders;  // shipment folder of each slot, index = slot
  int threads = 2;                 // encoder threads
  uint64_t first_stripe = 0;       // where this attempt starts writing
  const io::WriteEnv* env = &io::WriteEnv::posix();
  // Called on a thread of its own for every stripe, in stripe order, after it is
  // submitted and before it is sealed: the plaintext is still there to read.
  std::function<void(uint64_t stripe)> before_seal;
};

class StripePipeline {
 public:
  explicit StripePipeline(const PipelineConfig& config);
  ~StripePipeline();  // abandons unfinished work; call finish() to complete it
  StripePipeline(const StripePipeline&) = delete;
  StripePipeline& operator=(const StripePipeline&) = delete;

  // The plaintext area (unit_plain() bytes) of data unit j of the stripe being filled.
  // Blocks until a ring buffer is free. Throws the first error of any thread.
  uint8_t* unit(uint32_t j);
  // Hands the filled stripe over; the next unit() call starts the next stripe.
  void submit();
  // Waits until every submitted stripe is written, then fsyncs the segment files written
  // since the last call: afterwards those blocks survive a crash or power loss.
  void sync();
  // Waits until every submitted stripe is on the drives and fsynced; throws the first
  // error of any thread.
  void finish();
  uint64_t next_stripe() const { return next_stripe_; }

 private:
  struct Slot {
    std::unique_ptr<uint8_t[]> buffer;  // n records of header + payload, in member order
    uint64_t stripe = 0;
    enum State { kFree, kFilling, kSubmitted, kQueued, kEncoded } state = kFree;
    uint32_t writers_left = 0;
  };

  // What a thread that handles stripes in order finds at its next stripe.
  enum class Turn { kGo, kEnd, kStop };  // kEnd: finish() left none; kStop: failed or abandoned
  // Waits on `cv` until `stripe` is in `state`, or there is nothing more to do.
  Turn wait_turn(uint64_t stripe, Slot::State state, std::condition_variable& cv);
  void before_seal_loop();
  void encode_loop();
  void write_loop(uint32_t slot_index);
  void fail(std::exception_ptr error);  // records the first error and wakes everyone
  void rethrow_if_failed();             // caller holds mutex_
  Slot& acquire();

  PipelineConfig config_;
  size_t record_size_;
  std::vector<Slot> ring_;
  uint64_t next_stripe_;  // the stripe being filled (producer only)
  uint64_t synced_stripe_;  // stripes below this are durable
  Slot* filling_ = nullptr;

  std::mutex mutex_;
  // One condition per kind of waiter, so that a change wakes only the threads it
  // concerns: on two cores, every needless wakeup preempted the thread doing real work
  // (mostly the hasher, which all the others wait for).
  std::condition_variable slot_freed_;  // main, for a free slot (acquire, sync)
  std::condition_variable submitted_;   // the before_seal thread
  std::condition_variable queued_;      // the encoders
  std::condition_variable encoded_;     // the writers
  void wake_everyone();                 // after an error, a stop or finish()
  std::vector<uint64_t> encode_queue_;  // stripes ready for encoding, FIFO
  size_t encode_head_ = 0;
  uint64_t queued_end_;  // stripes below this have entered encode_queue_
  uint64_t end_stripe_ = UINT64_MAX;  // set by finish(): no stripe at or past it will come
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::pack
