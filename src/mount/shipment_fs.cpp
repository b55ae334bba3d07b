#define FUSE_USE_VERSION 312
#include "mount/shipment_fs.h"

#include <dirent.h>
#include <fuse.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "ferry/error.h"
#include "format/constants.h"
#include "read/drive_set.h"
#include "util/display.h"
#include "util/ns_time.h"

namespace ferry::mount {
namespace {

// What every FUSE callback reaches through fuse_get_context()->private_data.
struct Mounted {
  const MountOptions* options = nullptr;
  std::unique_ptr<Shipment> shipment;
  uid_t uid = 0;
  gid_t gid = 0;
};

Mounted& mounted() { return *static_cast<Mounted*>(fuse_get_context()->private_data); }

// FUSE paths start with '/'; the catalog's are relative.
std::string_view relative(const char* path) {
  return path[0] == '/' ? std::string_view(path + 1) : std::string_view(path);
}

// With --only, an entry is shown when it is one of those paths, lies below one, or is
// a folder above one (so the path down to it can be walked).
bool visible(const Mounted& m, std::string_view rel) {
  if (m.options->only.empty() || rel.empty()) return true;
  for (const std::string& p : m.options->only) {
    if (rel == p) return true;
    if (rel.size() > p.size() && rel.compare(0, p.size(), p) == 0 && rel[p.size()] == '/') {
      return true;
    }
    if (p.size() > rel.size() && p.compare(0, rel.size(), rel) == 0 && p[rel.size()] == '/') {
      return true;
    }
  }
  return false;
}

void fill_stat(const Mounted& m, const ShipmentEntry& e, struct stat* st) {
  std::memset(st, 0, sizeof *st);
  switch (e.kind) {
    case ShipmentEntry::Kind::kFile: st->st_mode = S_IFREG | (e.mode & 07777); st->st_nlink = e.links; break;
    // 1: "not counted", as btrfs says it. 2 would claim a folder has no subfolders,
    // which tools that trust link counts (find's leaf optimisation) would believe; the
    // count itself would cost a listing of the folder on every stat.
    case ShipmentEntry::Kind::kDirectory: st->st_mode = S_IFDIR | (e.mode & 07777); st->st_nlink = 1; break;
    case ShipmentEntry::Kind::kSymlink: st->st_mode = S_IFLNK | 0777; st->st_nlink = 1; break;
  }
  // Owners as the catalog has them, when the mount was made by root (who may hand files
  // to anyone); otherwise everything belongs to whoever mounted it, who can then read it.
  st->st_uid = m.uid == 0 ? e.uid : m.uid;
  st->st_gid = m.uid == 0 ? e.gid : m.gid;
  // One inode a file, shared by its hard links; the root is FUSE's 1, entries above it.
  st->st_ino = static_cast<ino_t>(e.path.empty() ? 1 : (e.file_id != 0 ? e.file_id : e.id) + 1);
  st->st_size = static_cast<off_t>(e.size);
  st->st_blksize = 1 << 20;
  // What the file takes on the drives (compressed; a sparse file's zeros squeezed): tools
  // that copy sparse files (cp, tar -S, rsync -S) see it as the sparse file it was.
  const uint64_t allocated = e.kind == ShipmentEntry::Kind::kFile ? std::min(e.size, e.stored) : e.size;
  st->st_blocks = static_cast<blkcnt_t>((allocated + 511) / 512);
  st->st_mtim = util::timespec_of(e.mtime_ns);
  st->st_atim = st->st_ctim = st->st_mtim;
}

// Errors from the reader become errno values; in the foreground their text is shown.
int failed(const Mounted& m, const std::exception& e) {
  if (m.options->foreground) std::fprintf(stderr, "ferry mount: %s\n", e.what());
  return -EIO;
}

std::optional<ShipmentEntry> find(Mounted& m, std::string_view rel) {
  if (!visible(m, rel)) return std::nullopt;
  return m.shipment->stat(rel);
}

// Serves a request about the entry at `path`: ENOENT when it is not there (or hidden by
// --only); the reader's errors become EIO.
template <typename Serve>
int on_entry(const char* path, Serve serve) {
  Mounted& m = mounted();
  try {
    auto e = find(m, relative(path));
    if (!e) return -ENOENT;
    return serve(m, *e);
  } catch (const std::exception& e) {
    return failed(m, e);
  }
}

// `bytes` into a caller's buffer of `size`, as getxattr(2) and listxattr(2) answer: the
// length alone for size 0, ERANGE when it does not fit.
int reply_bytes(const std::string& bytes, char* out, size_t size) {
  if (size == 0) return static_cast<int>(bytes.size());
  if (size < bytes.size()) return -ERANGE;
  std::memcpy(out, bytes.data(), bytes.size());
  return static_cast<int>(bytes.size());
}

int fs_getattr(const char* path, struct stat* st, fuse_file_info*) {
  return on_entry(path, [&](Mounted& m, const ShipmentEntry& e) {
    fill_stat(m, e, st);
    return 0;
  });
}

int fs_readlink(const char* path, char* buf, size_t size) {
  return on_entry(path, [&](Mounted&, const ShipmentEntry& e) {
    if (e.kind != ShipmentEntry::Kind::kSymlink) return -EINVAL;
    if (size == 0) return -EINVAL;
    const size_t n = std::min(size - 1, e.target.size());
    std::memcpy(buf, e.target.data(), n);
    buf[n] = '\0';
    return 0;
  });
}

int fs_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*,
               fuse_readdir_flags) {
  Mounted& m = mounted();
  try {
    const std::string_view dir = relative(path);
    auto self = find(m, dir);
    if (!self) return -ENOENT;
    if (self->kind != ShipmentEntry::Kind::kDirectory) return -ENOTDIR;
    fill(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    fill(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    const size_t skip = dir.empty() ? 0 : dir.size() + 1;
    m.shipment->children(dir, [&](const ShipmentEntry& e) {
      if (!visible(m, e.path)) return true;
      struct stat st;
      fill_stat(m, e, &st);
      const std::string name = e.path.substr(skip);
      return fill(buf, name.c_str(), &st, 0, FUSE_FILL_DIR_PLUS) == 0;
    });
    return 0;
  } catch (const std::exception& e) {
    return failed(m, e);
  }
}

int fs_open(const char* path, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
  return on_entry(path, [&](Mounted&, const ShipmentEntry& e) {
    if (e.kind != ShipmentEntry::Kind::kFile) return -EISDIR;
    fi->fh = reinterpret_cast<uint64_t>(new ShipmentEntry(e));
    fi->keep_cache = 1;  // the shipment never changes: the page cache stays valid
    return 0;
  });
}

int fs_read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  Mounted& m = mounted();
  const auto* entry = reinterpret_cast<const ShipmentEntry*>(fi->fh);
  try {
    return static_cast<int>(m.shipment->read(*entry, static_cast<uint64_t>(offset), buf, size));
  } catch (const std::exception& e) {
    return failed(m, e);
  }
}

// Extended attributes as the catalog holds them (user.*, trusted.*, security.capability,
// POSIX ACLs): what `getfattr` or `cp -a` out of the mount would otherwise lose silently.
int fs_getxattr(const char* path, const char* name, char* value, size_t size) {
  return on_entry(path, [&](Mounted& m, const ShipmentEntry& e) {
    for (const auto& [n, v] : m.shipment->xattrs(e)) {
      if (n == name) return reply_bytes(v, value, size);
    }
    return -ENODATA;
  });
}

int fs_listxattr(const char* path, char* list, size_t size) {
  return on_entry(path, [&](Mounted& m, const ShipmentEntry& e) {
    std::string names;
    for (const auto& [n, v] : m.shipment->xattrs(e)) names.append(n).push_back('\0');
    return reply_bytes(names, list, size);
  });
}

int fs_release(const char*, fuse_file_info* fi) {
  delete reinterpret_cast<ShipmentEntry*>(fi->fh);
  return 0;
}

int fs_statfs(const char*, struct statvfs* st) {
  std::memset(st, 0, sizeof *st);
  st->f_bsize = st->f_frsize = 1 << 20;
  st->f_namemax = 255;
  st->f_flag = ST_RDONLY;
  return 0;
}

void* fs_init(fuse_conn_info* conn, fuse_config* cfg) {
  // The tree never changes while mounted: let the kernel keep names, attributes and
  // pages as long as it likes.
  cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 86400;
  cfg->kernel_cache = 1;
  cfg->use_ino = 1;  // hard links show as one file
  conn->max_read = 0;  // no limit below the kernel's largest request
  conn->max_readahead = 1 << 20;
  return fuse_get_context()->private_data;
}

fuse_operations operations() {
  fuse_operations ops{};
  ops.init = fs_init;
  ops.getattr = fs_getattr;
  ops.readlink = fs_readlink;
  ops.readdir = fs_readdir;
  ops.open = fs_open;
  ops.read = fs_read;
  ops.release = fs_release;
  ops.getxattr = fs_getxattr;
  ops.listxattr = fs_listxattr;
  ops.statfs = fs_statfs;
  return ops;
}

}  // namespace

bool fuse_available(std::string* why) {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    *why = "FUSE is not available here: /dev/fuse is missing or not usable (on Debian: "
           "apt-get install fuse3; in a container, start it with --device /dev/fuse). "
           "`ferry restore` works without it";
    return false;
  }
  return true;
}

