#include "format/label.h"

#include <nlohmann/json.hpp>

#include "codec/crc32c.h"
#include "codec/erasure.h"
#include "ferry/error.h"

namespace ferry::format {
namespace {

using nlohmann::json;

std::string hex(const std::vector<uint8_t>& v) { return codec::to_hex(v.data(), v.size()); }

template <size_t N>
void parse_hex(const json& j, const char* field, std::array<uint8_t, N>& out) {
  if (!codec::from_hex(j.at(field).get<std::string>(), out.data(), N)) {
    throw std::invalid_argument(std::string("bad ") + field);
  }
}

std::vector<uint8_t> parse_hex_vector(const json& j, const char* field, size_t max_bytes) {
  std::string s = j.at(field).get<std::string>();
  if (s.size() > 2 * max_bytes) throw std::invalid_argument(std::string(field) + " too long");
  std::vector<uint8_t> v(s.size() / 2);
  if (s.size() % 2 || !codec::from_hex(s, v.data(), v.size())) {
    throw std::invalid_argument(std::string("bad ") + field);
  }
  return v;
}

// A whole number in [0, max]: nlohmann's get<> would wrap a negative or oversized
// number silently, and every count here sizes a loop or an allocation.
uint64_t get_count(const json& j, const char* field, uint64_t max) {
  const json& v = j.at(field);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
    throw std::invalid_argument(std::string(field) + " is not a whole number");
  }
  uint64_t n = v.get<uint64_t>();
  if (n > max) {
    throw std::invalid_argument(std::string(field) + " = " + std::to_string(n) +
                                " exceeds " + std::to_string(max));
  }
  return n;
}

// Arrays and objects nested deeper than a label ever is are refused before parsing:
// the parser and the copies made of its result recurse once per level.
bool nested_deeper_than(const std::string& text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

json body_of(const Label& l) {
  json keys = json::array();
  for (const KeyWrap& w : l.keys) {
    json k = {{"type", w.type},
              {"salt", hex(w.salt)},
              {"nonce", codec::to_hex(w.nonce.data(), w.nonce.size())},
              {"wrapped", hex(w.wrapped)}};
    if (w.type == "passphrase") {
      k["kdf"] = {{"name", "scrypt"}, {"log2_n", w.scrypt.log2_n}, {"r", w.scrypt.r},
                  {"p", w.scrypt.p}};
    }
    keys.push_back(k);
  }
  json body = {{"format", "ferry"},
          {"version", kFormatVersion},
          {"shipment", id_hex(l.shipment)},
          {"created_unix", l.created_unix},
          {"state", label_state_name(l.state)},
          {"slot", l.slot},
          {"drives", l.layout.n()},
          {"data_drives", l.layout.k},
          {"parity_drives", l.layout.m},
          {"block_size", l.layout.block_size},
          {"segment_stripes", l.layout.segment_stripes},
          {"pack_attempt", l.pack_attempt},
          {"stripes", l.stripes},
          {"stream_bytes", l.stream_bytes},
          {"catalog", {{"bytes", l.catalog_bytes},
                       {"sha256", codec::to_hex(l.catalog_sha256)}}},
          {"keys", keys}};
  if (l.checkpoint) {
    const Label::Checkpoint& c = *l.checkpoint;
    body["checkpoint"] = {{"sequence", c.sequence},
                          {"stripes", c.stripes},
                          {"last_entry", c.last_entry},
                          {"bytes", c.bytes},
                          {"sha256", codec::to_hex(c.sha256)}};
  }
  return body;
}

std::string crc_of(const json& body) {
  std::string text = body.dump();
  uint32_t crc = codec::crc32c(text.data(), text.size());
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc);
  return buf;
}

}  // namespace

const char* label_state_name(LabelState state) {
  return state == LabelState::kComplete ? "complete" : "packing";
}

std::string label_to_json(const Label& label) {
  json body = body_of(label);
  body["crc32c"] = crc_of(body);
  return body.dump(2) + "\n";
}

void validate_scrypt(const codec::ScryptParams& s) {
  if (s.log2_n < kMinScryptLog2N || s.log2_n > 40 || s.r < 1 || s.r > kMaxScryptR || s.p < 1 ||
      s.p > kMaxScryptP || 128ull * s.r * (1ull << s.log2_n) > kMaxScryptMemory) {
    throw Error(ErrorKind::kInvalidArgument,
                "scrypt parameters log2_n " + std::to_string(s.log2_n) + ", r " +
                    std::to_string(s.r) + ", p " + std::to_string(s.p) +
                    " are beyond what ferry accepts (at most " +
                    std::to_string(kMaxScryptMemory >> 20) + " MiB of memory, p at most " +
                    std::to_string(kMaxScryptP) + ")");
  }
}

