#include "plan/planner.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "ferry/error.h"

namespace ferry::plan {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(ErrorKind::kInvalidArgument, message);
}

bool positive(double x) { return x > 0 && std::isfinite(x); }

void validate(const PlanInput& in) {
  // As pack takes them: at least one parity drive and one data drive.
  require(in.drives >= 2 && in.drives <= kMaxDrives,
          "a shipment has 2 to " + std::to_string(kMaxDrives) + " drives, not " +
              std::to_string(in.drives));
  require(in.parity >= 1 && in.parity < in.drives,
          "parity " + std::to_string(in.parity) + " on " + std::to_string(in.drives) +
              " drives: pack takes 1 to " + std::to_string(in.drives - 1));
  require(in.drive_bytes > 0, "the drive size must be more than zero, e.g. 22TB");
  require(in.block_size >= format::kMinBlockSize && in.block_size <= format::kMaxBlockSize,
          "block size " + std::to_string(in.block_size) + " is out of range");
  require(positive(in.drive_bytes_per_second), "the drive speed must be more than zero");
  require(positive(in.ferry_bytes_per_second), "ferry's rate must be more than zero");
  require(positive(in.link_bytes_per_second), "the link rate must be more than zero");
  require(in.transit_seconds >= 0 && std::isfinite(in.transit_seconds),
          "the transit time must not be negative");
  require(in.link_efficiency > 0 && in.link_efficiency <= 1,
          "the link efficiency is a share of the link's rate, more than 0 and at most 1, e.g. "
          "0.8");
  require(in.bags >= 1 && in.bags <= kMaxDrives,
          "bags must be 1 to " + std::to_string(kMaxDrives) + ", not " + std::to_string(in.bags));
}

LayoutTimes times_for(const PlanInput& in, int drives, int parity) {
  int k = drives - parity;
  double source = static_cast<double>(in.source_bytes);
  // ferry encrypts, hashes and encodes every source byte once on the way out and once
  // on the way back, whatever the layout; the drives wait for it when it is the slower.
  double processing = source / in.ferry_bytes_per_second;
  LayoutTimes t;
  double writing = pack_seconds_for(bytes_written_for(in.source_bytes, drives, parity), drives,
                                    in.drive_bytes_per_second);
  t.ferry_bound = processing > writing;
  t.pack_seconds = std::max(writing, processing);
  // Restore reads the data blocks off k drives at once; parity is read only for what is
  // missing.
  t.restore_seconds = std::max(source / k / in.drive_bytes_per_second, processing);
  t.door_to_door_seconds = t.pack_seconds + in.transit_seconds + t.restore_seconds;
  return t;
}

std::optional<Recommendation> recommend(const PlanInput& in, uint64_t catalog_entries) {
  for (int drives = 2; drives <= kMaxDrives; ++drives) {
    int parity = in.parity;
    if (in.bags >= 2) parity = std::max(parity, (drives + in.bags - 1) / in.bags);
    if (parity >= drives) continue;
    uint64_t usable = usable_bytes(drives, parity, in.drive_bytes, catalog_entries, in.block_size);
    if (in.source_bytes > usable) continue;
    Recommendation r;
    r.drives = drives;
    r.parity = parity;
    r.bags = deal_into_bags(drives, in.bags);
    r.usable_bytes = usable;
    r.times = times_for(in, drives, parity);
    return r;
  }
  return std::nullopt;
}

}  // namespace

uint64_t usable_bytes(int drives, int parity, uint64_t drive_bytes, uint64_t catalog_entries,
                      uint32_t block_size) {
  if (parity < 0 || drives <= parity) return 0;
  unsigned __int128 reserved =
      static_cast<unsigned __int128>(catalog_entries) * kCatalogBytesPerEntry + kFixedBytesPerDrive;
  if (reserved >= drive_bytes) return 0;
  unsigned __int128 for_blocks = drive_bytes - static_cast<uint64_t>(reserved);
  // Whole blocks only: a partly filled last record on a drive holds nothing.
  uint64_t record = block_size + format::kBlockHeaderSize;
  uint64_t unit_plain = block_size - format::kUnitOverhead;
  unsigned __int128 usable =
      static_cast<unsigned __int128>(drives - parity) * (for_blocks / record) * unit_plain;
  return usable > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(usable);
}

double pack_seconds_for(double bytes_written_total, int drives, double drive_bytes_per_second) {
  return bytes_written_total / drives / drive_bytes_per_second;
}

double bytes_written_for(uint64_t source_bytes, int drives, int parity) {
  return static_cast<double>(source_bytes) * drives / (drives - parity);
}

double network_seconds_for(uint64_t source_bytes, double link_bytes_per_second, double efficiency) {
  return static_cast<double>(source_bytes) / (link_bytes_per_second * efficiency);
}

std::vector<std::vector<int>> deal_into_bags(int drives, int bags) {
  std::vector<std::vector<int>> out(static_cast<size_t>(std::max(bags, 1)));
  for (int d = 0; d < drives; ++d) out[static_cast<size_t>(d) % out.size()].push_back(d + 1);
  return out;
}

Plan make_plan(const PlanInput& in) {
  validate(in);
  Plan plan;
  plan.data_drives = in.drives - in.parity;
  plan.catalog_entries = in.files + in.directories + in.symlinks;
  plan.usable_bytes =
      usable_bytes(in.drives, in.parity, in.drive_bytes, plan.catalog_entries, in.block_size);
  plan.fits = in.source_bytes <= plan.usable_bytes;
  plan.bytes_per_drive = static_cast<uint64_t>(
      std::llround(bytes_written_for(in.source_bytes, in.drives, in.parity) / in.drives));
  plan.times = times_for(in, in.drives, in.parity);
  plan.network_seconds =
      network_seconds_for(in.source_bytes, in.link_bytes_per_second, in.link_efficiency);
  plan.recommendation = recommend(in, plan.catalog_entries);

  plan.effective_bits_per_second =
      plan.times.door_to_door_seconds > 0
          ? static_cast<double>(in.source_bytes) * 8 / plan.times.door_to_door_seconds
          : 0;
  const LayoutTimes* used = &plan.times;
  if (!plan.fits && plan.recommendation) used = &plan.recommendation->times;
  plan.verdict_door_to_door_seconds = used->door_to_door_seconds;
  plan.drives_win =
      (plan.fits || plan.recommendation) && used->door_to_door_seconds < plan.network_seconds;
  return plan;
}

}  // namespace ferry::plan
