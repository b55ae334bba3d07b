// restore: open the drives and the key, check the target, then write directories, file
// contents (in stream order, files of up to 16 MiB stored on a pool of threads, each
// verified by SHA-256 before taking its final name), symbolic links, and last the
// directories' own metadata.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "codec/kdf.h"
#include "ferry/error.h"
#include "ferry/restore.h"
#include "format/constants.h"
#include "format/entry_check.h"
#include "io/file.h"
#include "read/entry_metadata.h"
#include "read/file_streamer.h"
#include "read/hard_links.h"
#include "read/open_shipment.h"
#include "read/restore_space.h"
#include "read/restored_file.h"
#include "read/selection.h"
#include "read/stream_cursor.h"
#include "read/stream_file_hasher.h"
#include "read/stripe_source.h"
#include "read/target_check.h"
#include "read/target_names.h"
#include "read/whole_file_writer.h"
#include "util/dir_chain.h"
#include "util/display.h"
#include "util/ns_time.h"
#include "util/safe_path.h"
#include "util/threads.h"

namespace ferry {
namespace {

using format::Entry;
using format::EntryKind;

std::string octal(uint32_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "%04o", mode);
  return text;
}

// What the target kept of an entry's mode and mtime, looked at after they were set: some
// file systems (exFAT through FUSE) take a chmod or a time they cannot hold without an
// error, and keep 0777 or the nearest date they can. A difference is said, never kept
// quiet. Times within 2 s are the same time: FAT keeps even seconds, exFAT 10 ms.
// `mode_said`: a failed chmod was reported already.
std::vector<std::string> kept_differently(const struct stat& st, uint32_t mode, int64_t mtime_ns,
                                          bool mode_said = false) {
  std::vector<std::string> said;
  if (!mode_said && (st.st_mode & 01777) != (mode & 01777)) {
    said.push_back("mode " + octal(mode & 01777) + " not kept: the target shows " +
                   octal(st.st_mode & 01777));
  }
  const int64_t kept = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (kept - mtime_ns > 2000000000 || mtime_ns - kept > 2000000000) {
    said.push_back("mtime " + util::utc_time(mtime_ns) + " UTC not kept: the target holds " +
                   util::utc_time(kept) + " UTC, the nearest time it can");
  }
  return said;
}

// Every selected path must be safe, and no entry may lie below a file or symlink of
// the catalog: such a path could only be written by going through a link. Every file's
// bytes must lie within the data stream of `stream_bytes`.
void check_paths(format::Catalog& catalog, const read::Selection& selection, uint64_t stream_bytes,
                 Progress& progress) {
  auto cursor = catalog.entries();
  Entry e;
  std::string checked;  // a folder whose entries passed: they come one after another
  while (cursor.next(e)) {
    if (!selection.contains(e.path)) continue;
    std::string why;
    if (!util::is_safe_relative_path(e.path, &why)) {
      throw Error(ErrorKind::kUnsafePath, "the catalog holds an unsafe path " + util::shown(e.path) +
                                              " (" + why + "); refusing to restore anything from it");
    }
    const std::string folder = util::parent_path(e.path);
    if (folder != checked) {
      for (std::string parent = folder; !parent.empty(); parent = util::parent_path(parent)) {
        auto p = catalog.find(parent);
        if (p && p->kind != EntryKind::kDirectory) {
          throw Error(ErrorKind::kUnsafePath,
                      "the catalog places " + util::shown(e.path) + " below " + util::shown(parent) +
                          ", which is not a folder; refusing to restore anything from it");
        }
        if (p) break;  // its own parents were checked when it was
      }
      checked = folder;
    }
    format::check_extent(e, stream_bytes);
    if (e.kind == EntryKind::kFile) {
      ++progress.files_total;
      progress.bytes_total += e.size;
    }
  }
}

class Restorer {
 public:
  // `empty_target`: the target held nothing when the restore began, so no entry can be
  // there already (saves a system call a file).
  // `renames`: where entries whose names collide on the target are written instead.
  Restorer(const RestoreOptions& o, read::OpenShipment& s, Progress& progress, RestoreReport& r,
           bool empty_target, const read::Renames& renames)
      : options_(o), shipment_(s), progress_(progress), report_(r), out_(o.target),
        empty_target_(empty_target), renames_(renames) {}

