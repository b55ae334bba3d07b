#include "export/py_json.h"

#include <cstdio>

namespace ferry::exporting {
namespace {

void put_escape(std::string& out, uint32_t unit) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u%04x", unit);
  out += buf;
}

void put_string(std::string& out, const std::string& s) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      put_escape(out, c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      uint32_t cp = c & (0x3F >> extra);
      for (int j = 0; j < extra && i + 1 < s.size(); ++j) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F);
      }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        put_escape(out, 0xD800 + (cp >> 10));
        put_escape(out, 0xDC00 + (cp & 0x3FF));
      } else {
        put_escape(out, cp);
      }
    }
  }
  out += '"';
}

void put(std::string& out, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      out += "null";
      break;
    case nlohmann::json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_float:
      out += v.dump();
      break;
    case nlohmann::json::value_t::string:
      put_string(out, v.get_ref<const std::string&>());
      break;
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ", ";
        first = false;
        put(out, item);
      }
      out += ']';
      break;
    }
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        put_string(out, key);
        out += ": ";
        put(out, item);
      }
      out += '}';
      break;
    }
    default:
      out += "null";
      break;
  }
}

}  // namespace

std::string python_json(const nlohmann::json& value) {
  std::string out;
  put(out, value);
  return out;
}

}  // namespace ferry::exporting
