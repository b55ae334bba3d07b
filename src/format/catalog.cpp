#include "format/catalog.h"

#include <cstdio>
#include <cstring>
#include <utility>

#include "codec/sha256.h"
#include "ferry/error.h"

namespace ferry::format {
namespace {

// FORMAT.md §Catalog schema.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries(
  id INTEGER PRIMARY KEY,
  path BLOB NOT NULL UNIQUE,
  kind INTEGER NOT NULL,
  mode INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  size INTEGER NOT NULL,
  sha256 BLOB,
  target BLOB,
  offset INTEGER,
  stored INTEGER,
  encoding INTEGER,
  frames BLOB,
  uid INTEGER NOT NULL DEFAULT 0,
  gid INTEGER NOT NULL DEFAULT 0,
  link INTEGER,
  ctime_ns INTEGER,
  inode INTEGER
);
CREATE TABLE skipped(path BLOB NOT NULL, reason TEXT NOT NULL);
CREATE TABLE xattrs(entry INTEGER NOT NULL, name BLOB NOT NULL, value BLOB NOT NULL);
CREATE INDEX xattrs_entry ON xattrs(entry);
CREATE TABLE owner_names(kind INTEGER NOT NULL, id INTEGER NOT NULL, name BLOB NOT NULL,
                         PRIMARY KEY(kind, id));
)sql";

constexpr const char* kColumns =
    "id, path, kind, mode, mtime_ns, size, sha256, target, offset, stored, encoding, frames,"
    " uid, gid, link";
// What the walk records of an entry; what pack records of a file once it is read. Both
// hold the eleven columns from path to frames in this order (bind_entry).
constexpr const char* kWalkedColumns =
    "path, kind, mode, mtime_ns, size, sha256, target, offset, stored, encoding, frames,"
    " uid, gid, link, ctime_ns, inode";
constexpr int kWalkedPerRow = 16;
constexpr const char* kPackedColumns =
    "id, path, kind, mode, mtime_ns, size, sha256, target, offset, stored, encoding, frames";
// Readers other than pack leave them out: the shipped catalog holds them empty.
constexpr const char* kWalkedVersionColumns = ", ctime_ns, inode";
constexpr int kOwnerColumn = 12;          // uid, gid, link
constexpr int kWalkedVersionColumn = 15;  // after the fifteen of kColumns

// "INSERT INTO entries(columns) VALUES (?, …), …" for `rows` rows of `per_row` values,
// then `tail`.
std::string insert_sql(const char* columns, int per_row, size_t rows, const char* tail) {
  std::string row = "(?";
  for (int i = 1; i < per_row; ++i) row += ",?";
  row += ")";
  std::string sql = std::string("INSERT INTO entries(") + columns + ") VALUES " + row;
  for (size_t i = 1; i < rows; ++i) sql += "," + row;
  return sql + tail;
}

// Calls write(first, count) over rows [0, total): `group` rows at a time while that many
// are left, then one at a time, so that only two statements are ever prepared.
template <typename Write>
void in_groups(size_t total, size_t group, const Write& write) {
  for (size_t done = 0; done < total;) {
    const size_t count = total - done >= group ? group : 1;
    write(done, count);
    done += count;
  }
}

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw Error(ErrorKind::kIO, "catalog: " + what + ": " + sqlite3_errmsg(db));
}

// A statement from the connection's cache: prepared once, reset after each use, so a
// catalog of millions of rows does not recompile the same SQL per row. Values are bound
// without a copy: each use binds every parameter afresh and steps while they live.
struct Stmt {
  Stmt(StatementCache& cache, sqlite3* db, const char* sql) : db(db) {
    auto it = cache.find(sql);
    if (it == cache.end()) {
      sqlite3_stmt* prepared = nullptr;
      int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &prepared, nullptr);
      if (rc != SQLITE_OK) fail(db, "prepare");
      it = cache.emplace(sql, prepared).first;
    }
    s = it->second;
  }
  ~Stmt() { sqlite3_reset(s); }
  void blob(int i, const void* p, size_t n) {
    sqlite3_bind_blob64(s, i, n ? p : "", n, SQLITE_STATIC);
  }
  void text(int i, const std::string& v) {
    sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  void i64(int i, int64_t v) { sqlite3_bind_int64(s, i, v); }
  void run() {
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "write");
  }
  bool row() {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(db, "read");
    return false;
  }
  sqlite3* db;
  sqlite3_stmt* s = nullptr;
};

