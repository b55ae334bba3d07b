// repair: for every stripe, read what the drives hold, rebuild the members that are
// missing or damaged (parity works on ciphertext, so no key is needed) and write them
// back where they belong; then mend catalog copies and publish labels of rebuilt slots.
// Every write puts a correct block at its fixed place, so an interrupted repair is
// simply run again.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "codec/crc32c.h"
#include "codec/kdf.h"
#include "format/constants.h"
#include "format/keys.h"
#include "ferry/error.h"
#include "ferry/repair.h"
#include "ferry/write_env.h"
#include "format/block.h"
#include "format/catalog_file.h"
#include "format/drive_folder.h"
#include "format/stripe_format.h"
#include "io/drive_lock.h"
#include "io/file.h"
#include "read/drive_set.h"
#include "read/open_shipment.h"
#include "read/stripe_reader.h"
#include "util/batch_claims.h"
#include "util/threads.h"

namespace ferry {
namespace {

constexpr uint64_t kStripesPerClaim = 8;

// Writable segment files, opened on first use through the WriteEnv (which never
// follows a link planted in a segment's place) and fsynced at the end.
class SegmentWriter {
 public:
  SegmentWriter(const io::WriteEnv& env, std::vector<std::string> folders)
      : env_(env), folders_(std::move(folders)) {}

  void write(uint32_t slot, uint64_t segment, const uint8_t* record, size_t len, uint64_t offset) {
    io::WritableFile* file;
    {
      std::lock_guard lock(mutex_);
      auto& f = files_[{slot, segment}];
      if (!f) f = env_.open(format::segment_path(folders_[slot], segment));
      file = f.get();
    }
    file->pwrite(record, len, offset);
  }

  void sync_all() {
    for (auto& [key, file] : files_) {
      file->sync();
      file->close();
    }
    files_.clear();
  }

 private:
  const io::WriteEnv& env_;
  std::vector<std::string> folders_;
  std::mutex mutex_;
  std::map<std::pair<uint32_t, uint64_t>, std::unique_ptr<io::WritableFile>> files_;
};

// The shipment folder to use on a blank drive (or one whose copy of this shipment lost
// its label): refuses a drive that holds a complete shipment.
std::string prepare_blank(const std::string& drive, const format::ShipmentId& id) {
  if (!io::is_directory(drive)) {
    throw Error(ErrorKind::kInvalidArgument, "--rebuild " + drive + " is not a directory");
  }
  std::string folder = io::join(drive, format::shipment_dir_name(id));
  for (const std::string& other : format::find_shipment_folders(drive)) {
    if (other == folder) continue;
    throw Error(ErrorKind::kConflict, "--rebuild " + drive + " is not blank: it holds " + other +
                                          "; give an empty drive");
  }
  io::require_real_directory(folder);
  io::make_directories(io::join(folder, format::kSegmentDir));
  io::require_real_directory(io::join(folder, format::kSegmentDir));
  return folder;
}

// One thread's mending of stripes: reads every member, decides which are good (CRC,
// parity, and with the key authentication for the stripe's attempt), rebuilds the rest
// from k good ones and writes back those whose slot can be written.
class StripeMender {
 public:
  struct Totals {
    std::atomic<uint64_t> rewritten{0}, unrepairable{0}, unlocatable{0};
  };

  StripeMender(const read::StripeReader& reader, const format::PackAttempts& attempts,
               const std::optional<codec::Key>& block_key, const std::vector<std::string>& writable,
               SegmentWriter& writer, Totals& totals)
      : reader_(reader), format_(reader.stripe_format()), layout_(format_.layout()),
        attempts_(attempts), writable_(writable), writer_(writer), totals_(totals),
        record_(layout_.record_size()), records_(layout_.n() * record_), payloads_(layout_.n()),
        unit_(layout_.unit_plain()) {
    for (uint32_t i = 0; i < layout_.n(); ++i) payloads_[i] = records_.data() + i * record_ + format::kBlockHeaderSize;
    if (block_key) aead_.emplace(*block_key);
  }

  void mend(uint64_t s) {
    uint64_t good = read_members(s);
    if (good == format::all_members(layout_.n())) {
      if (consistent()) return;
      // Every CRC is right but parity disagrees: a block was altered along with its CRC.
      // Find it with the key, or from parity alone when m >= 2.
      const int culprit = aead_ ? find_unauthentic(s) : find_by_parity();
      if (culprit < 0) {
        ++totals_.unlocatable;
        return;
      }
      good &= ~(1ull << culprit);
    }
    // With the key nothing is rebuilt from a data block that is not authentic for its
    // position and the stripe's attempt (a replay has a right CRC) ...
    for (uint32_t j = 0; aead_ && j < layout_.k; ++j) {
      if ((good >> j & 1) && !authentic(s, j)) good &= ~(1ull << j);
    }
    if (static_cast<uint32_t>(__builtin_popcountll(good)) < layout_.k) {
      ++totals_.unrepairable;
      return;
    }
    reader_.erasure().reconstruct(layout_.block_size, payloads_.data(), good);
    // ... nor written unless what was rebuilt is authentic: a bad parity block used in
    // the rebuild shows here.
    for (uint32_t j = 0; aead_ && j < layout_.k; ++j) {
      if (!(good >> j & 1) && !authentic(s, j)) {
        ++totals_.unlocatable;
        return;
      }
    }
    write_rebuilt(s, good);
  }

