// verify: a keyless pass over every block of every present drive (header, position,
// CRC, parity recomputed per stripe), then with the key a pass that authenticates
// every unit and re-hashes every file as restore would, writing nothing.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "codec/kdf.h"
#include "ferry/error.h"
#include "ferry/verify.h"
#include "format/catalog_file.h"
#include "format/constants.h"
#include "format/drive_folder.h"
#include "format/entry_check.h"
#include "io/file.h"
#include "read/drive_set.h"
#include "read/file_streamer.h"
#include "read/open_shipment.h"
#include "read/stream_file_hasher.h"
#include "read/stripe_reader.h"
#include "read/stripe_source.h"
#include "util/batch_claims.h"
#include "util/threads.h"

namespace ferry {
namespace {

constexpr size_t kExamplesPerDrive = 5;
constexpr uint64_t kStripesPerClaim = 8;


// Per-slot tallies of the keyless pass, merged from the workers.
struct Tally {
  uint64_t by_status[7] = {};
  std::vector<std::string> examples;
};

class BlockScan {
 public:
  // Scans stripes below `end`; those from `end` to the label's count are on no drive.
  BlockScan(const read::DriveSet& set, const io::ReadEnv& env, Progress& progress, uint64_t end)
      : set_(set), reader_(set.label, set.folders, env), progress_(progress), end_(end),
        tallies_(set.label.layout.n()) {}

  void run(int threads, VerifyReport& report) {
    util::BatchClaims claims(end_, kStripesPerClaim);
    util::run_claiming(threads, "ferry-verify", claims, [&] { work(claims); });
    const uint64_t beyond = set_.label.stripes - end_;  // on no drive: lost, every block missing
    for (uint32_t slot = 0; slot < tallies_.size(); ++slot) {
      if (set_.folders[slot].empty()) continue;
      tallies_[slot].by_status[static_cast<int>(read::BlockStatus::kMissing)] += beyond;
      if (beyond && tallies_[slot].examples.size() < kExamplesPerDrive) {
        tallies_[slot].examples.push_back("stripes " + std::to_string(end_) + " to " +
                                          std::to_string(set_.label.stripes - 1) +
                                          ": on no drive given (segment files end before)");
      }
    }
    report.stripes_intact = intact_;
    report.stripes_degraded = degraded_;
    report.stripes_lost = lost_ + beyond;
    report.parity_mismatches = mismatches_;
  }

  const Tally& tally(uint32_t slot) const { return tallies_[slot]; }

 private:
  void work(util::BatchClaims& claims) {
    const format::Layout& layout = set_.label.layout;
    const uint32_t n = layout.n(), k = layout.k;
    const size_t record = layout.record_size();
    std::vector<uint8_t> records(n * record), parity;
    std::vector<uint8_t*> payloads(n);
    for (uint32_t i = 0; i < n; ++i) payloads[i] = records.data() + i * record + format::kBlockHeaderSize;
    std::vector<Tally> local(n);
    uint64_t intact = 0, degraded = 0, lost = 0, mismatches = 0;
    uint64_t first, last;
    while (claims.next(first, last)) {
      for (uint64_t s = first; s < last; ++s) {
        uint32_t good = 0;
        for (uint32_t member = 0; member < n; ++member) {
          std::string problem;
          auto status = reader_.fetch(s, member, records.data() + member * record, &problem);
          uint32_t slot = layout.slot_of(s, member);
          if (!set_.folders[slot].empty()) {
            local[slot].by_status[static_cast<int>(status)]++;
            if (status != read::BlockStatus::kOk && local[slot].examples.size() < kExamplesPerDrive) {
              local[slot].examples.push_back(problem);
            }
            progress_.bytes_done += record;
          }
          good += status == read::BlockStatus::kOk;
        }
        if (good == n) {
          // Every CRC is right; parity recomputed from the data must match what is stored.
          if (reader_.stripe_format().parity_consistent(reader_.erasure(), payloads, parity)) {
            ++intact;
          } else {
            ++mismatches;
            ++degraded;
          }
        } else if (good >= k) {
          ++degraded;
        } else {
          ++lost;
        }
      }
    }
    std::lock_guard lock(mutex_);
    for (uint32_t slot = 0; slot < n; ++slot) {
      for (int i = 0; i < 7; ++i) tallies_[slot].by_status[i] += local[slot].by_status[i];
      for (auto& e : local[slot].examples) {
        if (tallies_[slot].examples.size() < kExamplesPerDrive) tallies_[slot].examples.push_back(e);
      }
    }
    intact_ += intact;
    degraded_ += degraded;
    lost_ += lost;
    mismatches_ += mismatches;
  }

