// Whether the restore target has room for what a restore writes, checked before it
// writes anything.
#pragma once

#include <cstdint>
#include <string>

#include "format/catalog.h"
#include "read/hard_links.h"
#include "read/selection.h"

namespace ferry::read {

// Bytes the selected entries take once restored, estimated on the safe side: each file
// in whole 4 KiB blocks, a folder or link one block, a hard link nothing. Of a
// compressed file, a frame that shrank to 1/1024 of its bytes or less counts as a hole:
// frames of zeros (a sparse file's holes) shrink so, and restore writes no zeros; on a
// target that keeps no holes (`holes` false: exFAT, FAT) they count whole.
uint64_t restored_bytes(format::Catalog& catalog, const Selection& selection,
                        const HardLinks& links, bool holes = true);

// Whether files in the folder `target` can have holes: a byte written 8 MiB into a new
// file there takes far less than 8 MiB. Tried with a scratch file, removed after.
bool target_keeps_holes(const std::string& target);

// Throws kNoSpace, with both figures in human units, when `target`'s free space is
// below `needed`.
void check_target_space(const std::string& target, uint64_t needed);

}  // namespace ferry::read
