#include "read/open_shipment.h"

#include "ferry/error.h"
#include "format/catalog_file.h"
#include "format/drive_folder.h"
#include "format/keys.h"

namespace ferry::read {

std::unique_ptr<OpenShipment> open_shipment(DriveSet drives, const Credentials& credentials) {
  auto s = std::make_unique<OpenShipment>();
  s->drives = std::move(drives);
  const format::Label& label = s->drives.label;
  auto key = format::unwrap_data_key(label, credentials);
  if (!key) {
    std::string what = credentials.key_file && credentials.passphrase ? "key file and passphrase"
                       : credentials.key_file                          ? "key file"
                                                                       : "passphrase";
    throw Error(ErrorKind::kWrongKey, "the " + what + " given does not open shipment " +
                                          format::id_short(label.shipment) +
                                          "… (wrong key or passphrase?); nothing was written");
  }
  s->data_key = *key;
  s->catalog_file = std::make_unique<io::TempFile>("ferry-catalog");
  for (const std::string& folder : s->drives.folders) {
    if (folder.empty()) continue;
    std::string path = format::catalog_path(folder);
    try {
      uint64_t size = 0;
      if (format::file_sha256(path, &size) != label.catalog_sha256 || size != label.catalog_bytes) {
        s->catalog_problems.push_back("catalog copy " + path + " is damaged (digest mismatch)");
        continue;
      }
      format::open_catalog(path, s->catalog_file->path(), label.shipment, s->data_key);
      return s;
    } catch (const Error& e) {
      s->catalog_problems.push_back(e.what());
    }
  }
  std::string message = "no intact catalog copy on the drives given:";
  for (const auto& p : s->catalog_problems) message += "\n  " + p;
  throw Error(ErrorKind::kCorruption, message + "\nattach another drive of the shipment");
}

}  // namespace ferry::read