// Into `out` in place, reusing its memory: cursors read a row per file into one Entry.
void assign_column_bytes(sqlite3_stmt* s, int i, std::string& out) {
  const void* p = sqlite3_column_blob(s, i);
  if (!p) {
    out.clear();
    return;
  }
  out.assign(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, i)));
}

std::string column_bytes(sqlite3_stmt* s, int i) {
  std::string out;
  assign_column_bytes(s, i, out);
  return out;
}

void read_row(sqlite3_stmt* s, Entry& e) {
  e.id = sqlite3_column_int64(s, 0);
  assign_column_bytes(s, 1, e.path);
  e.kind = static_cast<EntryKind>(sqlite3_column_int(s, 2));
  e.mode = static_cast<uint32_t>(sqlite3_column_int64(s, 3));
  e.mtime_ns = sqlite3_column_int64(s, 4);
  e.size = static_cast<uint64_t>(sqlite3_column_int64(s, 5));
  const void* digest = sqlite3_column_blob(s, 6);
  e.sha256 = {};
  if (digest && sqlite3_column_bytes(s, 6) == static_cast<int>(e.sha256.size())) {
    std::memcpy(e.sha256.data(), digest, e.sha256.size());
  }
  assign_column_bytes(s, 7, e.target);
  e.offset = static_cast<uint64_t>(sqlite3_column_int64(s, 8));
  e.stored = static_cast<uint64_t>(sqlite3_column_int64(s, 9));
  e.encoding = static_cast<Encoding>(sqlite3_column_int(s, 10));
  const auto* frames = static_cast<const uint8_t*>(sqlite3_column_blob(s, 11));
  e.frames.resize(frames ? static_cast<size_t>(sqlite3_column_bytes(s, 11)) / 4 : 0);
  for (size_t i = 0; i < e.frames.size(); ++i) {
    const uint8_t* p = frames + 4 * i;
    e.frames[i] = p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
  }
  e.uid = static_cast<uint32_t>(sqlite3_column_int64(s, kOwnerColumn));
  e.gid = static_cast<uint32_t>(sqlite3_column_int64(s, kOwnerColumn + 1));
  e.link = sqlite3_column_int64(s, kOwnerColumn + 2);
  if (sqlite3_column_count(s) > kWalkedVersionColumn) {
    e.ctime_ns = sqlite3_column_int64(s, kWalkedVersionColumn);
    e.inode = static_cast<uint64_t>(sqlite3_column_int64(s, kWalkedVersionColumn + 1));
  }
}

// The entry `st` yields, if it yields one.
std::optional<Entry> entry_found(Stmt& st) {
  if (!st.row()) return std::nullopt;
  Entry e;
  read_row(st.s, e);
  return e;
}

std::string frames_blob(const std::vector<uint32_t>& frames) {
  std::string blob(frames.size() * 4, '\0');
  for (size_t i = 0; i < frames.size(); ++i) {
    for (int b = 0; b < 4; ++b) blob[4 * i + b] = static_cast<char>(frames[i] >> (8 * b));
  }
  return blob;
}

