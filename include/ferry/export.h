// Exporting a shipment as shards that training stacks read: WebDataset tar shards or
// MosaicML Streaming's MDS shards, written straight from the drives (any k of N)
// through the random-access reader, with no restore of the files in between.
//
// Samples: files grouped by key (folder + file name up to its first dot; the rest of
// the name is the file's extension, WebDataset's rule), in the order they lie on the
// drives, or in the shared sample order of include/ferry/sample_order.h with shuffle.
// Shards are cut at sample boundaries, written under a temporary name and renamed when
// complete; a state file in the target lets a killed export carry on from the last
// complete shard, and the shards it writes are byte-identical to an uninterrupted run.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/credentials.h"
#include "ferry/progress.h"
#include "ferry/read_env.h"

namespace ferry {

class Shipment;

enum class ExportFormat { kWebDataset, kMds };
enum class SampleGrouping {
  kBasename,  // the files that share a key form one sample
  kFile,      // every file is a sample of its own
};

struct ExportOptions {
  std::vector<std::string> drives;  // any order, any mount paths
  std::string target;               // folder for the shards (created if missing)
  Credentials credentials;
  ExportFormat format = ExportFormat::kWebDataset;
  SampleGrouping group = SampleGrouping::kBasename;
  std::vector<std::string> only;  // restrict to these files or folders of the shipment
  uint64_t shard_size = 0;        // 0: 1 GB for WebDataset, 64 MiB for MDS
  bool shuffle = false;           // the sample order of sample_order.h with `seed`
  uint64_t seed = 0;
  bool zstd = false;  // MDS only: shard.NNNNN.mds.zstd, as MDS compresses shards
  // MDS only: the hashes index.json records for each shard file, names as MDS spells
  // them ("md5", "sha1", "sha256", ...); empty: {"sha256"}.
  std::vector<std::string> hashes;
  bool overwrite = false;            // export into a folder that holds something else
  const io::ReadEnv* env = nullptr;  // nullptr: the real file system
  // When set (by a SIGINT/SIGTERM handler), export stops between shards and throws
  // kInterrupted; running it again carries on.
  const std::atomic<bool>* stop = nullptr;
};

struct ExportedShard {
  std::string name;  // file name in the target
  uint64_t samples = 0;
  uint64_t bytes = 0;    // size of the shard file
  std::string sha256;    // of the shard file, hex
  bool resumed = false;  // complete already, from an earlier run, and left alone
};

struct ExportReport {
  std::string shipment_id;
  std::string index;  // file name of the index in the target ("" when not written)
  uint64_t samples = 0, files = 0;
  uint64_t bytes = 0;                 // file bytes exported (all shards, resumed ones included)
  std::vector<ExportedShard> shards;  // complete shards, in order
  std::vector<std::string> lost;      // files that could not be recovered (raw paths)
  std::vector<std::string> shards_not_written;  // shards that would hold a lost file
  std::vector<std::string> skipped;             // files left out: no extension to name them by
  std::vector<std::string> warnings;            // drives ignored, damaged catalog copies, ...
};

// Opens the shipment on `options.drives` and exports it. Throws ferry::Error before
// writing anything when the drives, key, options or target are not usable
// (kInvalidArgument, kConflict naming the files of a sample that share an extension,
// ...). Files that cannot be recovered are listed in `lost`; the shards that would
// hold them are not written (and the index neither), the others are.
ExportReport export_shipment(const ExportOptions& options, Progress& progress);

// The same from a shipment already open (`options.drives` and `credentials` unused).
ExportReport export_shipment(const Shipment& shipment, const ExportOptions& options,
                             Progress& progress);

}  // namespace ferry
