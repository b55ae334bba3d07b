#include "format/drive_folder.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "ferry/error.h"
#include "format/catalog_file.h"
#include "io/file.h"

namespace ferry::format {

std::vector<std::string> find_shipment_folders(const std::string& given) {
  if (io::exists(label_path(given))) return {given};
  DIR* dir = ::opendir(given.c_str());
  if (!dir) throw_errno("cannot read drive " + given, errno);
  std::vector<std::string> found;
  const std::string prefix = kShipmentDirPrefix;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.size() == prefix.size() + 32 && name.compare(0, prefix.size(), prefix) == 0) {
      // A link or file under a shipment folder's name is not one: never followed.
      std::string folder = io::join(given, name);
      try {
        io::require_real_directory(folder);
      } catch (const Error&) {
        continue;
      }
      found.push_back(folder);
    }
  }
  ::closedir(dir);
  std::sort(found.begin(), found.end());
  return found;
}

std::string label_path(const std::string& folder) { return io::join(folder, kLabelFile); }
std::string catalog_path(const std::string& folder) { return io::join(folder, kCatalogFile); }
std::string segment_path(const std::string& folder, uint64_t segment) {
  return io::join(io::join(folder, kSegmentDir), segment_file_name(segment));
}

std::string checkpoint_path(const std::string& folder, uint64_t sequence) {
  return io::join(folder, std::string(kCheckpointPrefix) + std::to_string(sequence) + ".ferry");
}

bool catalog_copy_intact(const std::string& folder, const Label& label, const io::ReadEnv& env) {
  try {
    return drive_file_matches(catalog_path(folder), label.catalog_bytes, label.catalog_sha256, env);
  } catch (const Error&) {
    return false;
  }
}

Label read_label(const std::string& folder, const io::ReadEnv& env) {
  std::string path = label_path(folder);
  std::string text;
  try {
    text = io::read_untrusted_file(env, path, kMaxLabelBytes);
  } catch (const Error& e) {
    throw Error(ErrorKind::kCorruption, std::string("label unreadable: ") + e.what());
  }
  return label_from_json(text, path);
}

void write_label(const std::string& folder, const Label& label, const io::WriteEnv& env) {
  env.write_atomically(label_path(folder), label_to_json(label));
}

void write_note(const std::string& folder, const Label& label, const io::WriteEnv& env) {
  char when[64];
  std::time_t t = label.created_unix;
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  std::string id = id_hex(label.shipment);
  std::string n = std::to_string(label.layout.n()), k = std::to_string(label.layout.k);
  std::string text =
      "This drive holds part of a ferry shipment.\n\n"
      "  shipment: " + id + "\n"
      "  created:  " + when + "\n"
      "  drive:    slot " + std::to_string(label.slot) + " of " + n + " (numbered from 0)\n"
      "  layout:   " + k + " data + " + std::to_string(label.layout.m) + " parity: any " + k +
      " of the " + n + " drives restore everything.\n\n"
      "The contents are encrypted. To check the drives without the key:\n"
      "  ferry verify /mnt/drive1 /mnt/drive2 ...\n"
      "To restore, with at least " + k + " drives of this shipment attached (any order, any\n"
      "mount paths) and the shipment's key file or passphrase:\n"
      "  ferry restore /mnt/drive1 /mnt/drive2 ... --to /restored --key-file KEYFILE\n\n"
      "Do not change or delete anything in this folder. docs/FORMAT.md in the ferry\n"
      "sources describes every byte of it.\n";
  env.write_atomically(io::join(folder, kNoteFile), text);
}

}  // namespace ferry::format
