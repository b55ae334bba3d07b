// Before restore writes a byte: is the target free to write into? An empty or missing
// folder is; so is one whose contents are exactly what the restore would put there
// (a restore run again). Anything else needs --overwrite.
#pragma once

#include <string>

#include "format/catalog.h"
#include "read/selection.h"
#include "read/target_names.h"

namespace ferry::read {

// True when the folder `target` holds nothing at all: a restore into it finds none of
// its entries there already and need not look for them one by one.
bool holds_nothing(const std::string& target);

// True when the file, symlink or folder at `dirfd`/`leaf` already holds `entry`.
bool already_restored(int dirfd, const std::string& leaf, const format::Entry& entry);

// Throws kConflict, naming the first conflicts, when `target` holds anything the restore
// would overwrite or that is not part of the selected entries; with `overwrite`, only
// what --overwrite cannot replace: a folder where a file or link goes, or the reverse.
// `renames`: where entries whose names collide on the target are restored instead.
void check_target(const std::string& target, format::Catalog& catalog, const Selection& selection,
                  const Renames* renames = nullptr, bool overwrite = false);

}  // namespace ferry::read
