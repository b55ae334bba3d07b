// The catalog: every entry of the shipment with its metadata, its SHA-256 and where
// its bytes lie in the data stream. An SQLite database; FORMAT.md §Catalog schema.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/sha256.h"

namespace ferry::format {

// Prepared statements of one connection, by SQL text (looked up without a copy of it).
using StatementCache = std::map<std::string, sqlite3_stmt*, std::less<>>;

enum class EntryKind : int { kFile = 0, kDirectory = 1, kSymlink = 2 };
enum class Encoding : int { kRaw = 0, kZstdFrames = 1 };

// One extended attribute, raw: POSIX ACLs (system.posix_acl_*) and file capabilities
// (security.capability) are extended attributes too, so these bytes keep them all.
struct Xattr {
  std::string name, value;
  bool operator==(const Xattr&) const = default;
};
// Extended attributes as one meta value, "hexname=hexvalue,...": the source folder's
// own (meta `root_xattrs`), which no entry holds. decode_xattrs() gives up (empty) on
// anything encode_xattrs() would not write.
std::string encode_xattrs(const std::vector<Xattr>& xattrs);
std::vector<Xattr> decode_xattrs(const std::string& text);

struct Entry {
  int64_t id = 0;    // walk order; files appear in the data stream in this order
  std::string path;  // relative, '/'-separated, raw bytes (not necessarily UTF-8)
  EntryKind kind = EntryKind::kFile;
  uint32_t mode = 0;  // permission bits, 07777
  int64_t mtime_ns = 0;
  uint64_t size = 0;          // file bytes
  codec::Digest sha256{};     // files
  std::string target;         // symlinks: raw bytes
  uint64_t offset = 0;        // files: first byte in the data stream
  uint64_t stored = 0;        // files: bytes in the data stream
  Encoding encoding = Encoding::kRaw;
  std::vector<uint32_t> frames;  // kZstdFrames: compressed size of each frame
  uint32_t uid = 0, gid = 0;     // owner and group, as numbers on the source
  // Files: the id of the first name of the same file (a hard link), whose stored bytes
  // this one shares; 0 when it is the first or only name.
  int64_t link = 0;
  // Written by add() and add_all(); read back by xattrs(), not by the cursors.
  std::vector<Xattr> xattrs;
  // Files, for pack only: the version the walk saw, which reading compares against.
  int64_t ctime_ns = 0;
  uint64_t inode = 0;  // 0: not known (a pack begun before the walk recorded it)
};


// One connection. Not thread-safe: give each thread its own Catalog.
class Catalog {
 public:
  static Catalog create(const std::string& path);  // a new, empty catalog
  static Catalog open_readonly(const std::string& path);
  // A catalog file that nothing writes while it is open (a shipment's decrypted copy):
  // SQLite then takes no file locks and keeps its page cache from one statement to the
  // next, where a plain read-only connection locks, stats and re-reads the file header
  // for every statement (most of a small file's look-up in the reader).
  static Catalog open_immutable(const std::string& path);
  // An existing working catalog, to continue an interrupted pack.
  static Catalog open_readwrite(const std::string& path);
  ~Catalog();
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) = delete;

  void begin();
  void commit();

  int64_t add(const Entry& entry);  // returns the id
  // The same for each entry, in order (their ids follow one another), several rows a
  // statement: SQLite's cost is mostly per statement run.
  void add_all(const std::vector<const Entry*>& entries);
  // Fills in what is known only after reading a file's bytes, and clears the version
  // the walk saw, which only files still to pack need: the shipped catalog is smaller.
  // Rows are written kRowsPerWrite at a time, the rest by commit() or by any method that
  // reads entries, so no reader sees them missing.
  void set_file_data(const Entry& entry);
  void add_skipped(const std::string& path, const std::string& reason);
  void remove(int64_t id);  // with its extended attributes