// Binds `e`'s columns from path to frames to the eleven parameters from `first` on.
// `frames` keeps the frames' blob alive until the statement has run.
void bind_entry(Stmt& st, int first, const Entry& e, std::string& frames) {
  st.blob(first, e.path.data(), e.path.size());
  st.i64(first + 1, static_cast<int>(e.kind));
  st.i64(first + 2, e.mode);
  st.i64(first + 3, e.mtime_ns);
  st.i64(first + 4, static_cast<int64_t>(e.size));
  st.blob(first + 5, e.sha256.data(), e.kind == EntryKind::kFile ? e.sha256.size() : 0);
  st.blob(first + 6, e.target.data(), e.target.size());
  st.i64(first + 7, static_cast<int64_t>(e.offset));
  st.i64(first + 8, static_cast<int64_t>(e.stored));
  st.i64(first + 9, static_cast<int>(e.encoding));
  frames = frames_blob(e.frames);
  st.blob(first + 10, frames.data(), frames.size());
}

// `name`: the path, or with SQLITE_OPEN_URI a "file:" URI of it.
sqlite3* open_db(const std::string& name, int flags, const std::string& path) {
  // A Catalog is used by one thread at a time, so SQLite's mutex per connection and its
  // global memory statistics (a mutex taken on every allocation) only cost time: about
  // a fifth of the catalog's CPU when packing many small files. The statistics can be
  // turned off only before SQLite's first use; if something else used it first, they
  // stay on, which is merely slower.
  static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)configured;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(name.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw Error(ErrorKind::kIO, "cannot open catalog database " + path + ": " + message);
  }
  return db;
}
sqlite3* open_db(const std::string& path, int flags) { return open_db(path, flags, path); }

// A "file:" URI naming `path`, with the characters a URI gives a meaning escaped.
std::string file_uri(const std::string& path) {
  std::string out = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Catalog Catalog::create(const std::string& path) {
  Catalog c(open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  // The working catalog is a scratch file until it is sealed onto the drives: durability
  // comes from the drives' checkpoints, not from SQLite's journal.
  c.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096;");
  c.exec(kSchema);
  return c;
}

Catalog Catalog::open_readonly(const std::string& path) {
  Catalog c(open_db(path, SQLITE_OPEN_READONLY));
  c.check_is_a_catalog();
  return c;
}

Catalog Catalog::open_immutable(const std::string& path) {
  Catalog c(open_db(file_uri(path) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, path));
  c.check_is_a_catalog();
  return c;
}

void Catalog::check_is_a_catalog() {
  sqlite3_stmt* probe = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT count(*) FROM entries", -1, &probe, nullptr);
  sqlite3_finalize(probe);
  if (rc != SQLITE_OK) {
    throw Error(ErrorKind::kCorruption, "the catalog is not a ferry catalog database");
  }
}

Catalog Catalog::open_readwrite(const std::string& path) {
  Catalog c(open_db(path, SQLITE_OPEN_READWRITE));
  c.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
  return c;
}

Catalog::~Catalog() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  if (db_) sqlite3_close(db_);
}
Catalog::Catalog(Catalog&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      statements_(std::move(other.statements_)),
      file_data_(std::move(other.file_data_)) {
  other.statements_.clear();
}

void Catalog::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw Error(ErrorKind::kIO, std::string("catalog: ") + text);
  }
}

void Catalog::begin() { exec("BEGIN"); }
void Catalog::commit() {
  write_file_data();
  exec("COMMIT");
}

int64_t Catalog::add(const Entry& e) {
  const Entry* one = &e;
  insert_rows(&one, 1);
  return sqlite3_last_insert_rowid(db_);
}

void Catalog::add_all(const std::vector<const Entry*>& entries) {
  in_groups(entries.size(), kRowsPerWrite,
            [&](size_t first, size_t count) { insert_rows(&entries[first], count); });
}

