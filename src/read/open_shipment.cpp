#include "read/open_shipment.h"

#include <algorithm>

#include "ferry/error.h"
#include "format/catalog_file.h"
#include "format/drive_folder.h"
#include "format/keys.h"

namespace ferry::read {
namespace {

// The label is public and its CRC anyone can recompute; the catalog is sealed with the
// key. What the label says of the layout and the stream must be what the catalog says.
void check_label_against_catalog(OpenShipment& s, const std::string& path) {
  const format::Label& label = s.drives.label;
  format::Catalog catalog = s.catalog();
  auto edited = [&](const std::string& what) {
    return Error(ErrorKind::kCorruption,
                 "the labels give the shipment's " + what + " otherwise than its catalog (" + path +
                     ", authenticated with the key) records: the labels were edited. Nothing "
                     "was written; check the drives' origin");
  };
  if (catalog.meta("layout") != format::layout_meta(label.layout)) throw edited("layout");
  if (catalog.meta("stream_bytes") != std::to_string(label.stream_bytes)) throw edited("size");
  s.attempts = format::PackAttempts::parse(catalog.meta("attempts").value_or(""), "catalog " + path);
}

}  // namespace

std::unique_ptr<OpenShipment> open_shipment(DriveSet drives, const Credentials& credentials,
                                            const io::ReadEnv& env) {
  auto s = std::make_unique<OpenShipment>();
  s->drives = std::move(drives);
  const format::Label& label = s->drives.label;
  auto key = format::unwrap_data_key(label, credentials);
  // The reference label's key wraps may be the one thing edited or damaged on it: any
  // drive of the shipment whose wraps open with the key will do (the catalog, sealed
  // with the data key, still has to open with what they give). Only wraps that differ
  // are tried: a wrong passphrase costs one derivation, not N.
  std::vector<const std::vector<format::KeyWrap>*> tried = {&label.keys};
  for (const DriveRecord& d : s->drives.drives) {
    if (key) break;
    if (!d.label || d.label->shipment != label.shipment) continue;
    const auto& keys = d.label->keys;
    if (std::any_of(tried.begin(), tried.end(), [&](auto* other) { return *other == keys; })) {
      continue;
    }
    tried.push_back(&keys);
    key = format::unwrap_data_key(*d.label, credentials);
    if (key) {
      s->catalog_problems.push_back("the key wraps in the labels of other drives do not open "
                                    "with the key given, those on " + d.given +
                                    " do: a label was edited or damaged");
    }
  }
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
      if (!format::drive_file_matches(path, label.catalog_bytes, label.catalog_sha256, env)) {
        s->catalog_problems.push_back("catalog copy " + path + " is damaged (digest mismatch)");
        continue;
      }
      format::open_catalog(path, s->catalog_file->path(), label.shipment, s->data_key,
                           format::kFinalCatalog, env);
      check_label_against_catalog(*s, path);
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