namespace {

// A mount point that is one of the drives (the mount point forgotten: the last drive
// taken for it) or that holds anything would hide what is there.
void refuse_mount_point(const MountOptions& o) {
  char* real = ::realpath(o.mountpoint.c_str(), nullptr);
  const std::string point = real ? real : o.mountpoint;
  std::free(real);
  for (const std::string& d : o.shipment.drives) {
    char* drive = ::realpath(d.c_str(), nullptr);
    const bool same = drive && point == drive;
    std::free(drive);
    if (same) {
      throw Error(ErrorKind::kInvalidArgument,
                  "the mount point " + o.mountpoint + " is one of the drives given; the last "
                  "path is where the shipment is shown: give an empty folder after the drives");
    }
  }
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(o.mountpoint.c_str()), &::closedir);
  if (!dir) throw_errno("cannot read the mount point " + o.mountpoint, errno);
  while (const dirent* e = ::readdir(dir.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name.rfind(format::kShipmentDirPrefix, 0) == 0) {
      throw Error(ErrorKind::kInvalidArgument,
                  "the mount point " + o.mountpoint + " is a drive (it holds " +
                      util::shown(name) + "): the last path is where the shipment is shown; "
                      "give an empty folder after the drives");
    }
    throw Error(ErrorKind::kInvalidArgument,
                "the mount point " + o.mountpoint + " is not empty (it holds " +
                    util::shown(name) + "); the mount would hide what is there: give an "
                    "empty folder (a shipment already mounted there? `fusermount3 -u " +
                    o.mountpoint + "` first)");
  }
}

