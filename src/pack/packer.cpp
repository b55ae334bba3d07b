// pack: walk the source into a working catalog, check the drives and the space, then
// stream every file through the stripe pipeline and seal the catalog and labels onto
// every drive. The labels say "complete" only once everything else is durable.
//
// Crash safety: at checkpoints the stream is padded to a stripe boundary, the blocks
// are fsynced, and only then is a snapshot of the catalog (sealed) and the position
// recorded in every label. Running the same command again finds the unfinished
// shipment, takes the newest intact checkpoint, bumps the pack attempt (so no nonce is
// ever reused) and carries on from there. A file given up halfway (it changed while
// read) is written over the same way, from its first stripe (give_back).
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "codec/kdf.h"
#include "codec/sha256.h"
#include "ferry/error.h"
#include "ferry/pack.h"
#include "format/catalog.h"
#include "format/catalog_file.h"
#include "format/attempts.h"
#include "format/drive_folder.h"
#include "format/keys.h"
#include "io/drive_lock.h"
#include "io/file.h"
#include "pack/file_packer.h"
#include "pack/read_ahead.h"
#include "pack/source_changes.h"
#include "pack/source_walker.h"
#include "pack/stored_estimate.h"
#include "pack/stream_hasher.h"
#include "pack/stream_writer.h"
#include "plan/planner.h"
#include "plan/units.h"
#include "util/dir_chain.h"
#include "util/display.h"
#include "util/parallel.h"
#include "util/threads.h"

namespace ferry {
namespace {

constexpr size_t kCatalogBatch = 2000;
// Runs of stripes sealed by one pack attempt, at most, before a file given up mid-read
// leaves its bytes as dead space rather than start another (PackAttempts allows 65536).
constexpr size_t kMaxAttemptRuns = 1024;
// Sealed catalog bytes gathered before they are written to every drive at once. The
// piece that reaches it is in the batch too: the header, or a chunk with its nonce and tag.
constexpr size_t kCatalogWriteBatch = 4u << 20;
constexpr size_t kCatalogBatchRoom = kCatalogWriteBatch + format::kCatalogHeaderSize +
                                     codec::kNonceSize + format::kCatalogChunkSize +
                                     codec::kTagSize;

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) throw_errno("cannot resolve " + path, errno);
  return buf;
}

format::Layout requested_layout(const PackOptions& o) {
  format::Layout layout;
  layout.m = o.parity;
  layout.k = static_cast<uint32_t>(o.drives.size()) - o.parity;
  layout.block_size = o.block_size;
  layout.segment_stripes =
      std::max<uint64_t>(1, o.segment_bytes / (format::kBlockHeaderSize + layout.block_size));
  format::validate(layout);
  return layout;
}

