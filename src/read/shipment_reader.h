// ferry::Shipment (include/ferry/shipment.h) over the drives: catalog look-ups on a pool
// of read-only connections; file bytes from the units (raw files) or the zstd frames
// (compressed files) a request covers, through one cache of decrypted units and
// decompressed frames; read-ahead and a SHA-256 check for files read in order.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "codec/sha256.h"
#include "ferry/shipment.h"
#include "format/catalog.h"
#include "read/open_shipment.h"
#include "read/stripe_reader.h"
#include "read/task_pool.h"
#include "read/unit_cache.h"
#include "read/unit_fetcher.h"

namespace ferry::read {

class ShipmentReader final : public Shipment {
 public:
  explicit ShipmentReader(const ShipmentOptions& options);
  ~ShipmentReader() override;

  std::string id() const override;
  uint32_t k() const override { return layout_.k; }
  uint32_t m() const override { return layout_.m; }
  std::vector<uint32_t> missing_slots() const override { return shipment_->drives.missing(); }
  std::vector<std::string> warnings() const override { return warnings_; }

  std::optional<ShipmentEntry> stat(std::string_view path) const override;
  void list(std::string_view prefix,
            const std::function<bool(const ShipmentEntry&)>& visit) const override;
  void children(std::string_view dir,
                const std::function<bool(const ShipmentEntry&)>& visit) const override;
  std::vector<std::pair<std::string, std::string>> xattrs(const ShipmentEntry& entry) const override;
  size_t read(const ShipmentEntry& entry, uint64_t offset, void* out, size_t len) const override;
  std::string read(std::string_view path) const override;
  std::string read(std::string_view path, uint64_t offset, uint64_t len) const override;
  ShipmentStats stats() const override;

 private:
  // A catalog connection borrowed for one call (SQLite connections are per thread).
  class Borrowed;
  Borrowed catalog() const;
  // What the catalog says of a file that `read` needs beyond the public entry.
  struct FileData;
  std::shared_ptr<const FileData> file_data(const ShipmentEntry& entry) const;

  // The file at `path`, or kInvalidArgument naming it.
  ShipmentEntry file_at(std::string_view path) const;
  UnitCache::Item unit(uint64_t number) const;
  // Copies stream bytes [pos, pos + len) into `out`; with `ahead_to`, reads units ahead
  // of the current one, up to that unit, on the pool.
  void read_stream(uint64_t pos, uint8_t* out, size_t len, uint64_t ahead_to = 0) const;
  UnitCache::Item frame(const FileData& file, uint64_t index) const;
  void read_ahead(uint64_t from_unit, uint64_t end_unit) const;
  // Feeds bytes read in order to the file's running SHA-256; throws on a mismatch.
  void check_in_order(const ShipmentEntry& entry, uint64_t offset, const uint8_t* data,
                      size_t len) const;

  ShipmentEntry public_entry(const format::Entry& e) const;

  ShipmentOptions options_;
  std::unique_ptr<OpenShipment> shipment_;
  ShipmentEntry root_;  // the source folder's mode, mtime and owner, as pack recorded them
  std::vector<std::pair<std::string, std::string>> root_xattrs_;  // and its own xattrs
  std::map<int64_t, uint32_t> later_names_;  // a hard-linked file's first id → its other names
  format::Layout layout_;
  std::vector<std::string> warnings_;
  std::unique_ptr<StripeReader> stripes_;
  std::unique_ptr<UnitFetcher> fetcher_;
  mutable UnitCache cache_;

  mutable std::mutex catalogs_mutex_;
  mutable std::vector<std::unique_ptr<format::Catalog>> catalogs_;
  mutable std::mutex files_mutex_;
  mutable std::map<int64_t, std::shared_ptr<const FileData>> files_;  // recent, bounded

  // A file being read whole, in order. Its own lock is held while bytes are hashed, so
  // that files read at once are hashed at once.
  struct InOrder {
    std::mutex mutex;
    std::atomic<uint64_t> next{0};  // bytes hashed so far
    codec::Sha256 hash;
    bool given_up = false;  // read out of order: no whole-file check
    uint64_t used = 0;      // for eviction: a clock of the last use (under in_order_mutex_)
  };
  mutable std::mutex in_order_mutex_;
  mutable std::map<int64_t, std::shared_ptr<InOrder>> in_order_;
  mutable uint64_t clock_ = 0;

  mutable std::atomic<uint64_t> cache_hits_{0}, cache_misses_{0}, frames_opened_{0},
      bytes_returned_{0}, files_verified_{0};
  mutable TaskPool ahead_;  // last member: joined first, while everything it uses lives
};

}  // namespace ferry::read