  void run(const read::Selection& selection) {
    format::Catalog catalog = shipment_.catalog();
    read::HardLinks links(catalog, selection);
    links.rename(renames_);
    links_ = &links;
    make_directories(catalog, selection);
    restore_files(catalog, selection);
    make_symlinks(catalog, selection);
    make_hard_links(links);
    apply_metadata(catalog, selection);
    set_directory_metadata(catalog, selection);
  }

 private:
  void make_directories(format::Catalog& catalog, const read::Selection& selection) {
    auto cursor = catalog.entries_of(EntryKind::kDirectory);
    Entry e;
    while (cursor.next(e)) {
      if (!selection.contains(e.path)) continue;
      std::string leaf;
      int dirfd = out_.parent_of(renames_.apply(e.path), &leaf, true);
      if (::mkdirat(dirfd, leaf.c_str(), 0755) != 0 && errno != EEXIST) {
        throw_errno("cannot create directory " + io::join(options_.target, e.path), errno);
      }
      ++report_.directories;
    }
  }

  void restore_files(format::Catalog& catalog, const read::Selection& selection) {
    const format::Layout& layout = shipment_.drives.label.layout;
    // The schedule walks the same entries as the writer below, on its own connection.
    struct ScheduleState {
      explicit ScheduleState(format::Catalog c)
          : catalog(std::move(c)), cursor(catalog.entries_of(EntryKind::kFile)) {}
      format::Catalog catalog;  // declared first: outlives the cursor
      format::Catalog::Cursor cursor;
      uint64_t first = 1, end = 0;  // stripes of the current file not yet handed out
      int64_t last = -1;            // the last stripe handed out
    };
    auto state = std::make_shared<ScheduleState>(shipment_.catalog());
    auto wanted = [this, &selection](const Entry& e) {
      return (selection.contains(e.path) && !links_->linked(e.id)) || links_->stand_in(e.id);
    };
    auto schedule = [state, layout, wanted]() -> std::optional<uint64_t> {
      ScheduleState& st = *state;
      for (;;) {
        while (st.first < st.end) {
          uint64_t s = st.first++;
          if (static_cast<int64_t>(s) > st.last) {
            st.last = static_cast<int64_t>(s);
            return s;
          }
        }
        Entry e;
        if (!st.cursor.next(e)) return std::nullopt;
        if (e.stored == 0 || !wanted(e)) continue;
        st.first = e.offset / layout.stripe_plain();
        st.end = (e.offset + e.stored - 1) / layout.stripe_plain() + 1;
      }
    };
    // The raw files are hashed as their stripes are decoded, off this thread, which
    // then only writes. It walks the same entries again, on a connection of its own;
    // declared before the source, whose threads use it.
    format::Catalog hash_catalog = shipment_.catalog();
    format::Catalog::Cursor hash_entries = hash_catalog.entries_of(EntryKind::kFile);
    read::StreamFileHasher hasher(layout, [&](Entry& e) {
      while (hash_entries.next(e)) {
        if (wanted(e)) return true;
      }
      return false;
    });
    int threads = util::worker_threads(options_.threads);
    read::StripeReader reader(shipment_.drives.label, shipment_.drives.folders,
                              options_.env ? *options_.env : io::ReadEnv::posix(),
                              shipment_.attempts);
    read::StripeSource source(reader, codec::hkdf(shipment_.data_key, format::kBlockKeyInfo),
                              schedule, threads, hasher.stages());
    read::StreamCursor cursor(source, layout);
    read::FileStreamer streamer(cursor, threads);
    read::WholeFileWriter writer(options_.target, threads, [&](const Entry& e, bool written) {
      progress_.bytes_done += e.size;
      count(e, written);
    });

    auto entries = catalog.entries_of(EntryKind::kFile);
    Entry e;
    while (entries.next(e)) {
      if (!wanted(e)) continue;
      if (const std::string* stand_in = links_->stand_in(e.id)) e.path = *stand_in;
      e.path = renames_.apply(e.path);
      if (options_.stop && options_.stop->load()) {
        throw Error(ErrorKind::kInterrupted,
                    "stopped on request; run the same restore again to continue where it stopped");
      }
      restore_file(e, streamer, writer);
      writer.report_finished();
      ++progress_.files_done;
    }
    writer.finish();
    report_.units_rebuilt = cursor.rebuilt();
    // Files written on the pool are reported as they finish: back into catalog order.
    std::sort(lost_.begin(), lost_.end());
    for (auto& [id, path] : lost_) report_.lost.push_back(std::move(path));
  }