 private:
  // The members whose block reads back with a right header and CRC, as a bit set.
  uint64_t read_members(uint64_t s) {
    uint64_t good = 0;
    for (uint32_t member = 0; member < layout_.n(); ++member) {
      std::string problem;
      if (reader_.fetch(s, member, records_.data() + member * record_, &problem) == read::BlockStatus::kOk) {
        good |= 1ull << member;
      }
    }
    return good;
  }

  bool consistent() { return format_.parity_consistent(reader_.erasure(), payloads_, scratch_); }

  bool authentic(uint64_t s, uint32_t member) {
    return format_.open_unit(*aead_, attempts_.of(s), s, member, payloads_[member], unit_.data());
  }

  // With the key: the data member that fails authentication, else a parity member.
  int find_unauthentic(uint64_t s) {
    for (uint32_t j = 0; j < layout_.k; ++j) {
      if (!authentic(s, j)) return static_cast<int>(j);
    }
    return static_cast<int>(layout_.k);
  }

  // Without the key: the one member whose replacement makes the stripe consistent.
  // Needs two parity members at least: with one, any member could be the culprit.
  int find_by_parity() {
    if (layout_.m < 2) return -1;
    std::vector<uint8_t> saved(layout_.block_size);
    int found = -1;
    for (uint32_t i = 0; i < layout_.n(); ++i) {
      std::memcpy(saved.data(), payloads_[i], layout_.block_size);
      reader_.erasure().reconstruct(layout_.block_size, payloads_.data(),
                                    format::all_members(layout_.n()) & ~(1ull << i));
      const bool fits = consistent();
      std::memcpy(payloads_[i], saved.data(), layout_.block_size);
      if (fits) {
        if (found >= 0) return -1;  // ambiguous
        found = static_cast<int>(i);
      }
    }
    return found;
  }

  void write_rebuilt(uint64_t s, uint64_t good) {
    for (uint32_t member = 0; member < layout_.n(); ++member) {
      const uint32_t slot = layout_.slot_of(s, member);
      if ((good >> member & 1) || writable_[slot].empty()) continue;
      uint8_t* record = records_.data() + member * record_;
      format_.make_header(s, member, record);
      writer_.write(slot, layout_.segment_of(s), record, record_, layout_.offset_in_segment(s));
      ++totals_.rewritten;
    }
  }

