// What one drive given to a command turned out to be.
#pragma once

namespace ferry {

enum class DriveRole {
  kMember,      // a slot of the shipment, used
  kMissing,     // a slot of the shipment no drive given holds (reports only)
  kForeign,     // a drive of another shipment
  kDuplicate,   // a slot already given by another path
  kDisputed,    // of the shipment, readable, but its label disagrees with the others'
  kUnreadable,  // no label could be read (damaged, or a planted file)
  kNoShipment,  // no ferry folder there
};

// "member", "missing", "foreign", "duplicate", "disputed", "unreadable", "no-shipment":
// the spelling of reports and --json.
const char* drive_role_name(DriveRole role);

}  // namespace ferry
