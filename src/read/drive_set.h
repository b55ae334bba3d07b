// The drives a user named, sorted out: which slot of which shipment each holds, which
// belong to another shipment, which are unreadable, and which slots are missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferry/drive_role.h"
#include "ferry/read_env.h"
#include "format/label.h"

namespace ferry::read {

struct DriveRecord {
  std::string given;   // the path as the user gave it
  std::string folder;  // the shipment folder found there (may be empty)
  std::optional<format::Label> label;
  DriveRole role = DriveRole::kNoShipment;  // never kMissing
  std::string problem;  // for anything but kMember: what is wrong, for people
};

struct DriveSet {
  format::Label label;  // the chosen shipment's label (its `slot` is the first member's)
  std::vector<std::string> folders;  // index = slot; empty string when the slot is missing
  std::vector<DriveRecord> drives;   // one per path given, in the order given
  // Some drive of the shipment has a label that disagrees with the reference label (chosen
  // by majority): reading around it is safe, writing (repair) is not.
  bool layout_disputed = false;
  // Said of drives used: one that holds other shipments too.
  std::vector<std::string> notes;

  uint32_t present() const;
  std::vector<uint32_t> missing() const;
  // Warnings about drives not used (foreign, duplicate, unreadable, empty), then `notes`.
  std::vector<std::string> warnings() const;
};

// Reads the labels on `paths` and keeps the shipment most of them belong to, with the
// label most of its drives agree with as the reference. Throws
// kInvalidArgument when no path holds a readable ferry label.
// `shipment`, when not empty, is the shipment id or a unique prefix of it (hex, any case):
// that shipment is kept instead, and kInvalidArgument thrown when no drive holds it or
// the prefix names more than one.
// Labels are read through `env`.
DriveSet open_drives(const std::vector<std::string>& paths, const std::string& shipment = "",
                     const io::ReadEnv& env = io::ReadEnv::posix());

// How many stripes the segment files in `folder` reach (a partial last block counts):
// what a drive can hold at most, whatever its label claims.
uint64_t stripes_held(const std::string& folder, const format::Layout& layout);

// The most stripes any present drive of `set` reaches. Stripes beyond it are on no drive:
// readers count them lost in bulk instead of looking for each, so a label claiming
// 2^40 stripes costs no time.
uint64_t stripes_on_drives(const DriveSet& set);

// Throws kNotEnoughDrives naming the missing slots and how many more are needed.
void require_k(const DriveSet& set);

// The ferry-wide "incomplete shipment" refusal.
void require_complete(const DriveSet& set);

// What restore and the mount say of a slot not attached, read around with parity.
std::string missing_slot_warning(uint32_t slot, uint32_t n);

}  // namespace ferry::read