  const read::StripeReader& reader_;
  const format::StripeFormat& format_;
  const format::Layout& layout_;
  const format::PackAttempts& attempts_;
  const std::vector<std::string>& writable_;
  SegmentWriter& writer_;
  Totals& totals_;
  const size_t record_;
  std::vector<uint8_t> records_;
  std::vector<uint8_t*> payloads_;
  std::vector<uint8_t> scratch_, unit_;
  std::optional<codec::AesGcm> aead_;
};

// The drives to repair, refused while they disagree on the layout.
read::DriveSet open_agreeing_drives(const RepairOptions& o, const io::ReadEnv& read_env) {
  read::DriveSet set = read::open_drives(o.drives, o.shipment, read_env);
  read::require_complete(set);
  if (set.layout_disputed) {
    // Rebuilding under a layout one side of the dispute made up would overwrite good
    // blocks: repair writes only when every drive given agrees.
    std::string which;
    for (const std::string& w : set.warnings()) which += "\n  " + w;
    throw Error(ErrorKind::kConflict,
                "the drives disagree on the shipment's layout, so repair will not write to any of "
                "them. Check the drives named below (verify and restore read around them); "
                "nothing was written." + which);
  }
  return set;
}

// The folders repair may write, by slot: the drives present, and the blank drives of
// --rebuild in the missing slots, each locked against another ferry process.
struct WritableSlots {
  std::vector<std::string> folders;
  std::vector<std::unique_ptr<io::DriveLock>> locks;
};

WritableSlots claim_slots(const read::DriveSet& set, const std::vector<std::string>& rebuild,
                          RepairReport& report) {
  std::vector<uint32_t> missing = set.missing();
  if (rebuild.size() > missing.size()) {
    throw Error(ErrorKind::kInvalidArgument,
                "--rebuild names " + std::to_string(rebuild.size()) + " drives but only " +
                    std::to_string(missing.size()) + " slots are missing");
  }
  WritableSlots w{set.folders, {}};
  for (const std::string& folder : w.folders) {
    if (!folder.empty()) w.locks.push_back(std::make_unique<io::DriveLock>(folder));
  }
  for (size_t i = 0; i < rebuild.size(); ++i) {
    w.folders[missing[i]] = prepare_blank(rebuild[i], set.label.shipment);
    w.locks.push_back(std::make_unique<io::DriveLock>(w.folders[missing[i]]));
    report.slots_rebuilt.push_back(missing[i]);
  }
  for (size_t i = rebuild.size(); i < missing.size(); ++i) report.slots_still_missing.push_back(missing[i]);
  return w;
}

// Every stripe: members missing or damaged rebuilt and written back.
void mend_blocks(const RepairOptions& o, const read::DriveSet& set, const WritableSlots& slots,
                 const io::ReadEnv& read_env, const io::WriteEnv& write_env, Progress& progress,
                 RepairReport& report) {
  const format::Label& label = set.label;
  progress.phase = "repairing blocks";
  // Stripes past every present drive's segment files are beyond repair: counted, not
  // looked for one by one.
  const uint64_t scan_end = read::stripes_on_drives(set);
  progress.bytes_total = scan_end * label.layout.record_size() * label.layout.n();
  // With the key, the catalog says which attempt sealed each stripe (and vouches for the
  // layout): a block replayed from another attempt is found and rebuilt, never used.
  std::optional<codec::Key> block_key;
  format::PackAttempts attempts;
  if (!o.credentials.empty()) {
    auto opened = read::open_shipment(set, o.credentials, read_env);
    block_key = codec::hkdf(opened->data_key, format::kBlockKeyInfo);
    attempts = opened->attempts;
  }
  const read::StripeReader reader(label, set.folders, read_env, attempts);
  SegmentWriter writer(write_env, slots.folders);
  StripeMender::Totals totals;
  util::BatchClaims claims(scan_end, kStripesPerClaim, o.stop);
  util::run_claiming(util::worker_threads(o.threads), "ferry-repair", claims, [&] {
    StripeMender mender(reader, attempts, block_key, slots.folders, writer, totals);
    uint64_t first, last;
    while (claims.next(first, last)) {
      for (uint64_t s = first; s < last; ++s) {
        mender.mend(s);
        progress.bytes_done += label.layout.n() * label.layout.record_size();
      }
    }
  });
  writer.sync_all();
  if (o.stop && o.stop->load()) {
    throw Error(ErrorKind::kInterrupted,
                "stopped on request; what was repaired is on the drives: run the same repair again to finish");
  }
  report.blocks_rewritten = totals.rewritten;
  report.stripes_unrepairable = totals.unrepairable + (label.stripes - scan_end);
  report.stripes_unlocatable = totals.unlocatable;
}

// Catalog copies: any intact one replaces the others.
void mend_catalogs(const format::Label& label, const WritableSlots& slots,
                   const io::ReadEnv& read_env, const io::WriteEnv& write_env, Progress& progress,
                   RepairReport& report) {
  progress.phase = "repairing catalogs";
  std::string intact;
  std::vector<std::string> to_fix;
  for (const std::string& folder : slots.folders) {
    if (folder.empty()) continue;
    const bool ok = format::catalog_copy_intact(folder, label, read_env);
    if (ok && intact.empty()) intact = format::catalog_path(folder);
    if (!ok) to_fix.push_back(format::catalog_path(folder));
  }
  if (to_fix.empty()) return;
  if (intact.empty()) {
    throw Error(ErrorKind::kCorruption,
                "every catalog copy on the drives given is damaged; attach another drive of the "
                "shipment so repair can copy an intact one");
  }
  // Copied a piece at a time: a catalog takes about 150 bytes a file.
  std::vector<std::unique_ptr<io::ReplacementFile>> copies;
  for (const std::string& path : to_fix) copies.push_back(write_env.replace(path));
  std::unique_ptr<io::RandomAccessFile> from = read_env.open(intact);
  std::vector<uint8_t> piece(4u << 20);
  for (uint64_t at = 0; at < label.catalog_bytes;) {
    const size_t n = from->pread(piece.data(), piece.size(), at);
    if (n == 0) throw Error(ErrorKind::kIO, intact + " ended while being copied");
    for (auto& copy : copies) copy->append(piece.data(), n);
    at += n;
  }
  for (auto& copy : copies) {
    copy->commit();
    ++report.catalogs_rewritten;
  }
}

// Rebuilt slots get their label last: until then they are not part of the shipment.
void publish_rebuilt_slots(format::Label label, const WritableSlots& slots,
                           const io::WriteEnv& write_env, const RepairReport& report) {
  for (uint32_t slot : report.slots_rebuilt) {
    label.slot = slot;
    format::write_note(slots.folders[slot], label, write_env);
    format::write_label(slots.folders[slot], label, write_env);
  }
}

}  // namespace

RepairReport repair_shipment(const RepairOptions& o, Progress& progress) {
  const io::ReadEnv& read_env = o.env ? *o.env : io::ReadEnv::posix();
  const io::WriteEnv& write_env = o.write_env ? *o.write_env : io::WriteEnv::posix();
  progress.phase = "opening";
  const read::DriveSet set = open_agreeing_drives(o, read_env);
  RepairReport report;
  report.shipment_id = format::id_hex(set.label.shipment);
  const WritableSlots slots = claim_slots(set, o.rebuild, report);
  mend_blocks(o, set, slots, read_env, write_env, progress, report);
  mend_catalogs(set.label, slots, read_env, write_env, progress, report);
  publish_rebuilt_slots(set.label, slots, write_env, report);
  return report;
}

}  // namespace ferry
