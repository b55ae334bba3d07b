// A checker for everything a restore keeps, beyond what compare_trees() looks at:
// owner and group, extended attributes (ACLs and capabilities among them), which names
// are one file (hard links), and allocated size (holes kept).
#pragma once

#include <string>

namespace ferry::test {

// Empty when the trees below the two roots hold the same names with the same type,
// mode, owner, group, size, content, mtime (ns), link target and extended attributes,
// the same names grouped as one file, and no file taking more room than its original;
// else the differences, one a line.
std::string compare_trees_fully(const std::string& expected_root, const std::string& actual_root);

}  // namespace ferry::test