void Catalog::insert_rows(const Entry* const* entries, size_t count) {
  static const std::string one = insert_sql(kWalkedColumns, kWalkedPerRow, 1, "");
  static const std::string group = insert_sql(kWalkedColumns, kWalkedPerRow, kRowsPerWrite, "");
  {
    Stmt st(statements_, db_, (count == 1 ? one : group).c_str());
    std::string frames[kRowsPerWrite];  // bound without a copy: they live until the step
    for (size_t row = 0; row < count; ++row) {
      const Entry& e = *entries[row];
      const int p = static_cast<int>(row) * kWalkedPerRow;
      bind_entry(st, p + 1, e, frames[row]);
      st.i64(p + 12, e.uid);
      st.i64(p + 13, e.gid);
      if (e.link) st.i64(p + 14, e.link);
      else sqlite3_bind_null(st.s, p + 14);
      st.i64(p + 15, e.ctime_ns);
      st.i64(p + 16, static_cast<int64_t>(e.inode));
    }
    st.run();
  }
  // The rows took consecutive ids, in order, ending with the last one inserted.
  const int64_t last = sqlite3_last_insert_rowid(db_);
  for (size_t row = 0; row < count; ++row) {
    for (const Xattr& x : entries[row]->xattrs) {
      Stmt st(statements_, db_, "INSERT INTO xattrs(entry, name, value) VALUES (?1, ?2, ?3)");
      st.i64(1, last - static_cast<int64_t>(count - 1 - row));
      st.blob(2, x.name.data(), x.name.size());
      st.blob(3, x.value.data(), x.value.size());
      st.run();
    }
  }
}

void Catalog::set_file_data(const Entry& e) {
  file_data_.push_back(e);
  if (file_data_.size() == kRowsPerWrite) write_file_data();
}

// An insert that finds the row's id already there updates the row instead: unlike an
// UPDATE, it takes many rows a statement. Were the row gone, it would be written whole.
void Catalog::write_file_data() {
  static constexpr const char* kUpdate =
      " ON CONFLICT(id) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns,"
      " sha256=excluded.sha256, offset=excluded.offset, stored=excluded.stored,"
      " encoding=excluded.encoding, frames=excluded.frames, mode=excluded.mode,"
      " ctime_ns=NULL, inode=NULL";
  static const std::string one = insert_sql(kPackedColumns, 12, 1, kUpdate);
  static const std::string group = insert_sql(kPackedColumns, 12, kRowsPerWrite, kUpdate);
  in_groups(file_data_.size(), kRowsPerWrite, [&](size_t first, size_t count) {
    Stmt st(statements_, db_, (count == 1 ? one : group).c_str());
    std::string frames[kRowsPerWrite];
    for (size_t row = 0; row < count; ++row) {
      const Entry& e = file_data_[first + row];
      const int p = static_cast<int>(row) * 12;
      st.i64(p + 1, e.id);
      bind_entry(st, p + 2, e, frames[row]);
    }
    st.run();
  });
  file_data_.clear();
}

void Catalog::add_skipped(const std::string& path, const std::string& reason) {
  Stmt st(statements_, db_, "INSERT INTO skipped(path, reason) VALUES (?1, ?2)");
  st.blob(1, path.data(), path.size());
  st.text(2, reason);
  st.run();
}

void Catalog::remove(int64_t id) {
  write_file_data();
  Stmt st(statements_, db_, "DELETE FROM entries WHERE id=?1");
  st.i64(1, id);
  st.run();
  Stmt xattrs(statements_, db_, "DELETE FROM xattrs WHERE entry=?1");
  xattrs.i64(1, id);
  xattrs.run();
}

std::vector<Xattr> Catalog::xattrs(int64_t id) {
  Stmt st(statements_, db_, "SELECT name, value FROM xattrs WHERE entry=?1 ORDER BY name");
  st.i64(1, id);
  std::vector<Xattr> out;
  while (st.row()) out.push_back({column_bytes(st.s, 0), column_bytes(st.s, 1)});
  return out;
}

void Catalog::set_owner_name(OwnerKind kind, uint32_t id, const std::string& name) {
  Stmt st(statements_, db_, "INSERT OR REPLACE INTO owner_names(kind, id, name) VALUES (?1, ?2, ?3)");
  st.i64(1, static_cast<int>(kind));
  st.i64(2, id);
  st.blob(3, name.data(), name.size());
  st.run();
}

