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
// frames of zeros (a sparse file's holes) shrink so, and restore writes no zeros.
uint64_t restored_bytes(format::Catalog& catalog, const Selection& selection,
                        const HardLinks& links);

// Throws kNoSpace, with both figures in human units, when `target`'s free space is
// below `needed`.
void check_target_space(const std::string& target, uint64_t needed);

}  // namespace ferry::read
