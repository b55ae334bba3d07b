// Fuzzes the catalog readers. The first byte picks the target:
//  even: the sealed catalog file (header parsing, chunking, authentication);
//  odd:  the SQLite catalog itself, as a decrypted but hostile database (the key holder
//        may be the attacker), read the way restore reads it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "ferry/error.h"
#include "format/catalog.h"
#include "format/catalog_file.h"
#include "format/entry_check.h"
#include "util/safe_path.h"

namespace {

std::string temp_path(const char* stem) {
  return std::string("/tmp/") + stem + "-" + std::to_string(::getpid());
}

void write(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string in = temp_path("ferry-fuzz-in"), out = temp_path("ferry-fuzz-out");
  write(in, data + 1, size - 1);
  try {
    if (data[0] % 2 == 0) {
      ferry::format::ShipmentId id{};
      ferry::codec::Key key{};
      ferry::format::open_catalog(in, out, id, key);
    } else {
      auto catalog = ferry::format::Catalog::open_readonly(in);
      auto cursor = catalog.entries();
      ferry::format::Entry e;
      std::string why;
      while (cursor.next(e)) {
        ferry::util::is_safe_relative_path(e.path, &why);
        catalog.find(e.path);
        // Hostile extents: any offset, size and frames must be refused or accepted,
        // never overflow, against a small stream and the largest one.
        for (uint64_t stream : {uint64_t{1} << 20, ~uint64_t{0}}) {
          try {
            ferry::format::check_extent(e, stream);
          } catch (const ferry::Error&) {
          }
        }
      }
    }
  } catch (const ferry::Error&) {
  }
  ::unlink(in.c_str());
  ::unlink(out.c_str());
  return 0;
}