  const read::DriveSet& set_;
  read::StripeReader reader_;
  Progress& progress_;
  const uint64_t end_;
  std::mutex mutex_;
  std::vector<Tally> tallies_;
  uint64_t intact_ = 0, degraded_ = 0, lost_ = 0, mismatches_ = 0;
};

// With the key: read every file as restore would and check its SHA-256.
void check_files(read::OpenShipment& shipment, const io::ReadEnv& env, int threads,
                 Progress& progress, VerifyReport& report) {
  const format::Layout& layout = shipment.drives.label.layout;
  read::StripeReader reader(shipment.drives.label, shipment.drives.folders, env, shipment.attempts);
  uint64_t next = 0, stripes = shipment.drives.label.stripes;
  // Raw files are hashed as their stripes are decoded (see restore), on a catalog
  // connection of its own.
  format::Catalog hash_catalog = shipment.catalog();
  format::Catalog::Cursor hash_entries = hash_catalog.entries();
  // A later name of a file (a hard link) shares the first one's bytes, checked with it.
  read::StreamFileHasher hasher(layout, [&](format::Entry& e) {
    while (hash_entries.next(e)) {
      if (!e.link) return true;
    }
    return false;
  });
  read::StripeSource source(reader, codec::hkdf(shipment.data_key, format::kBlockKeyInfo),
                            [&]() -> std::optional<uint64_t> {
                              if (next >= stripes) return std::nullopt;
                              return next++;
                            },
                            threads, hasher.stages());
  read::StreamCursor cursor(source, layout);
  read::FileStreamer streamer(cursor, threads);
  format::Catalog catalog = shipment.catalog();
  auto entries = catalog.entries();
  format::Entry e;
  while (entries.next(e)) {
    if (e.kind != format::EntryKind::kFile || e.link) continue;
    format::check_extent(e, shipment.drives.label.stream_bytes);
    if (!streamer.stream(e, [&](const uint8_t*, size_t n) { progress.bytes_done += n; })) {
      report.lost_files.push_back(e.path);
    }
    ++report.files_checked;
    ++progress.files_done;
  }
  cursor.drain();  // the stripes after the last file are authenticated too
  report.units_unauthentic = cursor.unauthentic();
  report.units_unrecoverable = cursor.unrecovered();
}

// The first segment file in `folder` holding more than the label's `stripes` account for,
// or "" when none does. Labels can be edited by anyone (their CRC is no seal): a label
// claiming fewer stripes than the drives hold would otherwise hide the rest from a
// keyless verify.
std::string blocks_beyond_label(const std::string& folder, const format::Label& label,
                                bool labels_vouched_for) {
  const format::Layout& layout = label.layout;
  const uint64_t segments = (label.stripes + layout.segment_stripes - 1) / layout.segment_stripes;
  for (const io::DriveFolderEntry& e : io::list_drive_folder(io::join(folder, format::kSegmentDir))) {
    const auto index = format::segment_of_file_name(e.name);
    if (!index || !S_ISREG(e.st.st_mode)) continue;  // a folder holds no blocks
    const uint64_t held = *index < segments ? std::min<uint64_t>(layout.segment_stripes,
                                                                 label.stripes - *index * layout.segment_stripes)
                                            : 0;
    if (static_cast<uint64_t>(e.st.st_size) > held * layout.record_size()) {
      return format::segment_path(folder, *index) + " holds blocks beyond the " +
             std::to_string(label.stripes) + " stripes the labels claim " +
             (labels_vouched_for
                  ? "(the catalog vouches for the labels: leftovers of an interrupted pack "
                    "attempt, or bytes added since; nothing of the shipment)"
                  : "(labels edited? verify with the key to know)");
    }
  }
  return "";
}

// With the key every file is read back and the labels are checked against the catalog,
// which the key authenticates: blocks past the labels' end are then leftovers of an
// interrupted pack attempt (pack does not truncate them), not hidden data.
bool files_read_with_key(const VerifyReport& report, const read::DriveSet& set) {
  return report.keyed && report.catalog_intact && set.present() >= set.label.layout.k;
}

}  // namespace

VerifyReport verify_shipment(const VerifyOptions& o, Progress& progress) {
  const io::ReadEnv& env = o.env ? *o.env : io::ReadEnv::posix();
  int threads = util::worker_threads(o.threads);
  progress.phase = "opening";
  read::DriveSet set = read::open_drives(o.drives, o.shipment, env);
  read::require_complete(set);
  const format::Label& label = set.label;
  VerifyReport report;
  report.shipment_id = format::id_hex(label.shipment);
  report.k = label.layout.k;
  report.m = label.layout.m;
  report.stripes = label.stripes;
  report.keyed = !o.credentials.empty();

  // Catalog copies: checked against the digest in the label, no key needed.
  std::vector<bool> catalog_ok(label.layout.n(), false);
  for (uint32_t slot = 0; slot < label.layout.n(); ++slot) {
    if (set.folders[slot].empty()) continue;
    catalog_ok[slot] = format::catalog_copy_intact(set.folders[slot], label, env);
    report.catalog_intact = report.catalog_intact || catalog_ok[slot];
  }

  progress.phase = "checking blocks";
  const uint64_t scan_end = read::stripes_on_drives(set);
  progress.bytes_total = scan_end * label.layout.record_size() * set.present();
  BlockScan scan(set, env, progress, scan_end);
  scan.run(threads, report);

  for (const read::DriveRecord& d : set.drives) {
    DriveCheck c;
    c.path = d.given;
    c.role = d.role;
    c.problem = d.problem;
    if (d.role == DriveRole::kMember) {
      c.slot = static_cast<int>(d.label->slot);
      const Tally& t = scan.tally(d.label->slot);
      c.ok = t.by_status[static_cast<int>(read::BlockStatus::kOk)];
      c.missing = t.by_status[static_cast<int>(read::BlockStatus::kMissing)];
      c.truncated = t.by_status[static_cast<int>(read::BlockStatus::kTruncated)];
      c.damaged = t.by_status[static_cast<int>(read::BlockStatus::kDamaged)];
      c.misplaced = t.by_status[static_cast<int>(read::BlockStatus::kMisplaced)];
      c.foreign = t.by_status[static_cast<int>(read::BlockStatus::kForeign)];
      c.unreadable = t.by_status[static_cast<int>(read::BlockStatus::kUnreadable)];
      c.examples = t.examples;
      c.catalog_ok = catalog_ok[d.label->slot];
      std::string beyond = blocks_beyond_label(d.folder, label, files_read_with_key(report, set));
      if (!beyond.empty()) {
        c.examples.insert(c.examples.begin(), beyond);
        report.blocks_beyond_labels = true;
      }
    } else if (d.label) {
      c.slot = d.role == DriveRole::kForeign ? -1 : static_cast<int>(d.label->slot);
    }
    report.drives.push_back(c);
  }
  for (uint32_t slot : set.missing()) {
    DriveCheck c;
    c.slot = static_cast<int>(slot);
    c.role = DriveRole::kMissing;
    c.missing = label.stripes;
    c.problem = "slot " + std::to_string(slot) + " was not given";
    report.drives.push_back(c);
  }

  if (files_read_with_key(report, set)) {
    progress.phase = "checking files";
    progress.bytes_done = 0;
    progress.bytes_total = label.stream_bytes;
    auto shipment = read::open_shipment(set, o.credentials, env);  // throws kWrongKey
    check_files(*shipment, env, threads, progress, report);
  }

  bool damaged = report.stripes_degraded > 0 || report.stripes_lost > 0 ||
                 !set.missing().empty() || report.units_unauthentic > 0 ||
                 (report.blocks_beyond_labels && !files_read_with_key(report, set));
  for (const DriveCheck& c : report.drives) damaged = damaged || (c.role == DriveRole::kMember && !c.catalog_ok);
  // With the key every file was read back, so data is lost exactly when a file is: a
  // stripe short of k blocks may hold only padding. Without the key it must count as lost.
  bool files_read = files_read_with_key(report, set);
  bool data_lost = !report.catalog_intact ||
                   (files_read ? !report.lost_files.empty()
                               : report.stripes_lost > 0 || report.units_unrecoverable > 0);
  // Drives not attached are not damage: with those attached intact, the check is only
  // incomplete.
  report.attached = set.present();
  report.attached_intact = true;
  for (const DriveCheck& c : report.drives) {
    if (c.role != DriveRole::kMember) continue;
    report.attached_intact = report.attached_intact && c.catalog_ok && c.damaged + c.missing +
                             c.truncated + c.misplaced + c.foreign + c.unreadable == 0;
  }
  // Fewer than k attached and those intact; or k or more, every stripe rebuildable from
  // them, and nothing wrong but the drives not given (they may be on their way, or dead:
  // the user knows which; the report says how to go on either way).
  bool only_absent = report.attached_intact && report.catalog_intact &&
                     report.parity_mismatches == 0 && report.units_unauthentic == 0 &&
                     !report.blocks_beyond_labels && !set.missing().empty();
  for (const read::DriveRecord& d : set.drives) {
    // A drive given and unusable is damage; a path with no shipment at all (an empty
    // mount point, a path not there) is a drive not attached.
    only_absent = only_absent && (d.role == DriveRole::kMember || d.role == DriveRole::kNoShipment);
  }
  if (only_absent && (set.present() < label.layout.k || !data_lost)) {
    report.verdict = Verdict::kIncomplete;
  } else if (data_lost) {
    report.verdict = Verdict::kDataLost;
  } else if (damaged) {
    report.verdict = Verdict::kRecoverable;
  } else {
    report.verdict = Verdict::kIntact;
  }
  return report;
}

}  // namespace ferry