void check_options(const PackOptions& o) {
  const size_t n = o.drives.size();
  if (n < 2) throw Error(ErrorKind::kInvalidArgument, "pack needs at least two drives (--to A B ...)");
  if (o.parity < 1 || o.parity >= n) {
    throw Error(ErrorKind::kInvalidArgument,
                "--parity must be between 1 and " + std::to_string(n - 1) + " for " +
                    std::to_string(n) + " drives");
  }
  if (o.credentials.empty()) {
    throw Error(ErrorKind::kInvalidArgument,
                "pack needs a key: --key-file F, --passphrase-file F or FERRY_PASSPHRASE");
  }
  if (!io::is_directory(o.source)) {
    throw Error(ErrorKind::kInvalidArgument, "source " + o.source + " is not a directory");
  }
  std::string source = real_path(o.source) + "/";
  std::vector<std::pair<dev_t, ino_t>> seen;
  for (const std::string& drive : o.drives) {
    struct stat st;
    if (::stat(drive.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw Error(ErrorKind::kInvalidArgument,
                  "drive " + drive + " is not a directory: mount the drive or create the folder");
    }
    for (auto& [dev, ino] : seen) {
      if (dev == st.st_dev && ino == st.st_ino) {
        throw Error(ErrorKind::kInvalidArgument, "drive " + drive + " is given twice");
      }
    }
    seen.emplace_back(st.st_dev, st.st_ino);
    std::string real = real_path(drive) + "/";
    if (real.compare(0, source.size(), source) == 0) {
      throw Error(ErrorKind::kInvalidArgument,
                  "drive " + drive + " lies inside the source " + o.source + "; choose another");
    }
  }
}

// What the drives already hold: nothing, an unfinished pack this command can resume
// (every drive in its slot, same layout), or something else.
struct DriveContents {
  std::vector<std::string> folders;        // every shipment folder found
  std::vector<std::string> resume_folders;  // by slot, when resumable
  std::vector<std::string> complete_folders;  // by slot, when one complete shipment fills them
  // By slot, when one shipment fills them and some of its labels say "complete" but not
  // all: a pack stopped while publishing its last labels, with everything else durable.
  std::vector<std::string> completing_folders;
  // Every folder found is a pack killed before its first checkpoint: nothing in it is
  // worth keeping, so the same command starts over without --force.
  bool only_abandoned_starts = true;
};

DriveContents inspect_drives(const PackOptions& o, const format::Layout& layout) {
  DriveContents found;
  std::optional<format::ShipmentId> unfinished, finished, any;
  bool resumable = true, complete = true, one_shipment = true, some_complete = false;
  std::vector<std::string> by_slot;  // each drive's only shipment folder
  for (uint32_t slot = 0; slot < o.drives.size(); ++slot) {
    auto folders = format::find_shipment_folders(o.drives[slot]);
    found.folders.insert(found.folders.end(), folders.begin(), folders.end());
    for (const std::string& folder : folders) {
      if (!io::exists(format::label_path(folder))) continue;  // claimed, label not yet written
      try {
        format::Label l = format::read_label(folder);
        if (l.complete() || l.checkpoint) found.only_abandoned_starts = false;
      } catch (const Error&) {
        found.only_abandoned_starts = false;
      }
    }
    if (folders.size() != 1) {
      resumable = complete = one_shipment = false;
      continue;
    }
    by_slot.push_back(folders[0]);
    try {
      format::Label l = format::read_label(folders[0]);
      // In its own slot, of the layout asked for.
      const bool fits = l.slot == slot && l.layout.k == layout.k && l.layout.m == layout.m;
      one_shipment = one_shipment && fits && (!any || *any == l.shipment);
      any = l.shipment;
      some_complete = some_complete || l.complete();
      bool done = l.complete() && fits && (!finished || *finished == l.shipment);
      if (done) {
        finished = l.shipment;
        found.complete_folders.push_back(folders[0]);
      } else {
        complete = false;
      }
      bool same = !l.complete() && fits && l.layout.block_size == layout.block_size &&
                  (!unfinished || *unfinished == l.shipment);
      if (same) {
        unfinished = l.shipment;
        found.resume_folders.push_back(folders[0]);
      } else {
        resumable = false;
      }
    } catch (const Error&) {
      resumable = complete = one_shipment = false;
    }
  }
  if (one_shipment && some_complete && !complete) found.completing_folders = by_slot;
  if (!resumable) found.resume_folders.clear();
  if (!complete) found.complete_folders.clear();
  return found;
}

void refuse_occupied(const PackOptions& o) {
  for (const std::string& drive : o.drives) {
    for (const std::string& folder : format::find_shipment_folders(drive)) {
      std::string what = folder;
      try {
        format::Label l = format::read_label(folder);
        what = (l.complete() ? "shipment " : "an unfinished pack of shipment ") +
               format::id_short(l.shipment) + "… (slot " + std::to_string(l.slot) + ")";
      } catch (const Error&) {
      }
      throw Error(ErrorKind::kConflict,
                  "drive " + drive + " already holds " + what +
                      "; use --force to replace it, or choose another drive (an unfinished pack "
                      "resumes only with the same drives in the same order and the same layout)");
    }
  }
}

// Refuses, before anything is written, a source the drives' real free space cannot
// hold, with the planner's figures: what this layout holds and a layout that would fit.
// The shipment folders already on the drives count as free: a fresh pack replaces them
// (an abandoned start, or anything with --force).
// Compressible files count as what samples of them compress to, with a margin: only
// when their own size does not fit, so that a pack that fits reads nothing twice.
void check_space(const PackOptions& o, const format::Layout& layout, const pack::WalkTotals& t,
                 format::Catalog& catalog, std::vector<std::string>& notes) {
  uint64_t smallest = UINT64_MAX;
  std::string smallest_drive;
  for (const std::string& drive : o.drives) {
    struct statvfs vfs;
    if (::statvfs(drive.c_str(), &vfs) != 0) throw_errno("cannot query free space of " + drive, errno);
    uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    for (const std::string& folder : format::find_shipment_folders(drive)) {
      free_bytes += io::allocated_bytes(folder);
    }
    if (free_bytes < smallest) {
      smallest = free_bytes;
      smallest_drive = drive;
    }
  }
  const uint64_t entries = t.files + t.directories + t.symlinks;
  const int n = static_cast<int>(layout.n()), m = static_cast<int>(layout.m);
  const uint64_t holds = plan::usable_bytes(n, m, smallest, entries, layout.block_size);
  if (t.file_bytes <= holds) return;
  const pack::StoredEstimate stored =
      pack::estimate_stored_bytes(o.source, catalog, t.file_bytes, o.compress);
  const std::string compressed =
      stored.bytes < t.file_bytes
          ? " (" + plan::approx_bytes(stored.bytes) + " compressed, as estimated on the safe "
                "side from samples of " + std::to_string(stored.files_sampled) + " files)"
          : "";
  if (stored.bytes <= holds) {
    notes.push_back("the files take " + plan::approx_bytes(t.file_bytes) + compressed +
                    "; compressed they should fit the " + plan::approx_bytes(holds) +
                    " this layout holds. Should they not, pack stops when a drive is full, and "
                    "the same command resumes it once there is room");
    if (o.warn) o.warn(notes.back());
    return;
  }
  plan::PlanInput input;
  input.source_bytes = stored.bytes;
  input.files = t.files;
  input.directories = t.directories;
  input.symlinks = t.symlinks;
  input.drives = n;
  input.parity = m;
  input.drive_bytes = smallest;
  input.block_size = layout.block_size;
  std::string advice = "Use larger drives";
  try {
    plan::Plan p = plan::make_plan(input);
    if (p.recommendation) {
      advice = "With drives this size, " + std::to_string(p.recommendation->drives) +
               " drives at parity " + std::to_string(p.recommendation->parity) + " would hold it";
    }
  } catch (const Error&) {
  }
  throw Error(ErrorKind::kNoSpace,
              "the shipment does not fit: " + plan::approx_bytes(t.file_bytes) + " of files" +
                  compressed + " on " +
                  std::to_string(n) + " drives at parity " + std::to_string(m) +
                  ", but the smallest drive, " + smallest_drive + ", has " +
                  plan::approx_bytes(smallest) + " free, so this layout holds about " +
                  plan::approx_bytes(holds) + ". " + advice +
                  " (see `ferry plan`), or add --no-space-check if the drives misreport their free "
                  "space. Nothing was written.");
}


class Packer {
 public:
  Packer(const PackOptions& o, Progress& progress)
      : o_(o), env_(o.env ? *o.env : io::WriteEnv::posix()), progress_(progress),
        work_db_("ferry-catalog") {}

  // Removes what a fresh pack replaces (an abandoned start, or anything with --force),
  // but only once every drive is known writable and no other ferry process holds any of
  // those folders: a pack still running there is not wiped out, and a read-only drive
  // late in the list does not leave the drives before it emptied and nothing written.
  void replace_old_folders(const std::vector<std::string>& old_folders) {
    for (const std::string& drive : o_.drives) {
      if (::access(drive.c_str(), W_OK) != 0) {
        throw_errno("drive " + drive + " is not writable; nothing was removed or written", errno);
      }
    }
    std::vector<std::unique_ptr<io::DriveLock>> held;
    for (const std::string& folder : old_folders) {
      held.push_back(std::make_unique<io::DriveLock>(folder));
    }
    for (const std::string& folder : old_folders) io::remove_tree(folder);
  }

  PackReport fresh(const format::Layout& layout, const std::vector<std::string>& old_folders) {
    progress_.phase = "scanning";
    catalog_.emplace(format::Catalog::create(work_db_.path()));
    pack::WalkTotals totals = pack::walk_source(o_.source, *catalog_, o_.xattrs);
    for (const std::string& note : totals.notes) {
      report_.warnings.push_back(note);
      if (o_.warn) o_.warn(note);
    }
    // Nothing is written before this.
    if (o_.check_space) check_space(o_, layout, totals, *catalog_, report_.warnings);
    replace_old_folders(old_folders);

    label_.layout = layout;
    codec::random_bytes(label_.shipment.data(), label_.shipment.size());
    label_.created_unix = static_cast<int64_t>(std::time(nullptr));
    codec::random_bytes(data_key_.data(), data_key_.size());
    codec::ScryptParams scrypt;
    scrypt.log2_n = o_.scrypt_log2_n;
    format::validate_scrypt(scrypt);
    label_.keys = format::wrap_data_key(data_key_, label_.shipment, o_.credentials, scrypt);
    for (uint32_t slot = 0; slot < layout.n(); ++slot) {
      std::string folder = io::join(o_.drives[slot], format::shipment_dir_name(label_.shipment));
      io::make_directories(io::join(folder, format::kSegmentDir));
      locks_.push_back(std::make_unique<io::DriveLock>(folder));
      folders_.push_back(folder);
    }
    catalog_->set_meta("source", real_path(o_.source));
    catalog_->set_meta("layout", format::layout_meta(layout));
    format::PackAttempts attempts;
    attempts.begin(0, label_.pack_attempt);
    catalog_->set_meta("attempts", attempts.to_string());
    write_labels();
    for (const std::string& folder : folders_) {
      label_.slot = static_cast<uint32_t>(&folder - folders_.data());
      format::write_note(folder, label_);
    }
    // The first checkpoint keeps the walk for a resume. A source shorter than one
    // interval gets none: the catalog's copies would be a large part of every such pack
    // (200,000 small files: 120 MB against 1.2 GB of blocks), where a crash costs only a
    // restart of a short pack, walk included. A request to stop still checkpoints.
    if (totals.file_bytes >= checkpoint_interval()) checkpoint(0, 0);
    return stream(0, 0, {totals.files, totals.directories, totals.symlinks, totals.file_bytes});
  }

  // A pack stopped while its labels turned "complete" one drive after another. The
  // catalog copies and every block were durable before the first of them did, so the
  // other drives need only the same label, with their own slot.
  // Returns how many labels it completed.
  uint32_t complete_labels(const std::vector<std::string>& folders) {
    take_folders(folders);
    std::vector<format::Label> labels;
    for (const std::string& folder : folders) labels.push_back(format::read_label(folder));
    const format::Label done = *std::find_if(labels.begin(), labels.end(),
                                             [](const format::Label& l) { return l.complete(); });
    uint32_t completed = 0;
    for (uint32_t slot = 0; slot < folders.size(); ++slot) {
      if (labels[slot].complete()) continue;
      format::Label label = done;
      label.slot = slot;
      format::write_label(folders[slot], label, env_);
      ++completed;
    }
    for (const format::Label& l : labels) {
      if (l.checkpoint) remove_checkpoint_files(l.checkpoint->sequence);
    }
    return completed;
  }

  // The same command run again after it finished: nothing to do, if the shipment on the
  // drives opens with this key and was packed from this source.
  std::optional<PackReport> already_done(const std::vector<std::string>& folders) {
    format::Label l = format::read_label(folders[0]);
    auto key = format::unwrap_data_key(l, o_.credentials);
    if (!key) return std::nullopt;
    try {
      format::open_catalog(format::catalog_path(folders[0]), work_db_.path(), l.shipment, *key);
    } catch (const Error&) {
      return std::nullopt;
    }
    catalog_.emplace(format::Catalog::open_readonly(work_db_.path()));
    if (catalog_->meta("source") != real_path(o_.source)) return std::nullopt;
    refuse_changed_source(l);
    label_ = l;
    report_.already_complete = true;
    return finish_report(catalog_->totals(), catalog_->skipped());
  }

  // The source walked again and compared with the shipment: one that changed since is
  // not "nothing to do" — that would leave stale files shipped and new ones out. Nor
  // may an unfinished pack carry on over it: the files packed before its checkpoint
  // (ids up to `packed_up_to`) would ship as they were, and files added since not at all.
  void refuse_changed_source(const format::Label& l, int64_t packed_up_to = INT64_MAX) {
    progress_.phase = "scanning";
    io::TempFile walked_db("ferry-rescan");
    {
      format::Catalog walked = format::Catalog::create(walked_db.path());
      pack::walk_source(o_.source, walked, o_.xattrs);
    }
    pack::SourceChanges c = pack::compare_with_walk(*catalog_, walked_db.path(), 5, packed_up_to);
    if (!c.any()) return;
    std::string first;
    for (const std::string& path : c.first) first += "\n  " + util::shown(path);
    const uint64_t total = c.changed + c.added + c.removed;
    if (total > c.first.size()) first += "\n  … and " + std::to_string(total - c.first.size()) + " more";
    const std::string counts = std::to_string(c.changed) + " entries changed, " +
                               std::to_string(c.added) + " added, " +
                               std::to_string(c.removed) + " removed:" + first;
    if (packed_up_to != INT64_MAX) {
      throw Error(ErrorKind::kConflict,
                  "the drives hold an unfinished pack (" + format::id_short(l.shipment) +
                      "…) of " + o_.source + ", but the source has changed since it began: " +
                      counts +
                      "\nCarried on, it would ship those as they were. To ship the source as it "
                      "is now, add --force to start this shipment over, or pack onto other "
                      "drives. Nothing was written.");
    }
    throw Error(ErrorKind::kConflict,
                "the drives hold a complete shipment (" + format::id_short(l.shipment) + "…) of " +
                    o_.source + ", but the source has changed since it was packed: " + counts +
                    "\nTo ship the source as it is now, start a new shipment: pack onto other "
                    "drives, or add --force to replace this one. Nothing was written.");
  }

  PackReport resume(const std::vector<std::string>& folders) {
    progress_.phase = "resuming";
    take_folders(folders);
    std::vector<format::Label> labels;
    uint32_t attempt = 0;
    for (const std::string& folder : folders_) {
      labels.push_back(format::read_label(folder));
      attempt = std::max(attempt, labels.back().pack_attempt);
    }
    auto key = format::unwrap_data_key(labels[0], o_.credentials);
    if (!key) {
      throw Error(ErrorKind::kWrongKey, "the drives hold an unfinished pack of shipment " +
                                            format::id_short(labels[0].shipment) +
                                            "…, but the key given does not open it; use its key, "
                                            "or --force to start a new shipment");
    }
    data_key_ = *key;
    // The newest checkpoint whose snapshot is intact on some drive.
    std::sort(labels.begin(), labels.end(), [](const format::Label& a, const format::Label& b) {
      return (a.checkpoint ? a.checkpoint->sequence + 1 : 0) > (b.checkpoint ? b.checkpoint->sequence + 1 : 0);
    });
    bool opened = false;
    for (const format::Label& l : labels) {
      if (!l.checkpoint) continue;
      for (const std::string& folder : folders_) {
        std::string path = format::checkpoint_path(folder, l.checkpoint->sequence);
        try {
          if (!format::drive_file_matches(path, l.checkpoint->bytes, l.checkpoint->sha256)) continue;
          format::open_catalog(path, work_db_.path(), l.shipment, data_key_,
                               format::checkpoint_catalog(l.checkpoint->sequence));
          label_ = l;
          opened = true;
          break;
        } catch (const Error&) {
        }
      }
      if (opened) break;
    }
    if (!opened) {
      throw Error(ErrorKind::kCorruption,
                  "the drives hold an unfinished pack of shipment " +
                      format::id_short(labels[0].shipment) +
                      "… without an intact checkpoint; use --force to start over");
    }
    catalog_.emplace(format::Catalog::open_readwrite(work_db_.path()));
    auto source = catalog_->meta("source");
    if (source && *source != real_path(o_.source)) {
      throw Error(ErrorKind::kConflict, "the drives hold an unfinished pack of " + *source +
                                            ", not of " + o_.source +
                                            "; run that pack again, or use --force to start over");
    }
    refuse_changed_source(label_, label_.checkpoint->last_entry);
    progress_.phase = "resuming";
    // A new attempt number, durable before the first unit is sealed with it. The catalog
    // records from which stripe on it seals, for readers to hold each block to.
    label_.pack_attempt = attempt + 1;
    const format::Label::Checkpoint cp = *label_.checkpoint;
    format::PackAttempts attempts =
        format::PackAttempts::parse(catalog_->meta("attempts").value_or(""), "the checkpoint's catalog");
    attempts.begin(cp.stripes, label_.pack_attempt);
    catalog_->set_meta("attempts", attempts.to_string());
    write_labels();

    auto done = catalog_->file_totals(cp.last_entry);
    report_.resumed = true;
    report_.resumed_files = done.first;
    report_.resumed_bytes = done.second;
    progress_.files_done = done.first;
    progress_.bytes_done = done.second;
    return stream(cp.last_entry, cp.stripes, catalog_->totals());
  }

 private:
  // Works on these shipment folders (index = slot) from now on, holding each one's lock.
  void take_folders(const std::vector<std::string>& folders) {
    for (const std::string& folder : folders) {
      locks_.push_back(std::make_unique<io::DriveLock>(folder));
    }
    folders_ = folders;
  }

  void write_labels() {
    util::on_each_in_parallel(folders_.size(), [&](size_t slot) {
      format::Label label = label_;
      label.slot = static_cast<uint32_t>(slot);
      format::write_label(folders_[slot], label, env_);
    });
  }

  // The sealed catalog, written onto every drive at once under the name `path_in(folder)`,
  // a batch of sealed chunks at a time: memory stays bounded however large it is. Each
  // batch is written while the next is sealed. `role`: the catalog or a checkpoint's.
  template <typename PathIn>
  format::SealedCatalog write_catalog_copies(const PathIn& path_in, uint64_t role) {
    std::vector<std::unique_ptr<io::ReplacementFile>> copies;
    for (const std::string& folder : folders_) copies.push_back(env_.replace(path_in(folder)));
    std::vector<uint8_t> filling, writing;
    filling.reserve(kCatalogBatchRoom);
    writing.reserve(kCatalogBatchRoom);
    codec::Sha256 digest;  // of the sealed file, taken beside the copies' appends
    std::future<void> written;  // the copies' appends of `writing`; declared last, so that
                                // an exception waits for them before the buffers go
    auto write_batch = [&] {
      if (written.valid()) written.get();
      std::swap(filling, writing);
      filling.clear();
      written = std::async(std::launch::async, [&] {
        util::on_each_in_parallel(copies.size() + 1, [&](size_t i) {
          if (i == copies.size()) {
            digest.update(writing.data(), writing.size());
          } else {
            copies[i]->append(writing.data(), writing.size());
          }
        });
      });
    };
    format::SealedCatalog sealed;
    sealed.bytes = format::seal_catalog(
        work_db_.path(), label_.shipment, data_key_, [&](const uint8_t* data, size_t len) {
          filling.insert(filling.end(), data, data + len);
          if (filling.size() >= kCatalogWriteBatch) write_batch();
        }, role);
    if (!filling.empty()) write_batch();
    if (written.valid()) written.get();
    sealed.sha256 = digest.finish();
    util::on_each_in_parallel(copies.size(), [&](size_t slot) { copies[slot]->commit(); });
    return sealed;
  }

  // Bytes of stream between checkpoints: --checkpoint-bytes, and at least 16 times the
  // catalog, so that its copies stay a small part of what is written.
  uint64_t checkpoint_interval() const {
    const uint64_t catalog_bytes = io::File::open_read(work_db_.path()).size();
    return std::max<uint64_t>(o_.checkpoint_bytes, 16 * catalog_bytes);
  }

  // Records that stripes below `stripes` are durable and entries up to `last_entry`
  // packed. The caller has fsynced those stripes and committed the catalog.
  void checkpoint(uint64_t stripes, int64_t last_entry) {
    format::Label::Checkpoint cp;
    cp.sequence = label_.checkpoint ? label_.checkpoint->sequence + 1 : 0;
    cp.stripes = stripes;
    cp.last_entry = last_entry;
    format::SealedCatalog sealed = write_catalog_copies(
        [&](const std::string& folder) { return format::checkpoint_path(folder, cp.sequence); },
        format::checkpoint_catalog(cp.sequence));
    cp.sha256 = sealed.sha256;
    cp.bytes = sealed.bytes;
    std::optional<format::Label::Checkpoint> previous = label_.checkpoint;
    label_.checkpoint = cp;
    write_labels();
    if (previous) remove_checkpoint_files(previous->sequence);
  }

  // On every drive at once: freeing a catalog's pages takes a while (30 MB in four
  // copies: 12-14 ms one after the other, 7-8 ms at once).
  void remove_checkpoint_files(uint64_t sequence) {
    util::on_each_in_parallel(folders_.size(), [&](size_t slot) {
      try {
        env_.remove(format::checkpoint_path(folders_[slot], sequence));
      } catch (const Error&) {
        // A checkpoint left behind is never read again (labels name the newest): not
        // worth failing a pack over.
      }
    });
  }

  // Packs the catalog's entries after `after_entry` from `first_stripe` on. `totals` are
  // the whole catalog's, for the progress display and the report, kept up to date as
  // files are left out or found to have changed size: a fresh pack has them from its
  // walk, sparing a scan of every row while the other cores wait, at the start and at
  // the end.
  PackReport stream(int64_t after_entry, uint64_t first_stripe, format::Catalog::Totals totals) {
    const format::Layout& layout = label_.layout;
    progress_.files_total = totals.files;
    progress_.bytes_total = totals.file_bytes;
    progress_.phase = "packing";
    pack::StreamHasher hasher;  // outlives the pipeline, whose thread calls it
    pack::PipelineConfig config;
    config.shipment = label_.shipment;
    config.layout = layout;
    config.block_key = codec::hkdf(data_key_, format::kBlockKeyInfo);
    config.attempt = label_.pack_attempt;
    config.folders = folders_;
    config.threads = util::worker_threads(o_.threads);
    config.first_stripe = first_stripe;
    config.env = &env_;
    config.before_seal = [&hasher](uint64_t stripe) { hasher.hash_stripe(stripe); };
    std::optional<pack::StripePipeline> pipeline(std::in_place, config);
    pack::StreamWriter stream(*pipeline, layout, first_stripe * layout.stripe_plain());
    util::DirChain source(o_.source);
    pack::FilePacker packer(stream, hasher, source, progress_, o_.compress, config.threads,
                            [&] { give_back(stream, pipeline, config, hasher); });
    pack::ReadAhead read_ahead(o_.source, o_.compress, config.threads);

    // Files packed whose digest the hasher has not yet delivered, by id.
    std::map<int64_t, format::Entry> hashing;
    auto record_digests = [&] {
      for (auto& [id, digest] : hasher.take_finished()) {
        auto it = hashing.find(id);
        if (it == hashing.end()) continue;  // an attempt that was read again
        it->second.sha256 = digest;
        catalog_->set_file_data(it->second);
        hashing.erase(it);
      }
    };
    // Once the pipeline is synced every stripe has been hashed, so every digest is in.
    auto record_all_digests = [&] {
      record_digests();
      if (!hashing.empty()) {
        throw std::logic_error("no SHA-256 came back for " + hashing.begin()->second.path);
      }
    };

    const uint64_t interval = checkpoint_interval();
    uint64_t last_checkpoint = stream.position();
    // The batch being packed and the next one, already planned for the read-ahead so
    // that its workers carry on across the boundary. A deque keeps both in place.
    std::deque<std::vector<format::Entry>> batches;
    int64_t last_fetched = after_entry;
    auto fetch_next_batch = [&] {
      std::vector<format::Entry> batch;
      auto cursor = catalog_->entries_to_pack(last_fetched);
      format::Entry e;
      while (batch.size() < kCatalogBatch && cursor.next(e)) {
        last_fetched = e.id;
        // A later name of a file shares the first one's bytes (fill_links(), at the end).
        if (!e.link) batch.push_back(e);
      }
      if (batch.empty()) return;
      read_ahead.plan(batches.emplace_back(std::move(batch)));
    };
    catalog_->begin();
    fetch_next_batch();
    for (; !batches.empty(); batches.pop_front()) {
      fetch_next_batch();
      for (format::Entry& e : batches.front()) {
        if (e.kind != format::EntryKind::kFile) continue;
        std::string reason;
        const uint64_t walked_size = e.size;
        switch (pack_file(e, &reason, read_ahead, packer, stream)) {
          case pack::FileOutcome::kPacked:
            catalog_->set_file_data(e);
            totals.file_bytes = totals.file_bytes - walked_size + e.size;
            break;
          case pack::FileOutcome::kPackedHashing:
            hashing.emplace(e.id, e);
            totals.file_bytes = totals.file_bytes - walked_size + e.size;
            break;
          case pack::FileOutcome::kUnreadable:
          case pack::FileOutcome::kChanged:
            catalog_->remove(e.id);
            catalog_->add_skipped(e.path, reason);
            totals.files -= 1;
            totals.file_bytes -= walked_size;
            break;
        }
        record_digests();
        ++progress_.files_done;
        bool stop = o_.stop && o_.stop->load();
        if (stop || stream.position() - last_checkpoint >= interval) {
          stream.pad_to_stripe();
          pipeline->sync();
          record_all_digests();
          catalog_->commit();
          checkpoint(pipeline->next_stripe(), e.id);
          last_checkpoint = stream.position();
          if (stop) {
            throw Error(ErrorKind::kInterrupted,
                        "stopped at a checkpoint on request; run the same command again to resume");
          }
          catalog_->begin();
        }
      }
      // Keep each transaction to a batch, as far as the digests still in flight allow.
      catalog_->commit();
      catalog_->begin();
    }
    const uint64_t stream_end = stream.position();  // before the last stripe's padding
    stream.finish();
    record_all_digests();
    for (const format::Entry& e : catalog_->fill_links()) {
      catalog_->add_skipped(e.path, "changed while read (another name of the same file)");
      totals.files -= 1;
    }
    catalog_->commit();
    return finish(stream_end, totals);
  }

  // Takes the stream back to its mark over a file's attempt given up (FilePacker): within
  // the stripe being filled, a rewind. Past it the stripes from the mark's on are written
  // again by a new pipeline under a new pack attempt, on every label before the first
  // unit is sealed with it (a nonce is never used twice), and the blocks the old attempt
  // wrote there are cut off. The mark lies past the last checkpoint, which is never
  // touched. Beyond kMaxAttemptRuns runs the bytes stay as dead space instead.
  void give_back(pack::StreamWriter& stream, std::optional<pack::StripePipeline>& pipeline,
                 pack::PipelineConfig& config, pack::StreamHasher& hasher) {
    if (stream.rewind_in_stripe()) return;
    format::PackAttempts attempts = format::PackAttempts::parse(
        catalog_->meta("attempts").value_or(""), "the catalog being written");
    if (attempts.runs() >= kMaxAttemptRuns) return;
    pipeline->finish();  // the stripes handed over are written; the one being filled is dropped
    pipeline.reset();
    hasher.forget_pending();
    const uint64_t stripe = stream.marked() / label_.layout.stripe_plain();
    label_.pack_attempt += 1;
    write_labels();
    attempts.begin(stripe, label_.pack_attempt);
    catalog_->set_meta("attempts", attempts.to_string());
    drop_blocks_past(stripe);
    config.first_stripe = stripe;
    config.attempt = label_.pack_attempt;
    pipeline.emplace(config);
    stream.restart_at_mark(*pipeline);
  }

  // Packs one file: a small one from the read-ahead pool (queued before, in order),
  // a large one, or one that grew since the walk, streamed.
  pack::FileOutcome pack_file(format::Entry& e, std::string* reason, pack::ReadAhead& read_ahead,
                              pack::FilePacker& packer, pack::StreamWriter& stream) {
    if (!pack::ReadAhead::wanted(e)) return packer.pack(e, reason);
    const pack::ReadyFile& ready = read_ahead.take();
    pack::FileOutcome outcome = pack::FileOutcome::kPacked;
    switch (ready.outcome) {
      case pack::ReadyFile::kPacked:
        e = ready.entry;
        e.offset = stream.position();
        e.stored = ready.stored.size();
        stream.write(ready.stored.data(), ready.stored.size());
        progress_.bytes_done += e.size;
        break;
      case pack::ReadyFile::kTooLarge:
        outcome = packer.pack(e, reason);
        break;
      case pack::ReadyFile::kUnreadable:
        *reason = ready.reason;
        outcome = pack::FileOutcome::kUnreadable;
        break;
      case pack::ReadyFile::kChanged:
        *reason = ready.reason;
        outcome = pack::FileOutcome::kChanged;
        break;
    }
    return outcome;
  }

  PackReport finish(uint64_t stream_end, const format::Catalog::Totals& totals) {
    progress_.phase = "finishing";
    label_.stream_bytes = stream_end;
    label_.stripes = label_.layout.stripes_for(stream_end);
    catalog_->set_meta("format_version", std::to_string(format::kFormatVersion));
    catalog_->set_meta("shipment", format::id_hex(label_.shipment));
    catalog_->set_meta("stream_bytes", std::to_string(label_.stream_bytes));
    catalog_->set_meta("created_unix", std::to_string(label_.created_unix));
    if (report_.resumed) drop_blocks_past(label_.stripes);
    format::SealedCatalog sealed = write_catalog_copies(&format::catalog_path, format::kFinalCatalog);
    label_.catalog_sha256 = sealed.sha256;
    label_.catalog_bytes = sealed.bytes;
    std::optional<format::Label::Checkpoint> last = label_.checkpoint;
    label_.checkpoint.reset();
    label_.state = format::LabelState::kComplete;
    write_labels();
    if (last) remove_checkpoint_files(last->sequence);
    return finish_report(totals, catalog_->skipped());
  }

  // Blocks an earlier attempt wrote from stripe `stripes` on: past where a resumed pack
  // ended (its stream came out shorter: files changed meanwhile), or over a file given up
  // (give_back). Left there, they would look to a keyless verify like blocks the labels
  // hide (SECURITY.md). A power cut that undoes the cut leaves only that warning.
  void drop_blocks_past(uint64_t stripes) {
    const format::Layout& layout = label_.layout;
    for (const std::string& folder : folders_) {
      for (const io::DriveFolderEntry& e :
           io::list_drive_folder(io::join(folder, format::kSegmentDir))) {
        const auto index = format::segment_of_file_name(e.name);
        if (!index || !S_ISREG(e.st.st_mode)) continue;
        const uint64_t first = *index * layout.segment_stripes;
        const uint64_t keep = first >= stripes ? 0 : std::min(layout.segment_stripes, stripes - first);
        if (static_cast<uint64_t>(e.st.st_size) <= keep * layout.record_size()) continue;
        const std::string path = format::segment_path(folder, *index);
        try {
          if (keep == 0) {
            env_.remove(path);
          } else {
            env_.truncate(path, keep * layout.record_size());
          }
        } catch (const Error& e) {
          throw Error(e.kind(), "cannot cut off the blocks of an earlier attempt: " + std::string(e.what()));
        }
      }
    }
  }

  // `skipped`: path and reason of each entry left out.
  PackReport finish_report(const format::Catalog::Totals& totals,
                           const std::vector<std::pair<std::string, std::string>>& skipped) {
    PackReport& r = report_;
    r.shipment_id = format::id_hex(label_.shipment);
    r.k = label_.layout.k;
    r.m = label_.layout.m;
    r.stream_bytes = label_.stream_bytes;
    r.stripes = label_.stripes;
    r.files = totals.files;
    r.directories = totals.directories;
    r.symlinks = totals.symlinks;
    r.source_bytes = totals.file_bytes;
    for (auto& [path, reason] : skipped) {
      (pack::is_special_file_reason(reason) ? r.skipped : r.unreadable).emplace_back(path, reason);
    }
    return r;
  }

  const PackOptions& o_;
  const io::WriteEnv& env_;
  Progress& progress_;
  io::TempFile work_db_;
  std::optional<format::Catalog> catalog_;
  format::Label label_;
  codec::Key data_key_{};
  std::vector<std::string> folders_;
  std::vector<std::unique_ptr<io::DriveLock>> locks_;
  PackReport report_;
};

// Drives are meant to be separate disks: two folders on one file system are lost
// together, and a folder on the file system of `/` is most often a mount point whose
// drive is not mounted.
std::vector<std::string> drive_warnings(const PackOptions& o) {
  std::vector<std::string> warnings;
  struct stat root;
  const bool have_root = ::stat("/", &root) == 0;
  std::vector<std::pair<dev_t, std::vector<std::string>>> by_device;  // in the order given
  for (const std::string& drive : o.drives) {
    struct stat st;
    if (::stat(drive.c_str(), &st) != 0) continue;
    auto same = std::find_if(by_device.begin(), by_device.end(),
                             [&](const auto& d) { return d.first == st.st_dev; });
    if (same == by_device.end()) same = by_device.insert(by_device.end(), {st.st_dev, {}});
    same->second.push_back(drive);
  }
  for (const auto& [device, drives] : by_device) {
    std::string names;
    for (const std::string& d : drives) names += (names.empty() ? "" : ", ") + d;
    if (drives.size() > 1) {
      warnings.push_back("drives " + names + " are on one file system: losing its disk loses " +
                         std::to_string(drives.size()) + " drives, and parity " +
                         std::to_string(o.parity) + " covers " + std::to_string(o.parity));
    }
    if (have_root && device == root.st_dev) {
      warnings.push_back((drives.size() > 1 ? "drives " : "drive ") + names +
                         (drives.size() > 1 ? " are" : " is") +
                         " on the file system of /, not a drive of their own: is the drive mounted?");
    }
  }
  return warnings;
}

PackReport pack_onto_drives(const PackOptions& o, Progress& progress) {
  format::Layout layout = requested_layout(o);
  DriveContents contents = inspect_drives(o, layout);
  if (contents.only_abandoned_starts) return Packer(o, progress).fresh(layout, contents.folders);
  uint32_t labels_completed = 0;
  if (!contents.completing_folders.empty() && !o.force) {
    labels_completed = Packer(o, progress).complete_labels(contents.completing_folders);
    contents.complete_folders = contents.completing_folders;
  }
  if (!contents.complete_folders.empty() && !o.force) {
    if (auto done = Packer(o, progress).already_done(contents.complete_folders)) {
      done->labels_completed = labels_completed;
      return *done;
    }
  }
  if (!contents.resume_folders.empty() && !o.force) {
    return Packer(o, progress).resume(contents.resume_folders);
  }
  if (!contents.folders.empty() && !o.force) refuse_occupied(o);
  return Packer(o, progress).fresh(layout, contents.folders);
}

}  // namespace

PackReport pack_shipment(const PackOptions& o, Progress& progress) {
  check_options(o);
  std::vector<std::string> warnings = drive_warnings(o);
  if (o.warn) {
    for (const std::string& w : warnings) o.warn(w);
  }
  PackReport report = pack_onto_drives(o, progress);
  report.warnings.insert(report.warnings.begin(), warnings.begin(), warnings.end());
  return report;
}

}  // namespace ferry
