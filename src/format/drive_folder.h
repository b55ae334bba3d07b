// Finding a shipment's folder on a drive. A drive is any directory; ferry keeps a
// shipment under DRIVE/ferry-<id>/. The user may name the drive or that folder itself.
// FORMAT.md §Drive layout.
#pragma once

#include <string>
#include <vector>

#include "ferry/read_env.h"
#include "ferry/write_env.h"
#include "format/label.h"

namespace ferry::format {

// The shipment folders at `given`: `given` itself if it holds a label, else its
// ferry-* sub-folders. Throws kIO when `given` cannot be read.
std::vector<std::string> find_shipment_folders(const std::string& given);

std::string label_path(const std::string& folder);
std::string catalog_path(const std::string& folder);
std::string segment_path(const std::string& folder, uint64_t segment);
// The catalog snapshot of an unfinished pack's checkpoint `sequence`.
std::string checkpoint_path(const std::string& folder, uint64_t sequence);

// Whether the catalog copy in `folder` has the size and SHA-256 the label records (no
// key needed). False when it is missing or unreadable.
bool catalog_copy_intact(const std::string& folder, const Label& label,
                         const io::ReadEnv& env = io::ReadEnv::posix());

// Reads and checks the label in `folder`.
Label read_label(const std::string& folder, const io::ReadEnv& env = io::ReadEnv::posix());
// Publishes `label` atomically (temporary file, fsync, rename).
void write_label(const std::string& folder, const Label& label,
                 const io::WriteEnv& env = io::WriteEnv::posix());
// The plain-text note telling a person what the drive is and how to restore it.
void write_note(const std::string& folder, const Label& label,
                const io::WriteEnv& env = io::WriteEnv::posix());

}  // namespace ferry::format
