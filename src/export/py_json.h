// JSON text spelled the way Python's json.dumps(obj, sort_keys=True) spells it: ", "
// and ": " between items, keys sorted, non-ASCII as \uXXXX escapes. MosaicML Streaming
// writes its index.json and each shard's configuration like this; spelling them the
// same way keeps ferry's MDS files byte-for-byte what that writer would produce.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ferry::exporting {

// `value`'s strings must be UTF-8 (nlohmann::json objects keep their keys sorted).
std::string python_json(const nlohmann::json& value);

}  // namespace ferry::exporting
