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
#include <thread>

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

}  // namespace

RepairReport repair_shipment(const RepairOptions& o, Progress& progress) {
  const io::ReadEnv& env = o.env ? *o.env : io::ReadEnv::posix();
  const io::WriteEnv& write_env = o.write_env ? *o.write_env : io::WriteEnv::posix();
  int threads = util::worker_threads(o.threads);
  progress.phase = "opening";
  read::DriveSet set = read::open_drives(o.drives, o.shipment);
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
  format::Label label = set.label;
  const format::Layout& layout = label.layout;
  RepairReport report;
  report.shipment_id = format::id_hex(label.shipment);

  std::vector<uint32_t> missing = set.missing();
  if (o.rebuild.size() > missing.size()) {
    throw Error(ErrorKind::kInvalidArgument,
                "--rebuild names " + std::to_string(o.rebuild.size()) + " drives but only " +
                    std::to_string(missing.size()) + " slots are missing");
  }
  // What we may write: present slots in place, and the rebuilt ones.
  std::vector<std::string> writable = set.folders;
  std::vector<std::unique_ptr<io::DriveLock>> locks;
  for (uint32_t slot = 0; slot < layout.n(); ++slot) {
    if (!writable[slot].empty()) locks.push_back(std::make_unique<io::DriveLock>(writable[slot]));
  }
  for (size_t i = 0; i < o.rebuild.size(); ++i) {
    writable[missing[i]] = prepare_blank(o.rebuild[i], label.shipment);
    locks.push_back(std::make_unique<io::DriveLock>(writable[missing[i]]));
    report.slots_rebuilt.push_back(missing[i]);
  }
  for (size_t i = o.rebuild.size(); i < missing.size(); ++i) report.slots_still_missing.push_back(missing[i]);

  // Blocks.
  progress.phase = "repairing blocks";
  // Stripes past every present drive's segment files are beyond repair: counted, not
  // looked for one by one.
  const uint64_t scan_end = read::stripes_on_drives(set);
  progress.bytes_total = scan_end * layout.record_size() * layout.n();
  // With the key, the catalog says which attempt sealed each stripe (and vouches for the
  // layout): a block replayed from another attempt is found and rebuilt, never used.
  std::optional<codec::Key> block_key;
  format::PackAttempts attempts;
  if (!o.credentials.empty()) {
    auto opened = read::open_shipment(set, o.credentials);
    block_key = codec::hkdf(opened->data_key, format::kBlockKeyInfo);
    attempts = opened->attempts;
  }
  read::StripeReader reader(label, set.folders, env, attempts);
  const format::StripeFormat& stripe_format = reader.stripe_format();
  SegmentWriter writer(write_env, writable);
  std::atomic<uint64_t> next{0}, rewritten{0}, unrepairable{0}, unlocatable{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  const uint32_t plain = layout.unit_plain();
  auto work = [&] {
    try {
      const uint32_t n = layout.n();
      std::vector<uint8_t> scratch, unit(plain);
      std::optional<codec::AesGcm> aead_storage;
      if (block_key) aead_storage.emplace(*block_key);
      codec::AesGcm* aead = aead_storage ? &*aead_storage : nullptr;
      auto consistent = [&](const std::vector<uint8_t*>& p) {
        return stripe_format.parity_consistent(reader.erasure(), p, scratch);
      };
      // With the key: the data member that fails authentication for its position and the
      // stripe's attempt, else a parity member.
      auto find_unauthentic = [&](uint64_t s, const std::vector<uint8_t*>& p, codec::AesGcm& a) -> int {
        for (uint32_t j = 0; j < layout.k; ++j) {
          if (!stripe_format.open_unit(a, attempts.of(s), s, j, p[j], unit.data())) return static_cast<int>(j);
        }
        return static_cast<int>(layout.k);  // the data is authentic: the parity is wrong
      };
      // Without the key: the one member whose replacement makes the stripe consistent.
      // Needs two parity members at least: with one, any member could be the culprit.
      auto find_by_parity = [&](std::vector<uint8_t*>& p) -> int {
        if (layout.m < 2) return -1;
        std::vector<uint8_t> saved(layout.block_size);
        int found = -1;
        for (uint32_t i = 0; i < n; ++i) {
          std::memcpy(saved.data(), p[i], layout.block_size);
          reader.erasure().reconstruct(layout.block_size, p.data(), format::all_members(n) & ~(1ull << i));
          bool fits = consistent(p);
          std::memcpy(p[i], saved.data(), layout.block_size);
          if (fits) {
            if (found >= 0) return -1;  // ambiguous
            found = static_cast<int>(i);
          }
        }
        return found;
      };
      const size_t record = layout.record_size();
      std::vector<uint8_t> records(n * record);
      std::vector<uint8_t*> payloads(n);
      for (uint32_t i = 0; i < n; ++i) payloads[i] = records.data() + i * record + format::kBlockHeaderSize;
      for (;;) {
        if (o.stop && o.stop->load()) return;
        uint64_t first = next.fetch_add(kStripesPerClaim);
        if (first >= scan_end) return;
        for (uint64_t s = first; s < std::min(first + kStripesPerClaim, scan_end); ++s) {
          uint64_t good = 0;
          for (uint32_t member = 0; member < n; ++member) {
            std::string problem;
            if (reader.fetch(s, member, records.data() + member * record, &problem) == read::BlockStatus::kOk) {
              good |= 1ull << member;
            }
          }
          progress.bytes_done += n * record;
          if (good == format::all_members(n)) {
            if (consistent(payloads)) continue;
            // Every CRC is right but parity disagrees: a block was altered along with its
            // CRC. Find it with the key, or from parity alone when m >= 2.
            int culprit = aead ? find_unauthentic(s, payloads, *aead) : find_by_parity(payloads);
            if (culprit < 0) {
              ++unlocatable;
              continue;
            }
            good &= ~(1ull << culprit);
          }
          // With the key nothing is rebuilt from a data block that is not authentic for
          // its position and the stripe's attempt (a replay has a right CRC).
          for (uint32_t j = 0; aead && j < layout.k; ++j) {
            if ((good >> j & 1) && !stripe_format.open_unit(*aead, attempts.of(s), s, j, payloads[j], unit.data())) {
              good &= ~(1ull << j);
            }
          }
          if (static_cast<uint32_t>(__builtin_popcountll(good)) < layout.k) {
            ++unrepairable;
            continue;
          }
          reader.erasure().reconstruct(layout.block_size, payloads.data(), good);
          // ... nor written unless what was rebuilt is authentic: a bad parity block used
          // in the rebuild shows here.
          bool rebuilt_authentic = true;
          for (uint32_t j = 0; aead && j < layout.k && rebuilt_authentic; ++j) {
            rebuilt_authentic = (good >> j & 1) ||
                                stripe_format.open_unit(*aead, attempts.of(s), s, j, payloads[j], unit.data());
          }
          if (!rebuilt_authentic) {
            ++unlocatable;
            continue;
          }
          for (uint32_t member = 0; member < n; ++member) {
            uint32_t slot = layout.slot_of(s, member);
            if ((good >> member & 1) || writable[slot].empty()) continue;
            uint8_t* rec = records.data() + member * record;
            stripe_format.make_header(s, member, rec);
            writer.write(slot, layout.segment_of(s), rec, record, layout.offset_in_segment(s));
            ++rewritten;
          }
        }
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = scan_end;  // stop the others
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  writer.sync_all();
  if (o.stop && o.stop->load()) {
    throw Error(ErrorKind::kInterrupted,
                "stopped on request; what was repaired is on the drives: run the same repair again to finish");
  }
  report.blocks_rewritten = rewritten;
  report.stripes_unrepairable = unrepairable + (label.stripes - scan_end);
  report.stripes_unlocatable = unlocatable;

  // Catalog copies: any intact one replaces the others.
  progress.phase = "repairing catalogs";
  std::string intact;
  std::vector<uint32_t> to_fix;
  for (uint32_t slot = 0; slot < layout.n(); ++slot) {
    if (writable[slot].empty()) continue;
    bool ok = format::catalog_copy_intact(writable[slot], label);
    if (ok && intact.empty()) intact = format::catalog_path(writable[slot]);
    if (!ok) to_fix.push_back(slot);
  }
  if (!to_fix.empty()) {
    if (intact.empty()) {
      throw Error(ErrorKind::kCorruption,
                  "every catalog copy on the drives given is damaged; attach another drive of the "
                  "shipment so repair can copy an intact one");
    }
    // Copied a piece at a time: a catalog takes about 150 bytes a file.
    std::vector<std::unique_ptr<io::ReplacementFile>> copies;
    for (uint32_t slot : to_fix) copies.push_back(write_env.replace(format::catalog_path(writable[slot])));
    io::File from = io::File::open_untrusted(intact);
    std::vector<uint8_t> piece(4u << 20);
    while (size_t n = from.read(piece.data(), piece.size())) {
      for (auto& copy : copies) copy->append(piece.data(), n);
    }
    for (auto& copy : copies) {
      copy->commit();
      ++report.catalogs_rewritten;
    }
  }

  // Rebuilt slots get their label last: until then they are not part of the shipment.
  for (uint32_t slot : report.slots_rebuilt) {
    label.slot = slot;
    format::write_note(writable[slot], label, write_env);
    format::write_label(writable[slot], label, write_env);
  }
  return report;
}

}  // namespace ferry
