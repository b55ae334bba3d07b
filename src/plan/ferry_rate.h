// ferry's own rate on the machine at hand, for `ferry plan`: how fast it turns source
// bytes into drive blocks when the drives are not the limit.
//
// Measured by doing, for a short while, the work each source byte costs a pack, through
// the same codec calls pack makes: SHA-256 of the file, AES-256-GCM of the unit,
// Reed–Solomon parity and CRC32C of the blocks, and the kernel's reads and writes
// (through unlinked scratch files, so their copies and new pages cost what pack's do; a
// hot buffer in their place measured 2.5 times pack's real rate). Times the cores ferry
// may use, less what its threads and queues leave idle. zstd is left out: how much it
// costs depends on the data, and the media files ferry is built for are compressed
// already.
#pragma once

#include <optional>
#include <string>

namespace ferry::plan {

// ferry's pack keeps about 85 % of the cores busy with this work (docs/PERFORMANCE.md,
// "The floor": 176–184 % on two cores).
constexpr double kCoresKeptBusy = 0.85;

struct FerryRate {
  double bytes_per_second = 0;
  bool measured = false;  // measured here; else given with --ferry-rate
  int cores = 0;          // the cores the measured rate counts (0 when given)
};

// The codec work of one source byte, on one core, over at least `seconds` of work:
// nanoseconds a byte. `data_drives` and `parity_drives` set the Reed–Solomon layout
// (parity_drives 0: none); a layout the erasure code cannot hold is measured as 3+1.
double measure_ns_per_byte(int data_drives, int parity_drives, double seconds);

// The rate `ferry plan` uses: `given` (a rate as parse_rate reads it) when there is one,
// else measured for about 0.2 s and scaled to the usable cores.
FerryRate ferry_rate(const std::optional<std::string>& given, int data_drives,
                     int parity_drives);

}  // namespace ferry::plan