std::map<uint32_t, std::string> Catalog::owner_names(OwnerKind kind) {
  Stmt st(statements_, db_, "SELECT id, name FROM owner_names WHERE kind=?1");
  st.i64(1, static_cast<int>(kind));
  std::map<uint32_t, std::string> out;
  while (st.row()) out[static_cast<uint32_t>(sqlite3_column_int64(st.s, 0))] = column_bytes(st.s, 1);
  return out;
}

std::vector<Entry> Catalog::fill_links() {
  write_file_data();
  std::vector<Entry> dangling;
  {
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM entries WHERE link IS NOT NULL AND link NOT IN (SELECT id FROM entries)";
    Stmt st(statements_, db_, sql.c_str());
    while (st.row()) read_row(st.s, dangling.emplace_back());
  }
  for (const Entry& e : dangling) remove(e.id);
  exec("UPDATE entries SET size=f.size, mtime_ns=f.mtime_ns, mode=f.mode, sha256=f.sha256,"
       " offset=f.offset, stored=f.stored, encoding=f.encoding, frames=f.frames,"
       " ctime_ns=NULL, inode=NULL"
       " FROM (SELECT id, size, mtime_ns, mode, sha256, offset, stored, encoding, frames"
       " FROM entries WHERE link IS NULL) AS f WHERE entries.link = f.id");
  return dangling;
}

void Catalog::set_meta(const std::string& key, const std::string& value) {
  Stmt st(statements_, db_, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)");
  st.text(1, key);
  st.text(2, value);
  st.run();
}

std::optional<std::string> Catalog::meta(const std::string& key) {
  Stmt st(statements_, db_, "SELECT value FROM meta WHERE key=?1");
  st.text(1, key);
  if (!st.row()) return std::nullopt;
  return reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
}

std::optional<Entry> Catalog::find(const std::string& path) {
  write_file_data();
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM entries WHERE path=?1";
  Stmt st(statements_, db_, sql.c_str());
  st.blob(1, path.data(), path.size());
  return entry_found(st);
}

std::optional<Entry> Catalog::find_id(int64_t id) {
  write_file_data();
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM entries WHERE id=?1";
  Stmt st(statements_, db_, sql.c_str());
  st.i64(1, id);
  return entry_found(st);
}

Catalog::Totals Catalog::totals() {
  write_file_data();
  static_assert(static_cast<int>(EntryKind::kFile) == 0 &&
                static_cast<int>(EntryKind::kDirectory) == 1 &&
                static_cast<int>(EntryKind::kSymlink) == 2);
  Stmt st(statements_, db_,
          "SELECT count(*) FILTER (WHERE kind=0), count(*) FILTER (WHERE kind=1),"
          " count(*) FILTER (WHERE kind=2), sum(size) FILTER (WHERE kind=0) FROM entries");
  st.row();
  auto column = [&](int i) { return static_cast<uint64_t>(sqlite3_column_int64(st.s, i)); };
  return {column(0), column(1), column(2), column(3)};
}

std::pair<uint64_t, uint64_t> Catalog::file_totals(int64_t last_id) {
  write_file_data();
  Stmt st(statements_, db_, "SELECT count(*), sum(size) FROM entries WHERE kind=0 AND id <= ?1");
  st.i64(1, last_id);
  st.row();
  return {static_cast<uint64_t>(sqlite3_column_int64(st.s, 0)),
          static_cast<uint64_t>(sqlite3_column_int64(st.s, 1))};
}

std::vector<std::pair<std::string, std::string>> Catalog::skipped() {
  Stmt st(statements_, db_, "SELECT path, reason FROM skipped ORDER BY rowid");
  std::vector<std::pair<std::string, std::string>> out;
  while (st.row()) {
    out.emplace_back(column_bytes(st.s, 0),
                     reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1)));
  }
  return out;
}

Catalog::Cursor::Cursor(sqlite3* db, int64_t after_id, std::optional<EntryKind> kind,
                        bool walked_version) {
  std::string sql = std::string("SELECT ") + kColumns +
                    (walked_version ? kWalkedVersionColumns : "") + " FROM entries WHERE id > ?1" +
                    (kind ? " AND kind = ?2" : "") + " ORDER BY id";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail(db, "prepare");
  sqlite3_bind_int64(stmt_, 1, after_id);
  if (kind) sqlite3_bind_int(stmt_, 2, static_cast<int>(*kind));
}

