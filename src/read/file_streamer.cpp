#include "read/file_streamer.h"

#include <cstring>

#include "codec/sha256.h"
#include "ferry/error.h"
#include "format/constants.h"
#include "read/stream_file_hasher.h"

namespace ferry::read {

FileStreamer::FileStreamer(StreamCursor& cursor)
    : cursor_(cursor),
      frame_in_(codec::zstd_bound(format::kCompressionFrameSize)),
      frame_out_(format::kCompressionFrameSize) {}

void FileStreamer::skip_to(uint64_t pos, uint64_t end) {
  while (pos < end) {
    size_t len;
    bool ok;
    cursor_.at(pos, static_cast<size_t>(end - pos), &len, &ok);
    pos += len;
  }
}

void FileStreamer::skip(const format::Entry& e) { skip_to(e.offset, e.offset + e.stored); }

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
    for (uint32_t frame : e.frames) {
      if (frame > frame_in_.size() || pos + frame > end) {
        intact = false;
        break;
      }
      size_t got = 0;
      while (got < frame) {
        size_t len;
        bool ok;
        const uint8_t* p = cursor_.at(pos, frame - got, &len, &ok);
        intact = intact && ok;
        std::memcpy(frame_in_.data() + got, p, len);
        got += len;
        pos += len;
      }
      if (!intact) break;
      size_t plain;
      try {
        plain = zstd_.decompress(frame_in_.data(), frame, frame_out_.data(), frame_out_.size());
      } catch (const Error&) {
        intact = false;  // a frame that does not decompress; the sink's own errors pass
        break;
      }
      emit(frame_out_.data(), plain);
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
