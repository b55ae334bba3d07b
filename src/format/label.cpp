#include "format/label.h"

#include <nlohmann/json.hpp>

#include "codec/crc32c.h"
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

std::vector<uint8_t> parse_hex_vector(const json& j, const char* field) {
  std::string s = j.at(field).get<std::string>();
  std::vector<uint8_t> v(s.size() / 2);
  if (s.size() % 2 || !codec::from_hex(s, v.data(), v.size())) {
    throw std::invalid_argument(std::string("bad ") + field);
  }
  return v;
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
          {"state", l.state},
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

std::string label_to_json(const Label& label) {
  json body = body_of(label);
  body["crc32c"] = crc_of(body);
  return body.dump(2) + "\n";
}

Label label_from_json(const std::string& text, const std::string& where) {
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
    int version = j.at("version").get<int>();
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
    Label l;
    parse_hex(j, "shipment", l.shipment);
    l.created_unix = j.at("created_unix").get<int64_t>();
    l.state = j.at("state").get<std::string>();
    l.slot = j.at("slot").get<uint32_t>();
    l.layout.k = j.at("data_drives").get<uint32_t>();
    l.layout.m = j.at("parity_drives").get<uint32_t>();
    l.layout.block_size = j.at("block_size").get<uint32_t>();
    l.layout.segment_stripes = j.at("segment_stripes").get<uint64_t>();
    l.pack_attempt = j.at("pack_attempt").get<uint32_t>();
    l.stripes = j.at("stripes").get<uint64_t>();
    l.stream_bytes = j.at("stream_bytes").get<uint64_t>();
    l.catalog_bytes = j.at("catalog").at("bytes").get<uint64_t>();
    parse_hex(j.at("catalog"), "sha256", l.catalog_sha256);
    if (j.at("drives").get<uint32_t>() != l.layout.n() || l.slot >= l.layout.n()) {
      throw std::invalid_argument("inconsistent drive counts");
    }
    validate(l.layout);
    if (j.contains("checkpoint")) {
      const json& c = j.at("checkpoint");
      Label::Checkpoint cp;
      cp.sequence = c.at("sequence").get<uint64_t>();
      cp.stripes = c.at("stripes").get<uint64_t>();
      cp.last_entry = c.at("last_entry").get<int64_t>();
      cp.bytes = c.at("bytes").get<uint64_t>();
      parse_hex(c, "sha256", cp.sha256);
      l.checkpoint = cp;
    }
    for (const json& k : j.at("keys")) {
      KeyWrap w;
      w.type = k.at("type").get<std::string>();
      w.salt = parse_hex_vector(k, "salt");
      parse_hex(k, "nonce", w.nonce);
      w.wrapped = parse_hex_vector(k, "wrapped");
      if (w.type == "passphrase") {
        const json& kdf = k.at("kdf");
        if (kdf.at("name").get<std::string>() != "scrypt") {
          throw std::invalid_argument("unknown KDF");
        }
        w.scrypt.log2_n = kdf.at("log2_n").get<uint64_t>();
        w.scrypt.r = kdf.at("r").get<uint32_t>();
        w.scrypt.p = kdf.at("p").get<uint32_t>();
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
