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
#include "io/drive_lock.h"
#include "io/file.h"
#include "read/drive_set.h"
#include "read/stripe_reader.h"
#include "util/threads.h"

namespace ferry {
namespace {

constexpr uint64_t kStripesPerClaim = 8;

// Writable segment files, opened on first use and fsynced at the end.
class SegmentWriter {
 public:
  explicit SegmentWriter(std::vector<std::string> folders) : folders_(std::move(folders)) {}

  void write(uint32_t slot, uint64_t segment, const uint8_t* record, size_t len, uint64_t offset) {
    io::File* file;
    {
      std::lock_guard lock(mutex_);
      auto& f = files_[{slot, segment}];
      if (!f) f = std::make_unique<io::File>(io::File::open_write(format::segment_path(folders_[slot], segment), false));
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
  std::vector<std::string> folders_;
  std::mutex mutex_;
  std::map<std::pair<uint32_t, uint64_t>, std::unique_ptr<io::File>> files_;
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
  io::make_directories(io::join(folder, format::kSegmentDir));
  return folder;
}

}  // namespace

RepairReport repair_shipment(const RepairOptions& o, Progress& progress) {
  const io::ReadEnv& env = o.env ? *o.env : io::ReadEnv::posix();
  int threads = util::worker_threads(o.threads);
  progress.phase = "opening";
  read::DriveSet set = read::open_drives(o.drives);
  read::require_complete(set);
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
  progress.bytes_total = label.stripes * layout.record_size() * layout.n();
  read::StripeReader reader(label, set.folders, env);
  SegmentWriter writer(writable);
  std::atomic<uint64_t> next{0}, rewritten{0}, unrepairable{0}, unlocatable{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  const uint32_t plain = layout.unit_plain();
  std::vector<uint8_t> parity_scratch_proto(static_cast<size_t>(layout.m) * layout.block_size);
  // Whether the stored parity equals parity recomputed from the data members.
  auto consistent_with = [&](const std::vector<uint8_t*>& payloads, std::vector<uint8_t>& scratch) {
    std::vector<const uint8_t*> data(payloads.begin(), payloads.begin() + layout.k);
    std::vector<uint8_t*> out(layout.m);
    for (uint32_t j = 0; j < layout.m; ++j) out[j] = scratch.data() + static_cast<size_t>(j) * layout.block_size;
    reader.erasure().encode(layout.block_size, data.data(), out.data());
    for (uint32_t j = 0; j < layout.m; ++j) {
      if (std::memcmp(out[j], payloads[layout.k + j], layout.block_size) != 0) return false;
    }
    return true;
  };
  std::optional<codec::Key> block_key;
  if (!o.credentials.empty()) {
    auto key = format::unwrap_data_key(label, o.credentials);
    if (!key) {
      throw Error(ErrorKind::kWrongKey, "the key given does not open shipment " +
                                            format::id_short(label.shipment) + "…");
    }
    block_key = codec::hkdf(*key, format::kBlockKeyInfo);
  }
  auto work = [&] {
    try {
      const uint32_t n = layout.n();
      std::vector<uint8_t> scratch(parity_scratch_proto.size()), unit(plain);
      std::optional<codec::AesGcm> aead_storage;
      if (block_key) aead_storage.emplace(*block_key);
      codec::AesGcm* aead = aead_storage ? &*aead_storage : nullptr;
      auto consistent = [&](const std::vector<uint8_t*>& p) { return consistent_with(p, scratch); };
      // With the key: the data member that fails authentication, else a parity member.
      auto find_unauthentic = [&](uint64_t s, const std::vector<uint8_t*>& p, codec::AesGcm& a) -> int {
        for (uint32_t j = 0; j < layout.k; ++j) {
          codec::Nonce nonce;
          std::memcpy(nonce.data(), p[j], nonce.size());
          uint8_t aad[format::kUnitAadSize];
          format::unit_aad(label.shipment, layout, s * layout.k + j, aad);
          const uint8_t* text = p[j] + codec::kNonceSize;
          if (!a.open(nonce, aad, sizeof aad, text, plain, unit.data(), text + plain)) return static_cast<int>(j);
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
          const uint64_t everyone = (n == 64) ? ~0ull : (1ull << n) - 1;
          reader.erasure().reconstruct(layout.block_size, p.data(), everyone & ~(1ull << i));
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
        if (first >= label.stripes) return;
        for (uint64_t s = first; s < std::min(first + kStripesPerClaim, label.stripes); ++s) {
          uint64_t good = 0;
          for (uint32_t member = 0; member < n; ++member) {
            std::string problem;
            if (reader.fetch(s, member, records.data() + member * record, &problem) == read::BlockStatus::kOk) {
              good |= 1ull << member;
            }
          }
          progress.bytes_done += n * record;
          const uint64_t all = (n == 64) ? ~0ull : (1ull << n) - 1;
          if (good == all) {
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
          if (static_cast<uint32_t>(__builtin_popcountll(good)) < layout.k) {
            ++unrepairable;
            continue;
          }
          reader.erasure().reconstruct(layout.block_size, payloads.data(), good);
          for (uint32_t member = 0; member < n; ++member) {
            uint32_t slot = layout.slot_of(s, member);
            if ((good >> member & 1) || writable[slot].empty()) continue;
            format::BlockHeader h;
            h.shipment = label.shipment;
            h.stripe = s;
            h.slot = static_cast<uint16_t>(slot);
            h.member = static_cast<uint16_t>(member);
            h.block_size = layout.block_size;
            h.payload_crc = codec::crc32c(payloads[member], layout.block_size);
            uint8_t* rec = records.data() + member * record;
            format::encode_block_header(h, rec);
            writer.write(slot, layout.segment_of(s), rec, record, layout.offset_in_segment(s));
            ++rewritten;
          }
        }
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = label.stripes;  // stop the others
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
  report.stripes_unrepairable = unrepairable;
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
    for (uint32_t slot : to_fix) copies.push_back(io::WriteEnv::posix().replace(format::catalog_path(writable[slot])));
    io::File from = io::File::open_read(intact);
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
    format::write_note(writable[slot], label);
    format::write_label(writable[slot], label);
  }
  return report;
}

}  // namespace ferry
