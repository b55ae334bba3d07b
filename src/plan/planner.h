// Should a data set go by drive or over the network, and on how many drives? Pure
// arithmetic over the layout and the speeds: nothing here touches a drive or prints.
//
// Units throughout: bytes, bytes per second, seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "format/constants.h"

namespace ferry::plan {

// The most drives one shipment can have (the erasure code's limit), and so the largest
// layout a recommendation considers.
constexpr int kMaxDrives = 64;

// How fast ferry itself turns source bytes into drive blocks when the drives are not
// the limit, for callers that give no rate: a low figure for two cores (the README's
// benchmark table has ferry's measured rates). `ferry plan` measures the machine it
// runs on instead, or takes --ferry-rate (plan/ferry_rate.h).
constexpr double kDefaultFerryRate = 0.6e9;

// What each drive keeps for the catalog, per entry of the source (file, directory or
// symlink). The catalog holds a path, metadata, a SHA-256 and an extent per entry, well
// under 1 KiB for ordinary path lengths, and every drive carries the whole of it.
constexpr uint64_t kCatalogBytesPerEntry = 1024;
// What each drive keeps besides blocks and catalog: the label, the note, the lock file
// and the file system's rounding of them.
constexpr uint64_t kFixedBytesPerDrive = 1ull << 20;

struct PlanInput {
  uint64_t source_bytes = 0;  // regular-file bytes to ship
  uint64_t files = 0;         // regular files
  uint64_t directories = 0;
  uint64_t symlinks = 0;

  int drives = 0;            // N = k + m
  int parity = 0;            // m
  uint64_t drive_bytes = 0;  // what each drive can hold
  uint32_t block_size = format::kDefaultBlockSize;

  double drive_bytes_per_second = 250e6;  // one drive's sustained write (and read) speed
  double ferry_bytes_per_second = kDefaultFerryRate;
  double transit_seconds = 2 * 86400.0;
  double link_bytes_per_second = 125e6;  // 1 Gbit/s
  double link_efficiency = 0.8;          // share of the link's rate a transfer gets
  int bags = 1;                          // parcels the drives travel in
};

// Times for one layout of the shipment.
struct LayoutTimes {
  double pack_seconds = 0;
  double restore_seconds = 0;
  double door_to_door_seconds = 0;  // pack + transit + restore
  bool ferry_bound = false;         // ferry's own rate, not the drives, sets the pack time
};

struct Recommendation {
  int drives = 0;
  int parity = 0;
  // bags[b] lists the drives (numbered 1..drives) that travel in bag b + 1.
  std::vector<std::vector<int>> bags;
  uint64_t usable_bytes = 0;
  LayoutTimes times;
};

struct Plan {
  // The layout asked for.
  int data_drives = 0;           // k
  uint64_t catalog_entries = 0;  // files + directories + symlinks
  uint64_t usable_bytes = 0;     // source bytes the layout can hold
  bool fits = false;
  uint64_t bytes_per_drive = 0;  // written to each drive, parity included
  LayoutTimes times;

  double network_seconds = 0;
  // The trip's bandwidth for the layout asked for: source bits / door-to-door seconds.
  double effective_bits_per_second = 0;

  // The verdict compares the network with the layout that would really travel: the one
  // asked for when it fits, else the recommended one. False when no layout fits.
  bool drives_win = false;
  double verdict_door_to_door_seconds = 0;  // of that layout

  // The fewest drives that hold the data with at least the parity asked and, when they
  // travel in two bags or more, survive the loss of any one bag: with the drives dealt
  // round-robin, parity >= ceil(drives / bags). One bag is not a constraint: no parity
  // saves a shipment whose only bag is lost. Empty when no layout of up to kMaxDrives
  // drives works.
  std::optional<Recommendation> recommendation;
};

// Throws ferry::Error(kInvalidArgument) when the input describes no possible shipment
// (no data drive, more than kMaxDrives drives, a speed that is not positive, ...).
Plan make_plan(const PlanInput& input);

// Source bytes that `drives` drives of `drive_bytes`, `parity` of them parity, can hold:
//   k * (drive_bytes - catalog - fixed) * (B - 28) / (B + 64)
// Every stored block of B payload bytes carries a 64-byte header, and its payload loses
// 28 bytes to nonce and tag; each drive also keeps the whole catalog
// (kCatalogBytesPerEntry per entry) and kFixedBytesPerDrive. 0 when nothing fits.
// This is the figure pack should check a source against before it writes.
uint64_t usable_bytes(int drives, int parity, uint64_t drive_bytes, uint64_t catalog_entries,
                      uint32_t block_size = format::kDefaultBlockSize);

// Seconds to write `bytes_written_total` bytes spread evenly over `drives` drives that
// all write at once, each at `drive_bytes_per_second`. So 120 TB written over 6 drives
// is 20 TB per drive, 80,000 s at 250 MB/s.
double pack_seconds_for(double bytes_written_total, int drives, double drive_bytes_per_second);

// Bytes written over all drives for `source_bytes` on a k-of-n layout: source * n / k.
// The block and catalog overheads (about 0.01% and 1 KiB per entry) are left out of
// the times on purpose: they change no decision and would blur figures one can check
// by hand.
double bytes_written_for(uint64_t source_bytes, int drives, int parity);

// Seconds to move `source_bytes` over a link of `link_bytes_per_second` of which a
// transfer gets `efficiency` (0..1].
double network_seconds_for(uint64_t source_bytes, double link_bytes_per_second, double efficiency);

// Drives 1..drives dealt round-robin into `bags` bags: bag b holds b+1, b+1+bags, ...
std::vector<std::vector<int>> deal_into_bags(int drives, int bags);

}  // namespace ferry::plan