  void count(const Entry& e, bool written) {
    if (written) {
      ++report_.files;
      report_.bytes += e.size;
    } else {
      lost_.emplace_back(e.id, e.path);
    }
  }

  // Files of up to 16 MiB stored go to the writer's pool, gathered whole; the others are
  // written here as they stream, under a temporary name until checked.
  void restore_file(const Entry& e, read::FileStreamer& streamer, read::WholeFileWriter& writer) {
    std::string leaf;
    int dirfd = -1;
    if (!empty_target_) {
      dirfd = out_.parent_of(e.path, &leaf, true);
      if (read::already_restored(dirfd, leaf, e)) {
        // The same bytes: left alone, but given its time as packed (its mode and the
        // rest follow with every file's, in apply_metadata).
        struct timespec times[2] = {util::timespec_of(e.mtime_ns), util::timespec_of(e.mtime_ns)};
        if (::utimensat(dirfd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
          report_.not_applied.emplace_back(e.path, std::string("mtime not applied: ") +
                                                       std::strerror(errno));
        }
        ++report_.already_present;
        progress_.bytes_done += e.size;
        streamer.skip(e);
        return;
      }
    }
    if (read::WholeFileWriter::takes(e)) {
      writer.submit(streamer.gather(e, writer.prepare(e)));
      return;
    }
    writer.start_queued();  // this file takes a while
    if (dirfd < 0) dirfd = out_.parent_of(e.path, &leaf, true);
    read::RestoredFile file(dirfd, e, io::join(options_.target, util::shown(e.path)));
    const bool intact = streamer.stream(e, [&](const uint8_t* p, size_t n) {
      file.write(p, n);
      progress_.bytes_done += n;
    });
    if (intact) file.publish(leaf);
    count(e, intact);
  }

  void make_symlinks(format::Catalog& catalog, const read::Selection& selection) {
    auto cursor = catalog.entries_of(EntryKind::kSymlink);
    Entry e;
    while (cursor.next(e)) {
      if (!selection.contains(e.path)) continue;
      e.path = renames_.apply(e.path);
      std::string leaf;
      int dirfd = out_.parent_of(e.path, &leaf, true);
      if (empty_target_ || !read::already_restored(dirfd, leaf, e)) {
        std::string tmp = ".ferry-tmp-" + std::to_string(e.id);
        ::unlinkat(dirfd, tmp.c_str(), 0);
        if (::symlinkat(e.target.c_str(), dirfd, tmp.c_str()) != 0) {
          const int err = errno;
          if (!read::metadata_unsupported(err)) {
            throw_errno("cannot create symbolic link " + io::join(options_.target, e.path), err);
          }
          report_.not_applied.emplace_back(
              e.path, std::string("not restored: the target holds no symbolic links (") +
                          std::strerror(err) + ")");
          ++report_.not_restored;
          continue;
        }
        if (::renameat(dirfd, tmp.c_str(), dirfd, leaf.c_str()) != 0) {
          int err = errno;
          ::unlinkat(dirfd, tmp.c_str(), 0);
          throw_errno("cannot create symbolic link " + io::join(options_.target, e.path), err);
        }
      }
      struct timespec times[2] = {util::timespec_of(e.mtime_ns), util::timespec_of(e.mtime_ns)};
      ::utimensat(dirfd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
      ++report_.symlinks;
    }
  }

  void make_hard_links(const read::HardLinks& links) {
    read::HardLinks::Outcome made = links.make(options_.target);
    report_.hard_links = made.linked;
    report_.files += made.linked + made.copied.size();
    for (auto& entry : made.copied) report_.not_applied.push_back(std::move(entry));
    for (auto& path : made.lost) report_.lost.push_back(std::move(path));
  }

  // Owners, setuid/setgid bits and extended attributes, once every entry is in place and
  // before the folders' modes (which may close them) and times. A later name of a file
  // is the same file: it has them already.
  void apply_metadata(format::Catalog& catalog, const read::Selection& selection) {
    const bool as_root = ::geteuid() == 0;
    read::EntryMetadata metadata(catalog, options_.numeric_owner, options_.xattrs, as_root);
    if (!as_root) {
      report_.warnings.push_back(
          "owners and groups were not restored: restore runs as user " +
          std::to_string(::geteuid()) + ", not as root, so everything belongs to that user");
    }
    auto cursor = catalog.entries();
    Entry e;
    while (cursor.next(e)) {
      if (const std::string* stand_in = links_->stand_in(e.id)) {
        e.path = *stand_in;
      } else if (!selection.contains(e.path) || links_->linked(e.id)) {
        continue;
      }
      e.path = renames_.apply(e.path);
      std::vector<format::Xattr> xattrs;
      if (options_.xattrs) xattrs = catalog.xattrs(e.id);
      const bool special = e.kind == EntryKind::kFile && (e.mode & 06000);
      if (!as_root && xattrs.empty() && !special && e.kind != EntryKind::kFile) continue;
      std::string leaf;
      int dirfd;
      try {
        dirfd = out_.parent_of(e.path, &leaf, false);
      } catch (const Error&) {
        continue;  // not written (a lost file's folder is always made; this is defensive)
      }
      struct stat st;
      if (::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // lost
      for (std::string& what : metadata.apply(dirfd, leaf, e, xattrs)) {
        report_.not_applied.emplace_back(e.path, std::move(what));
      }
      // A file's mode as it was written (less setuid/setgid, which apply() handled): a
      // target that keeps no modes refused it then.
      if (e.kind == EntryKind::kFile && (st.st_mode & 01777) != (e.mode & 01777) &&
          read::chmod_file_nofollow(dirfd, leaf, e.mode & 01777) != 0) {
        report_.not_applied.emplace_back(e.path, "mode " + octal(e.mode & 01777) +
                                                     " not applied: " + std::strerror(errno));
      } else if (e.kind == EntryKind::kFile &&
                 ::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        for (std::string& what : kept_differently(st, e.mode, e.mtime_ns)) {
          report_.not_applied.emplace_back(e.path, std::move(what));
        }
      }
    }
  }

  // Deepest first, after everything inside them is written, so their mtimes stay.
  void set_directory_metadata(format::Catalog& catalog, const read::Selection& selection) {
    format::Catalog::Query folders(
        catalog, "SELECT path, mode, mtime_ns FROM entries WHERE kind=1 ORDER BY id DESC",
        "folders");
    while (folders.next()) {
      const std::string path = folders.bytes(0);
      if (!selection.contains(path)) continue;
      std::string leaf;
      int dirfd = out_.parent_of(renames_.apply(path), &leaf, true);
      auto mode = static_cast<mode_t>(folders.integer(1) & 07777);
      int64_t mtime = folders.integer(2);
      struct timespec times[2] = {util::timespec_of(mtime), util::timespec_of(mtime)};
      // Through a descriptor of the directory itself, never its name: a link planted
      // or swapped in there is refused, not followed to a folder outside the target.
      int fd = ::openat(dirfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      bool mode_said = false;
      if (fd >= 0 && ::fchmod(fd, mode) != 0) {
        mode_said = true;
        if (!read::metadata_unsupported(errno)) {
          const int err = errno;
          ::close(fd);
          throw_errno("cannot set metadata of " + io::join(options_.target, path), err);
        }
        report_.not_applied.emplace_back(path, "mode " + octal(mode) + " not applied: " +
                                                   std::strerror(errno));
      }
      bool ok = fd >= 0 && ::futimens(fd, times) == 0;
      int err = errno;
      struct stat st;
      if (ok && ::fstat(fd, &st) == 0) {
        for (std::string& what : kept_differently(st, mode, mtime, mode_said)) {
          report_.not_applied.emplace_back(path, std::move(what));
        }
      }
      if (fd >= 0) ::close(fd);
      if (!ok) {
        if (err == ELOOP || err == ENOTDIR) {
          throw Error(ErrorKind::kUnsafePath, io::join(options_.target, util::shown(path)) +
                                                  " is no longer a folder (a link or file was put "
                                                  "in its place); its mode and time were not set");
        }
        throw_errno("cannot set metadata of " + io::join(options_.target, path), err);
      }
    }
  }

  const RestoreOptions& options_;
  read::OpenShipment& shipment_;
  Progress& progress_;
  RestoreReport& report_;
  util::DirChain out_;
  const bool empty_target_;
  const read::Renames& renames_;
  std::vector<std::pair<int64_t, std::string>> lost_;  // by entry id
  const read::HardLinks* links_ = nullptr;  // during run()
};

// A whole restore into an empty folder makes that folder the source root: its mode and
// mtime too, last, after everything inside was written.
void give_target_the_roots_metadata(const RestoreOptions& o, format::Catalog& catalog,
                                    RestoreReport& report) {
  const std::string& target = o.target;
  auto mode = catalog.meta("root_mode");
  auto mtime = catalog.meta("root_mtime_ns");
  if (!mode || !mtime) return;
  auto uid = catalog.meta("root_uid"), gid = catalog.meta("root_gid");  // absent in older catalogs
  int64_t mtime_ns = 0;
  unsigned long mode_bits = 0;
  try {
    mtime_ns = std::stoll(*mtime);
    mode_bits = std::stoul(*mode) & 07777;
    // As root, the owner as packed (by number: the source folder's is rarely a name to
    // look up); setuid and setgid only with it, as for every other entry.
    const bool owned = ::geteuid() == 0 && uid && gid &&
                       ::chown(target.c_str(), static_cast<uid_t>(std::stoul(*uid)),
                               static_cast<gid_t>(std::stoul(*gid))) == 0;
    if (!owned && (mode_bits & 06000)) {
      report.not_applied.emplace_back(".", "setuid and setgid bits of the top folder cleared: its "
                                           "owner was not restored");
      mode_bits &= 01777;
    }
  } catch (const std::exception&) {
    return;  // not numbers: not what pack writes
  }
  if (o.xattrs) {
    read::EntryMetadata metadata(catalog, o.numeric_owner, true, ::geteuid() == 0);
    for (const format::Xattr& x : format::decode_xattrs(catalog.meta("root_xattrs").value_or(""))) {
      const std::string value = metadata.value_here(x);
      if (::lsetxattr(target.c_str(), x.name.c_str(), value.data(), value.size(), 0) != 0) {
        report.not_applied.emplace_back(".", "extended attribute " + x.name +
                                                 " of the top folder not applied: " +
                                                 std::strerror(errno));
      }
    }
  }
  struct timespec times[2] = {util::timespec_of(mtime_ns), util::timespec_of(mtime_ns)};
  if (::chmod(target.c_str(), static_cast<mode_t>(mode_bits)) != 0 ||
      ::utimensat(AT_FDCWD, target.c_str(), times, 0) != 0) {
    throw_errno("cannot set the mode and mtime of the target " + target, errno);
  }
}

// Names the target cannot hold are left out and listed; names that it would make one
// (a target that folds case or normalizes Unicode) refuse the restore, naming them,
// before anything is written.
// With --rename-collisions, the names of each group but the first are changed instead,
// and listed.
read::Renames refuse_colliding_names(const RestoreOptions& o, format::Catalog& catalog,
                                     read::Selection& selection, RestoreReport& report) {
  auto [bytes, non_utf8] = read::bytes_to_probe(catalog, selection);
  read::TargetNames target = read::probe_target_names(o.target, bytes, non_utf8);
  target.folds_case = target.folds_case || o.target_folds_case;
  std::unique_ptr<read::NameTrial> trial;
  if (target.folds_case || target.normalizes) trial = read::name_trial_in(o.target);
  read::NameCheck names = read::check_target_names(target, catalog, selection,
                                                   o.rename_collisions ? SIZE_MAX : 10, trial.get());
  trial.reset();  // its scratch folder goes before anything is restored
  for (auto& [path, why] : names.unholdable) report.not_applied.emplace_back(path, why);
  report.not_restored += names.unholdable.size();
  if (names.collisions.empty()) return {};
  if (o.rename_collisions) {
    std::vector<std::pair<std::string, std::string>> renamed;
    read::Renames renames = read::rename_collisions(names, catalog, renamed);
    for (const auto& [path, full] : renamed) {
      report.not_applied.emplace_back(
          path, "restored as " + util::shown(renames.apply(path)) +
                    ": on the target it would be one name with another of its folder");
    }
    return renames;
  }
  std::string listed;
  for (const auto& group : names.collisions) {
    listed += "\n ";
    for (const std::string& path : group) listed += " " + util::shown(path);
  }
  if (names.collision_groups > names.collisions.size()) {
    listed += "\n  … and " + std::to_string(names.collision_groups - names.collisions.size()) +
              " more";
  }
  const std::string folds =
      target.folds_case && target.normalizes
          ? "does not tell upper from lower case, nor an accented letter written as one code "
            "point from the same written as two"
      : target.folds_case ? "does not tell upper from lower case"
                          : "does not tell an accented letter written as one code point from the "
                            "same written as two (Unicode normalization)";
  throw Error(ErrorKind::kConflict,
              "the target " + o.target + " " + folds + ", and " +
                  std::to_string(names.collision_groups) +
                  " groups of names in the shipment would each be one name there; each would "
                  "overwrite the other:" + listed +
                  "\nRestore onto a file system that tells these names apart (ext4 or XFS without "
                  "casefold), add --rename-collisions to restore the later of each group "
                  "under a new name (listed), or leave one of each group out with --only. "
                  "Nothing was written.");
}

}  // namespace

RestoreReport restore_shipment(const RestoreOptions& o, Progress& progress) {
  if (o.target.empty()) throw Error(ErrorKind::kInvalidArgument, "restore needs --to DIR");
  if (o.credentials.empty()) {
    throw Error(ErrorKind::kInvalidArgument,
                "restore needs the shipment's key: --key-file F, --passphrase-file F or FERRY_PASSPHRASE");
  }
  progress.phase = "opening";
  const io::ReadEnv& env = o.env ? *o.env : io::ReadEnv::posix();
  read::DriveSet drives = read::open_drives(o.drives, o.shipment, env);
  read::require_complete(drives);
  read::require_k(drives);
  RestoreReport report;
  report.warnings = drives.warnings();
  for (uint32_t slot : drives.missing()) {
    report.warnings.push_back(read::missing_slot_warning(slot, drives.label.layout.n()));
  }
  auto shipment = read::open_shipment(std::move(drives), o.credentials, env);
  for (const auto& p : shipment->catalog_problems) report.warnings.push_back(p);
  report.shipment_id = format::id_hex(shipment->drives.label.shipment);

  format::Catalog catalog = shipment->catalog();
  read::Selection selection(o.only);
  for (const std::string& root : selection.roots()) {
    if (!catalog.find(root)) {
      throw Error(ErrorKind::kInvalidArgument,
                  "--only " + util::shown(root) + ": no such file or folder in the shipment (see `ferry ls`)");
    }
  }
  check_paths(catalog, selection, shipment->drives.label.stream_bytes, progress);
  if (io::exists(o.target) && !io::is_directory(o.target)) {
    throw Error(ErrorKind::kInvalidArgument, "target " + o.target + " exists and is not a folder");
  }
  // The target is made first (its name rules are found by trying names in it); a check
  // that refuses the restore takes away the folder it made, so nothing is left behind.
  const bool made_target = !io::exists(o.target);
  io::make_directories(o.target);
  read::Renames renames;
  bool empty_target = false;
  try {
    renames = refuse_colliding_names(o, catalog, selection, report);
    empty_target = read::holds_nothing(o.target);
    if (!empty_target) read::check_target(o.target, catalog, selection, &renames, o.overwrite);
    // Into an empty target only: a restore run again finds part of it there already.
    if (o.check_space && empty_target) {
      read::check_target_space(
          o.target, read::restored_bytes(catalog, selection, read::HardLinks(catalog, selection),
                                         read::target_keeps_holes(o.target)));
    }
  } catch (const Error&) {
    if (made_target) ::rmdir(o.target.c_str());  // only while it is still empty
    throw;
  }

  progress.phase = "restoring";
  Restorer(o, *shipment, progress, report, empty_target, renames).run(selection);
  if (selection.everything() && empty_target) give_target_the_roots_metadata(o, catalog, report);
  return report;
}

}  // namespace ferry