  // An entry's extended attributes, by name.
  std::vector<Xattr> xattrs(int64_t id);
  // Names of the owners and groups the entries have, for restoring by name.
  enum class OwnerKind : int { kUser = 0, kGroup = 1 };
  void set_owner_name(OwnerKind kind, uint32_t id, const std::string& name);
  std::map<uint32_t, std::string> owner_names(OwnerKind kind);
  // Gives each hard link the stored bytes of its first name, once that is packed. A
  // link whose first name was left out (it changed while read) is removed and returned.
  std::vector<Entry> fill_links();

  void set_meta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key);

  std::optional<Entry> find(const std::string& path);
  std::optional<Entry> find_id(int64_t id);
  struct Totals {
    uint64_t files = 0, directories = 0, symlinks = 0, file_bytes = 0;
  };
  // How many entries of each kind and the files' bytes, in one pass over the catalog.
  Totals totals();
  // Number and bytes of the files with id <= `last_id`.
  std::pair<uint64_t, uint64_t> file_totals(int64_t last_id);
  std::vector<std::pair<std::string, std::string>> skipped();

  // Walks entries in id order, starting after `after_id`; only those of `kind` when
  // given (SQLite then skips the others without their rows being read out). With
  // `walked_version`, ctime_ns and inode too, which only a working catalog holds.
  class Cursor {
   public:
    Cursor(sqlite3* db, int64_t after_id, std::optional<EntryKind> kind = std::nullopt,
           bool walked_version = false);
    Cursor(sqlite3* db, const std::string& low, const std::string& high);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;
    bool next(Entry& entry);

   private:
    sqlite3_stmt* stmt_;
  };
  Cursor entries(int64_t after_id = 0) {
    write_file_data();
    return Cursor(db_, after_id);
  }
  // For pack: the entries still to pack, with the version the walk saw.
  Cursor entries_to_pack(int64_t after_id) {
    write_file_data();
    return Cursor(db_, after_id, std::nullopt, true);
  }
  Cursor entries_of(EntryKind kind) {
    write_file_data();
    return Cursor(db_, 0, kind);
  }

  // Entries whose path lies in [low, high) bytewise, in id order (a folder's subtree is
  // [dir + "/", dir + "0"), '0' being the byte after '/').
  Cursor entries_between(const std::string& low, const std::string& high);
  // The entry with the smallest path >= `low`, bytewise, or nullopt.
  std::optional<Entry> first_path_from(const std::string& low);

  // A read-only query of the caller's own, for what the methods above do not cover
  // (hard-link groups, names equal but for case, a comparison with another catalog).
  // Its SQL is checked when made: a catalog without the tables or columns it names
  // throws kCorruption, saying `what` was being read.
  class Query {
   public:
    Query(Catalog& catalog, const char* sql, const char* what);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    // Binds parameter ?`index` (from 1) as TEXT; starts the query again.
    Query& bind(int index, const std::string& text);
    // The next row; false after the last. Throws kIO when SQLite fails.
    bool next();
    std::string bytes(int column);  // BLOB or TEXT, raw; NULL gives ""
    int64_t integer(int column);

   private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string what_;
  };

  // Makes the catalog file at `path` readable to queries as schema `name`, until
  // detach(). Throws kIO naming it.
  void attach(const std::string& path, const std::string& name);
  void detach(const std::string& name) noexcept;

  // Rows a statement for add_all() and set_file_data(): in a test program, 200,000 rows
  // took 1.2 µs each inserted one at a time and 0.7 µs thirty-two at a time; updated one
  // at a time, 1.3-1.5 µs, against 0.7 thirty-two at a time through an insert.
  static constexpr size_t kRowsPerWrite = 32;

 private:
  explicit Catalog(sqlite3* db) : db_(db) {}
  void check_is_a_catalog();  // throws kCorruption when the file holds no catalog
  void exec(const char* sql);
  void insert_rows(const Entry* const* entries, size_t count);
  void write_file_data();  // the rows set_file_data() holds
  sqlite3* db_;
  StatementCache statements_;
  std::vector<Entry> file_data_;
};

}  // namespace ferry::format