// The background process runs in "/": relative paths must not change meaning.
std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) throw_errno("cannot find the current folder", errno);
  return std::string(cwd) + "/" + path;
}

}  // namespace

void serve(const MountOptions& given) {
  MountOptions options = given;
  options.mountpoint = absolute(options.mountpoint);
  for (std::string& d : options.shipment.drives) d = absolute(d);
  std::string why;
  if (!fuse_available(&why)) throw Error(ErrorKind::kUnsupported, why);
  struct stat st;
  if (::stat(options.mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kInvalidArgument,
                "mount point " + options.mountpoint + " is not a folder; create it first");
  }
  refuse_mount_point(options);
  // Open once here, so that a wrong key, too few drives or an --only path that is not
  // there is said on the terminal; the background process opens it again (the reader's
  // threads do not survive a fork).
  std::string id;
  {
    auto shipment = Shipment::open(options.shipment);
    for (const std::string& p : options.only) {
      if (!shipment->stat(p)) {
        throw Error(ErrorKind::kInvalidArgument,
                    "--only " + util::shown(p) +
                        ": no such file or folder in the shipment (see `ferry ls`)");
      }
    }
    id = shipment->id();
    if (options.warn) {
      for (const std::string& w : shipment->warnings()) options.warn(w);
      for (uint32_t slot : shipment->missing_slots()) {
        options.warn(read::missing_slot_warning(slot, shipment->k() + shipment->m()));
      }
    }
  }

  Mounted m;
  m.options = &options;
  m.uid = ::getuid();
  m.gid = ::getgid();
  std::vector<std::string> args = {"ferry", "-o", "ro,default_permissions,subtype=ferry,fsname=ferry"};
  if (options.allow_other) args.insert(args.end(), {"-o", "allow_other"});
  if (options.debug) args.push_back("-d");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_operations ops = operations();
  fuse* fs = fuse_new(&fargs, &ops, sizeof ops, &m);
  fuse_opt_free_args(&fargs);  // what fuse_new added to them, if anything
  if (!fs) throw Error(ErrorKind::kIO, "cannot start the FUSE file system (see the message above)");
  if (fuse_mount(fs, options.mountpoint.c_str()) != 0) {
    fuse_destroy(fs);
    throw Error(ErrorKind::kIO, "cannot mount on " + options.mountpoint +
                                    ": is something mounted there already, and is fusermount3 "
                                    "installed (Debian: fuse3)?");
  }
  fuse_session* session = fuse_get_session(fs);
  fuse_set_signal_handlers(session);
  const bool foreground = options.foreground || options.debug;
  if (!foreground) {
    std::fprintf(stderr, "mounted shipment %s on %s; unmount with `fusermount3 -u %s`\n",
                 id.c_str(), options.mountpoint.c_str(), options.mountpoint.c_str());
  }
  int rc = fuse_daemonize(foreground ? 1 : 0);
  if (rc == 0) {
    try {
      m.shipment = Shipment::open(options.shipment);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ferry mount: %s\n", e.what());
      rc = -1;
    }
  }
  if (rc == 0) {
    if (foreground) {
      std::fprintf(stderr, "mounted shipment %s on %s; Ctrl-C or `fusermount3 -u %s` unmounts\n",
                   m.shipment->id().c_str(), options.mountpoint.c_str(),
                   options.mountpoint.c_str());
    }
    fuse_loop_config* config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(config, 0);
    // Threads kept waiting between requests: starting one per request costs more than
    // serving a small file.
    fuse_loop_cfg_set_max_threads(config, 16);
    fuse_loop_cfg_set_idle_threads(config, 16);
    rc = fuse_loop_mt(fs, config);
    fuse_loop_cfg_destroy(config);
    // A signal (Ctrl-C, SIGTERM, SIGHUP) ends the loop with its number: a clean stop.
    if (rc == SIGINT || rc == SIGTERM || rc == SIGHUP) rc = 0;
  }
  fuse_remove_signal_handlers(session);
  fuse_unmount(fs);
  fuse_destroy(fs);
  m.shipment.reset();
  if (rc != 0 && foreground) throw Error(ErrorKind::kIO, "the FUSE session ended with an error");
}

}  // namespace ferry::mount
