#include "read/file_streamer.h"

#include <cstring>

#include "codec/sha256.h"
#include "ferry/error.h"
#include "format/constants.h"
#include "read/stream_file_hasher.h"

namespace ferry::read {

FileStreamer::FileStreamer(StreamCursor& cursor, int threads)
    : cursor_(cursor), threads_(threads) {}

void FileStreamer::skip_to(uint64_t pos, uint64_t end) {
  while (pos < end) {
    size_t len;
    bool ok;
    cursor_.at(pos, static_cast<size_t>(end - pos), &len, &ok);
    pos += len;
  }
}

void FileStreamer::skip(const format::Entry& e) { skip_to(e.offset, e.offset + e.stored); }

Gathered FileStreamer::gather(const format::Entry& e, util::ByteBuffer& stored) {
  stored.resize(e.stored);
  bool intact = true;
  for (uint64_t done = 0; done < e.stored;) {
    size_t len;
    bool ok;
    const uint8_t* p = cursor_.at(e.offset + done, static_cast<size_t>(e.stored - done), &len, &ok);
    intact = intact && ok;
    if (ok) std::memcpy(stored.data() + done, p, len);
    done += len;
  }
  if (!intact) return Gathered::kLost;
  if (!StreamFileHasher::hashes(e)) return Gathered::kToCheck;
  // The stripe holding the file's last byte carries its digest.
  std::optional<codec::Digest> digest = cursor_.digest_of(e.id);
  return e.stored == e.size && digest && *digest == e.sha256 ? Gathered::kChecked : Gathered::kLost;
}

bool FileStreamer::stream(const format::Entry& e, const Sink& sink) {
  codec::Sha256 sha;
  const bool hashed_ahead = StreamFileHasher::hashes(e);
  uint64_t produced = 0;
  auto emit = [&](const uint8_t* p, size_t n) {
    if (!hashed_ahead) sha.update(p, n);
    sink(p, n);
    produced += n;
  };
  const uint64_t end = e.offset + e.stored;
  uint64_t pos = e.offset;
  bool intact = true;
  if (e.encoding == format::Encoding::kRaw) {
    while (pos < end && intact) {
      size_t len;
      bool ok;
      const uint8_t* p = cursor_.at(pos, static_cast<size_t>(end - pos), &len, &ok);
      intact = ok;
      if (ok) emit(p, len);
      pos += len;
    }
  } else if (e.encoding == format::Encoding::kZstdFrames) {
    // Gather each frame here, in order, while the pool decompresses those before it;
    // hash and hand out each in order. Once one is lost, the rest are only drained.
    if (!pool_) {
      pool_ = std::make_unique<codec::ZstdFramePool>(codec::ZstdFramePool::Direction::kDecompress,
                                                     format::kCompressionFrameSize, threads_);
    }
    codec::ZstdFramePool& frames = *pool_;
    frames.clear();
    size_t next = 0;
    while ((intact && next < e.frames.size()) || frames.in_flight() > 0) {
      if (intact && next < e.frames.size() && frames.has_room()) {
        const uint32_t frame = e.frames[next++];
        if (frame > frames.input_capacity() || pos + frame > end) {
          intact = false;
          continue;
        }
        uint8_t* in = frames.next_input();
        size_t got = 0;
        while (got < frame) {
          size_t len;
          bool ok;
          const uint8_t* p = cursor_.at(pos, frame - got, &len, &ok);
          intact = intact && ok;
          std::memcpy(in + got, p, len);
          got += len;
          pos += len;
        }
        if (intact) frames.submit(frame);
        continue;
      }
      std::pair<const uint8_t*, size_t> plain;
      try {
        plain = frames.take();
      } catch (const Error&) {
        intact = false;  // a frame that does not decompress; the sink's own errors pass
        continue;
      }
      if (intact) emit(plain.first, plain.second);
    }
  } else {
    intact = false;  // an encoding this version does not know
  }
  skip_to(pos, end);
  if (!intact || produced != e.size) return false;
  // The stripe holding the file's last byte carries its digest.
  std::optional<codec::Digest> digest = hashed_ahead ? cursor_.digest_of(e.id) : sha.finish();
  return digest && *digest == e.sha256;
}

}  // namespace ferry::read
