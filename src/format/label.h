// The public label on every drive: what the shipment is, which slot this drive holds,
// how to unwrap the data key, and the digest of the catalog copy. Never a file name.
// FORMAT.md §Label.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codec/kdf.h"
#include "codec/sha256.h"
#include "format/layout.h"

namespace ferry::format {

// One way of unwrapping the data key.
struct KeyWrap {
  std::string type;  // "key-file" or "passphrase"
  codec::ScryptParams scrypt;  // passphrase only
  std::vector<uint8_t> salt;
  codec::Nonce nonce{};
  std::vector<uint8_t> wrapped;  // encrypted data key followed by its GCM tag
  bool operator==(const KeyWrap&) const = default;
};

// A shipment's labels say kPacking until every block and catalog copy is durable.
enum class LabelState { kPacking, kComplete };
// "packing" or "complete", as labels and reports spell it.
const char* label_state_name(LabelState state);

struct Label {
  ShipmentId shipment{};
  int64_t created_unix = 0;
  LabelState state = LabelState::kPacking;
  uint32_t slot = 0;
  Layout layout;
  uint32_t pack_attempt = 1;  // nonce prefix of the current pack attempt
  uint64_t stripes = 0;       // stripes written when complete
  uint64_t stream_bytes = 0;  // bytes of the data stream when complete
  uint64_t catalog_bytes = 0;
  codec::Digest catalog_sha256{};
  std::vector<KeyWrap> keys;

  // While packing: the last checkpoint, from which an interrupted pack resumes.
  struct Checkpoint {
    uint64_t sequence = 0;    // file checkpoint-<sequence>.ferry holds the catalog
    uint64_t stripes = 0;     // stripes below this are durable
    int64_t last_entry = 0;   // entries up to this id are packed
    uint64_t bytes = 0;       // size and digest of the checkpoint file
    codec::Digest sha256{};
  };
  std::optional<Checkpoint> checkpoint;

  bool complete() const { return state == LabelState::kComplete; }
};

// Throws kInvalidArgument when scrypt with `params` would cost more memory or time than
// SECURITY.md §Resource bounds allows: checked on every label read and before a pack.
void validate_scrypt(const codec::ScryptParams& params);

// Serialises with a CRC32C over the rest of the document, so damage is noticed
// without a key.
std::string label_to_json(const Label& label);

// Parses and checks a label read from `where`. Throws kUnsupported for an unknown
// format version and kCorruption for anything damaged or malformed.
Label label_from_json(const std::string& text, const std::string& where);

}  // namespace ferry::format