Catalog::Cursor::Cursor(sqlite3* db, const std::string& low, const std::string& high) {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM entries WHERE path >= ?1 AND path < ?2 ORDER BY id";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail(db, "prepare");
  sqlite3_bind_blob64(stmt_, 1, low.empty() ? "" : low.data(), low.size(), SQLITE_TRANSIENT);
  sqlite3_bind_blob64(stmt_, 2, high.data(), high.size(), SQLITE_TRANSIENT);
}

Catalog::Cursor Catalog::entries_between(const std::string& low, const std::string& high) {
  write_file_data();
  return Cursor(db_, low, high);
}

std::optional<Entry> Catalog::first_path_from(const std::string& low) {
  write_file_data();
  static const std::string sql =
      std::string("SELECT ") + kColumns + " FROM entries WHERE path >= ?1 ORDER BY path LIMIT 1";
  Stmt st(statements_, db_, sql.c_str());
  st.blob(1, low.data(), low.size());
  return entry_found(st);
}

Catalog::Cursor::~Cursor() { sqlite3_finalize(stmt_); }

Catalog::Query::Query(Catalog& catalog, const char* sql, const char* what)
    : db_(catalog.db_), what_(what) {
  catalog.write_file_data();
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt_);
    throw Error(ErrorKind::kCorruption, "the catalog's " + what_ + " cannot be read: " + message);
  }
}

Catalog::Query::~Query() { sqlite3_finalize(stmt_); }

Catalog::Query& Catalog::Query::bind(int index, const std::string& text) {
  sqlite3_reset(stmt_);
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

bool Catalog::Query::next() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(ErrorKind::kIO, "the catalog's " + what_ + " cannot be read: " + sqlite3_errmsg(db_));
}

std::string Catalog::Query::bytes(int column) {
  const void* p = sqlite3_column_blob(stmt_, column);
  return p ? std::string(static_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

int64_t Catalog::Query::integer(int column) { return sqlite3_column_int64(stmt_, column); }

void Catalog::attach(const std::string& path, const std::string& name) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "ATTACH DATABASE ?1 AS ?2", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, path.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, name.c_str(), -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) {
    throw Error(ErrorKind::kIO, "cannot open catalog " + path + ": " + sqlite3_errmsg(db_));
  }
}

void Catalog::detach(const std::string& name) noexcept {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "DETACH DATABASE ?1", -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
}

bool Catalog::Cursor::next(Entry& entry) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    read_row(stmt_, entry);
    return true;
  }
  if (rc != SQLITE_DONE) fail(sqlite3_db_handle(stmt_), "read");
  return false;
}

std::string encode_xattrs(const std::vector<Xattr>& xattrs) {
  std::string out;
  for (const Xattr& x : xattrs) {
    if (!out.empty()) out += ',';
    out += codec::to_hex(reinterpret_cast<const uint8_t*>(x.name.data()), x.name.size()) + "=" +
           codec::to_hex(reinterpret_cast<const uint8_t*>(x.value.data()), x.value.size());
  }
  return out;
}

std::vector<Xattr> decode_xattrs(const std::string& text) {
  std::vector<Xattr> out;
  auto unhex = [](const std::string& hex, std::string& bytes) {
    bytes.assign(hex.size() / 2, '\0');
    return hex.size() % 2 == 0 &&
           codec::from_hex(hex, reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  };
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(at, end - at);
    const size_t eq = item.find('=');
    Xattr x;
    if (eq == std::string::npos || eq == 0 || !unhex(item.substr(0, eq), x.name) ||
        !unhex(item.substr(eq + 1), x.value)) {
      return {};
    }
    out.push_back(std::move(x));
    at = end + 1;
  }
  return out;
}

}  // namespace ferry::format
