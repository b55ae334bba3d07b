#include "export/prefetch.h"

#include <algorithm>

namespace ferry::exporting {

FilePrefetcher::FilePrefetcher(const Shipment& shipment, std::vector<const ShipmentEntry*> files,
                               size_t chunk_bytes, size_t max_bytes)
    : shipment_(shipment),
      files_(std::move(files)),
      chunk_bytes_(chunk_bytes),
      max_bytes_(std::max(max_bytes, chunk_bytes)) {
  thread_ = std::thread([this] { run(); });
}

FilePrefetcher::~FilePrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void FilePrefetcher::push(Chunk chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] {
    return cancel_ || queue_.empty() || queued_bytes_ + chunk.data.capacity() <= max_bytes_;
  });
  if (cancel_) return;
  queued_bytes_ += chunk.data.capacity();
  queue_.push_back(std::move(chunk));
  changed_.notify_all();
}

void FilePrefetcher::run() {
  for (const ShipmentEntry* file : files_) {
    uint64_t offset = 0;
    do {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (cancel_) return;
      }
      Chunk chunk;
      const uint64_t left = file->size - offset;
      if (left >= chunk_bytes_ / 2) {  // a small file's chunk takes a small buffer
        std::lock_guard<std::mutex> lock(mu_);
        if (!free_.empty()) {
          chunk.data = std::move(free_.back());
          free_.pop_back();
        }
      }
      try {
        size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, file->size - offset));
        chunk.data.resize(want);
        size_t got = want ? shipment_.read(*file, offset, chunk.data.data(), want) : 0;
        if (got == 0 && want > 0) {
          throw Error(ErrorKind::kCorruption, "the file ends before its catalog size");
        }
        chunk.data.resize(got);
        offset += got;
        chunk.last = offset >= file->size;
      } catch (const Error& e) {
        chunk.data.clear();
        chunk.error = e;
        chunk.last = true;
      } catch (const std::exception& e) {
        chunk.data.clear();
        chunk.error = Error(ErrorKind::kIO, e.what());
        chunk.last = true;
      }
      bool last = chunk.last;
      push(std::move(chunk));
      if (last) break;
    } while (true);
  }
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  changed_.notify_all();
}

void FilePrefetcher::recycle(Buffer buffer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.size() < max_bytes_ / chunk_bytes_ + 2) free_.push_back(std::move(buffer));
}

FilePrefetcher::Chunk FilePrefetcher::next() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return !queue_.empty() || finished_; });
  if (queue_.empty()) throw Error(ErrorKind::kIO, "internal: export read past its last file");
  Chunk chunk = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= chunk.data.capacity();
  changed_.notify_all();
  return chunk;
}

}  // namespace ferry::exporting
