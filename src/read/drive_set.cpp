#include "read/drive_set.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "ferry/error.h"
#include "format/block.h"
#include "format/drive_folder.h"
#include "io/file.h"

namespace ferry {

const char* drive_role_name(DriveRole role) {
  switch (role) {
    case DriveRole::kMember: return "member";
    case DriveRole::kMissing: return "missing";
    case DriveRole::kForeign: return "foreign";
    case DriveRole::kDuplicate: return "duplicate";
    case DriveRole::kDisputed: return "disputed";
    case DriveRole::kUnreadable: return "unreadable";
    case DriveRole::kNoShipment: return "no-shipment";
  }
  return "?";
}

}  // namespace ferry

namespace ferry::read {

uint32_t DriveSet::present() const {
  uint32_t n = 0;
  for (const auto& f : folders) n += !f.empty();
  return n;
}

std::vector<uint32_t> DriveSet::missing() const {
  std::vector<uint32_t> out;
  for (uint32_t s = 0; s < folders.size(); ++s) {
    if (folders[s].empty()) out.push_back(s);
  }
  return out;
}

std::vector<std::string> DriveSet::warnings() const {
  std::vector<std::string> out;
  for (const DriveRecord& d : drives) {
    if (d.role != DriveRole::kMember) out.push_back(d.problem);
  }
  out.insert(out.end(), notes.begin(), notes.end());
  return out;
}

static bool same_shipment_layout(const format::Label& a, const format::Label& b) {
  return a.layout.k == b.layout.k && a.layout.m == b.layout.m &&
         a.layout.block_size == b.layout.block_size &&
         a.layout.segment_stripes == b.layout.segment_stripes && a.stripes == b.stripes &&
         a.stream_bytes == b.stream_bytes && a.catalog_sha256 == b.catalog_sha256 &&
         a.state == b.state;
}

// The slot the first block on a drive says it was written for (keyless: the header's
// CRC is its check), or nullopt when no block header can be read there. Decides between
// two drives whose labels claim one slot: an edited label does not change the blocks.
static std::optional<uint32_t> slot_its_blocks_claim(const std::string& folder,
                                                     const format::ShipmentId& shipment,
                                                     const io::ReadEnv& env) {
  try {
    std::optional<uint64_t> first;
    for (const io::DriveFolderEntry& e :
         io::list_drive_folder(io::join(folder, format::kSegmentDir))) {
      const auto index = format::segment_of_file_name(e.name);
      if (index && S_ISREG(e.st.st_mode) && (!first || *index < *first)) first = index;
    }
    if (!first) return std::nullopt;
    auto file = env.open(format::segment_path(folder, *first));
    uint8_t header[format::kBlockHeaderSize];
    if (file->pread(header, sizeof header, 0) != sizeof header) return std::nullopt;
    std::string why;
    auto h = format::decode_block_header(header, &why);
    if (!h || h->shipment != shipment) return std::nullopt;
    return h->slot;
  } catch (const Error&) {
    return std::nullopt;
  }
}

static bool id_starts_with(const format::ShipmentId& id, const std::string& prefix) {
  std::string wanted;
  for (char c : prefix) wanted += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return format::id_hex(id).compare(0, wanted.size(), wanted) == 0;
}

// The shipment `prefix` names among those voted for.
static format::ShipmentId pinned_shipment(const std::map<format::ShipmentId, int>& votes,
                                          const std::string& prefix) {
  std::vector<format::ShipmentId> matches;
  std::string found;
  for (const auto& [id, count] : votes) {
    found += "\n  " + format::id_hex(id);
    if (id_starts_with(id, prefix)) matches.push_back(id);
  }
  if (matches.size() == 1) return matches.front();
  throw Error(ErrorKind::kInvalidArgument,
              std::string(matches.empty() ? "no drive given holds shipment " : "more than one shipment starts with ") +
                  prefix + (matches.empty() ? "" : "; give more of its id") + ". Shipments on the drives given:" +
                  found);
}

DriveSet open_drives(const std::vector<std::string>& paths, const std::string& shipment,
                     const io::ReadEnv& env) {
  DriveSet set;
  std::map<format::ShipmentId, int> votes;
  // Every readable shipment folder of each drive (index = drive given): a drive holding
  // several votes for each, and reads the one chosen.
  std::vector<std::vector<std::pair<std::string, format::Label>>> held(paths.size());
  for (const std::string& given : paths) {
    auto& found_here = held[set.drives.size()];
    DriveRecord d;
    d.given = given;
    try {
      auto folders = format::find_shipment_folders(given);
      if (folders.empty()) {
        d.problem = "drive " + given + " holds no ferry shipment";
      } else {
        // Prefer a complete shipment when a drive carries several; once the shipment to
        // read is chosen, a drive that holds it reads it (below).
        for (const std::string& folder : folders) {
          try {
            format::Label l = format::read_label(folder, env);
            found_here.emplace_back(folder, l);
            if (!d.label || (l.complete() && !d.label->complete())) {
              d.label = l;
              d.folder = folder;
            }
          } catch (const Error& e) {
            if (d.folder.empty()) {
              d.folder = folder;
              d.problem = e.what();
            }
          }
        }
        if (d.label) {
          d.problem.clear();
          try {
            // Blocks are read and repaired below it: a planted link is not followed.
            io::require_real_directory(io::join(d.folder, format::kSegmentDir));
          } catch (const Error& e) {
            d.label.reset();
            d.problem = "drive " + given + ": " + e.what() + "; ignoring this drive";
          }
        }
        if (d.label) {
          std::set<format::ShipmentId> ids;
          for (const auto& [folder, l] : found_here) ids.insert(l.shipment);
          for (const format::ShipmentId& id : ids) ++votes[id];
        } else {
          d.role = DriveRole::kUnreadable;
          if (d.problem.empty()) d.problem = "drive " + given + ": label unreadable";
        }
      }
    } catch (const Error& e) {
      // A path that is not there (a drive not plugged in, `/mnt/*` matching its empty
      // mount point's name) holds no shipment, like an empty folder; not a damaged drive.
      const bool there = io::exists(given);
      d.role = there ? DriveRole::kUnreadable : DriveRole::kNoShipment;
      d.problem = there ? e.what() : "drive " + given + " does not exist (not attached?)";
    }
    set.drives.push_back(std::move(d));
  }
  if (votes.empty()) {
    std::string message = "no readable ferry shipment on the drives given:";
    for (const auto& d : set.drives) message += "\n  " + d.problem;
    throw Error(ErrorKind::kInvalidArgument, message);
  }
  // The shipment asked for, else the one most drives belong to; on a tie, the one named
  // first.
  format::ShipmentId chosen{};
  int best = 0;
  for (const DriveRecord& d : set.drives) {
    if (d.label && votes[d.label->shipment] > best) {
      best = votes[d.label->shipment];
      chosen = d.label->shipment;
    }
  }
  if (!shipment.empty()) chosen = pinned_shipment(votes, shipment);
  // A drive that holds the chosen shipment among others reads that one, and says so.
  for (size_t i = 0; i < set.drives.size(); ++i) {
    DriveRecord& d = set.drives[i];
    std::string others;
    const std::pair<std::string, format::Label>* wanted = nullptr;
    for (const auto& found : held[i]) {
      if (found.second.shipment == chosen) {
        wanted = &found;
      } else {
        others += (others.empty() ? "" : ", ") + format::id_short(found.second.shipment) + "…";
      }
    }
    if (!wanted || others.empty()) continue;
    set.notes.push_back("drive " + d.given + " also holds shipment " + others + "; reading " +
                        format::id_short(chosen) + "… (--shipment chooses)");
    if (!d.label || d.label->shipment == chosen) continue;
    try {
      io::require_real_directory(io::join(wanted->first, format::kSegmentDir));
      d.label = wanted->second;
      d.folder = wanted->first;
    } catch (const Error&) {
      // Left as it was: a drive of another shipment here.
    }
  }
  // The reference label is the one most drives of the shipment agree with, whatever
  // order they were named in: one edited label is an odd drive, not the rule. On a tie a
  // complete label wins (labels turn complete last), then the one named first.
  const format::Label* reference = nullptr;
  int reference_votes = 0;
  for (const DriveRecord& d : set.drives) {
    if (!d.label || d.label->shipment != chosen) continue;
    int agree = 0;
    for (const DriveRecord& other : set.drives) {
      agree += other.label && other.label->shipment == chosen &&
               same_shipment_layout(*other.label, *d.label);
    }
    if (agree > reference_votes ||
        (agree == reference_votes && d.label->complete() && !reference->complete())) {
      reference = &*d.label;
      reference_votes = agree;
    }
  }
  set.label = *reference;
  set.folders.assign(set.label.layout.n(), "");
  std::vector<DriveRecord*> holder(set.label.layout.n(), nullptr);
  for (DriveRecord& d : set.drives) {
    if (!d.label) continue;
    const format::Label& l = *d.label;
    if (l.shipment != chosen) {
      d.role = DriveRole::kForeign;
      d.problem = "drive " + d.given + " belongs to shipment " + format::id_short(l.shipment) +
                  "…, not " + format::id_short(chosen) + "…; ignoring it";
    } else if (l.complete() != set.label.complete()) {
      set.layout_disputed = true;
      // Labels turn "complete" last, drive by drive; pack run again completes the rest.
      d.role = DriveRole::kDisputed;
      d.problem = "drive " + d.given + " (slot " + std::to_string(l.slot) +
                  ") is of this shipment, but its pack was stopped while the labels were turning "
                  "complete (its label says \"" + format::label_state_name(l.state) +
                  "\" where others say \"" + format::label_state_name(set.label.state) +
                  "\"); run the same `ferry pack` command again to finish it; "
                  "ignoring this drive";
    } else if (!same_shipment_layout(l, set.label)) {
      set.layout_disputed = true;
      d.role = DriveRole::kDisputed;
      d.problem = "drive " + d.given + " (slot " + std::to_string(l.slot) +
                  ") has a label that disagrees with the other drives on the layout, size or "
                  "state of the shipment (edited?); ignoring it";
    } else if (holder[l.slot]) {
      // Two labels claim one slot: the drive whose blocks say so keeps it, whichever was
      // named first; a copied or edited label does not push an honest drive out.
      DriveRecord* first = holder[l.slot];
      const auto theirs = slot_its_blocks_claim(first->folder, chosen, env);
      const auto mine = slot_its_blocks_claim(d.folder, chosen, env);
      DriveRecord* odd = &d;
      if (theirs && *theirs != l.slot && mine == l.slot) {
        odd = first;
        holder[l.slot] = &d;
        set.folders[l.slot] = d.folder;
        d.role = DriveRole::kMember;
      }
      odd->role = DriveRole::kDuplicate;
      const auto odd_blocks = odd == &d ? mine : theirs;
      if (odd_blocks && *odd_blocks != l.slot) {
        odd->problem = "drive " + odd->given + " has a label saying slot " +
                       std::to_string(l.slot) + ", but its blocks are slot " +
                       std::to_string(*odd_blocks) + "'s (label edited or copied?); ignoring it";
      } else {
        odd->problem = "drive " + odd->given + " is slot " + std::to_string(l.slot) +
                       " again (already given as " + holder[l.slot]->given + "); ignoring it";
      }
    } else {
      d.role = DriveRole::kMember;
      holder[l.slot] = &d;
      set.folders[l.slot] = d.folder;
    }
  }
  return set;
}

uint64_t stripes_held(const std::string& folder, const format::Layout& layout) {
  uint64_t held = 0;
  for (const io::DriveFolderEntry& e : io::list_drive_folder(io::join(folder, format::kSegmentDir))) {
    const auto index = format::segment_of_file_name(e.name);
    if (!index || !S_ISREG(e.st.st_mode) || *index > format::kMaxStripes) continue;
    const uint64_t records = (static_cast<uint64_t>(e.st.st_size) + layout.record_size() - 1) / layout.record_size();
    held = std::max<uint64_t>(held, *index * layout.segment_stripes + records);
  }
  return held;
}

uint64_t stripes_on_drives(const DriveSet& set) {
  uint64_t most = 0;
  for (const std::string& folder : set.folders) {
    if (!folder.empty()) most = std::max(most, stripes_held(folder, set.label.layout));
  }
  return std::min(most, set.label.stripes);
}

void require_k(const DriveSet& set) {
  uint32_t k = set.label.layout.k;
  if (set.present() >= k) return;
  std::string missing;
  for (uint32_t s : set.missing()) missing += (missing.empty() ? "" : ", ") + std::to_string(s);
  // Drives given but not counted (foreign, duplicate, unreadable) are named, so the user
  // learns why fewer are "here" than were given.
  std::string ignored;
  for (const std::string& w : set.warnings()) ignored += "\n  " + w;
  throw Error(ErrorKind::kNotEnoughDrives,
              "shipment " + format::id_short(set.label.shipment) + "… needs any " +
                  std::to_string(k) + " of its " + std::to_string(set.label.layout.n()) +
                  " drives, but only " + std::to_string(set.present()) +
                  " are here; missing slots: " + missing + ". Attach " +
                  std::to_string(k - set.present()) + " more of the missing drives. Nothing was written." +
                  ignored);
}

std::string missing_slot_warning(uint32_t slot, uint32_t n) {
  return "the drive of slot " + std::to_string(slot) + " (of " + std::to_string(n) +
         ") is not attached: its blocks are rebuilt from parity";
}

void require_complete(const DriveSet& set) {
  if (set.label.complete()) return;
  throw Error(ErrorKind::kConflict,
              "shipment " + format::id_short(set.label.shipment) +
                  "… was never finished (pack was interrupted); run the same `ferry pack` "
                  "command again to complete it");
}

}  // namespace ferry::read