Label label_from_json(const std::string& text, const std::string& where) {
  if (text.size() > kMaxLabelBytes) {
    throw Error(ErrorKind::kCorruption, "label " + where + " is damaged (" +
                                            std::to_string(text.size()) + " bytes, more than " +
                                            std::to_string(kMaxLabelBytes) + ")");
  }
  if (nested_deeper_than(text, kMaxLabelDepth)) {
    throw Error(ErrorKind::kCorruption, "label " + where + " is damaged (nested too deeply)");
  }
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception&) {
    throw Error(ErrorKind::kCorruption, "label " + where + " is damaged (not valid JSON)");
  }
  try {
    if (!j.is_object() || j.value("format", "") != "ferry") {
      throw Error(ErrorKind::kCorruption, "label " + where + " is not a ferry label");
    }
    const uint64_t version = get_count(j, "version", 0xffff);
    if (version == 1) {
      throw Error(ErrorKind::kUnsupported,
                  "label " + where + " is format version 1, written by an earlier ferry: its "
                  "blocks are not bound to their pack attempt, which version " +
                      std::to_string(kFormatVersion) + " requires. Restore it with the ferry "
                      "release that packed it (0.1), then pack it again with this one");
    }
    if (version != kFormatVersion) {
      throw Error(ErrorKind::kUnsupported,
                  "label " + where + " is format version " + std::to_string(version) +
                      "; this ferry reads version " + std::to_string(kFormatVersion) +
                      " only: use a ferry release that supports it");
    }
    std::string stored_crc = j.at("crc32c").get<std::string>();
    json body = j;
    body.erase("crc32c");
    if (crc_of(body) != stored_crc) {
      throw Error(ErrorKind::kCorruption, "label " + where + " is damaged (checksum mismatch)");
    }
    // Every number is range-checked before it sizes anything (SECURITY.md §Resource
    // bounds); the layout is checked before k + m is taken.
    constexpr uint64_t kMaxDrives = codec::ReedSolomon::kMaxFragments;
    Label l;
    parse_hex(j, "shipment", l.shipment);
    l.created_unix = j.at("created_unix").get<int64_t>();
    const std::string state = j.at("state").get<std::string>();
    if (state == label_state_name(LabelState::kPacking)) {
      l.state = LabelState::kPacking;
    } else if (state == label_state_name(LabelState::kComplete)) {
      l.state = LabelState::kComplete;
    } else {
      throw std::invalid_argument("unknown state");
    }
    l.slot = static_cast<uint32_t>(get_count(j, "slot", kMaxDrives - 1));
    l.layout.k = static_cast<uint32_t>(get_count(j, "data_drives", kMaxDrives));
    l.layout.m = static_cast<uint32_t>(get_count(j, "parity_drives", kMaxDrives));
    l.layout.block_size = static_cast<uint32_t>(get_count(j, "block_size", kMaxBlockSize));
    l.layout.segment_stripes = get_count(j, "segment_stripes", kMaxStripes);
    l.pack_attempt = static_cast<uint32_t>(get_count(j, "pack_attempt", 0xffffffffu));
    l.stripes = get_count(j, "stripes", kMaxStripes);
    l.stream_bytes = get_count(j, "stream_bytes", UINT64_MAX);
    l.catalog_bytes = get_count(j.at("catalog"), "bytes", UINT64_MAX);
    parse_hex(j.at("catalog"), "sha256", l.catalog_sha256);
    if (get_count(j, "drives", 2 * kMaxDrives) != l.layout.k + l.layout.m || l.slot >= l.layout.k + l.layout.m) {
      throw std::invalid_argument("inconsistent drive counts");
    }
    validate(l.layout);
    if ((l.stream_bytes > 0 && (l.stream_bytes - 1) / l.layout.stripe_plain() >= l.stripes) ||
        (l.complete() && l.stripes != l.layout.stripes_for(l.stream_bytes))) {
      throw std::invalid_argument("stripes and stream_bytes disagree");
    }
    if (j.contains("checkpoint")) {
      const json& c = j.at("checkpoint");
      Label::Checkpoint cp;
      cp.sequence = get_count(c, "sequence", UINT64_MAX);
      cp.stripes = get_count(c, "stripes", kMaxStripes);
      cp.last_entry = static_cast<int64_t>(get_count(c, "last_entry", INT64_MAX));
      cp.bytes = get_count(c, "bytes", UINT64_MAX);
      parse_hex(c, "sha256", cp.sha256);
      l.checkpoint = cp;
    }
    const json& keys = j.at("keys");
    if (!keys.is_array() || keys.size() > kMaxKeyWraps) {
      throw std::invalid_argument("keys: not a list of at most " + std::to_string(kMaxKeyWraps));
    }
    for (const json& k : keys) {
      KeyWrap w;
      w.type = k.at("type").get<std::string>();
      w.salt = parse_hex_vector(k, "salt", 64);
      parse_hex(k, "nonce", w.nonce);
      w.wrapped = parse_hex_vector(k, "wrapped", 64);
      if (w.type == "passphrase") {
        const json& kdf = k.at("kdf");
        if (kdf.at("name").get<std::string>() != "scrypt") {
          throw std::invalid_argument("unknown KDF");
        }
        w.scrypt.log2_n = get_count(kdf, "log2_n", 63);
        w.scrypt.r = static_cast<uint32_t>(get_count(kdf, "r", 0xffffffffu));
        w.scrypt.p = static_cast<uint32_t>(get_count(kdf, "p", 0xffffffffu));
        try {
          validate_scrypt(w.scrypt);
        } catch (const Error& e) {
          throw std::invalid_argument(e.what());
        }
      }
      l.keys.push_back(std::move(w));
    }
    return l;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kCorruption,
                "label " + where + " is damaged or malformed (" + e.what() + ")");
  }
}

}  // namespace ferry::format
