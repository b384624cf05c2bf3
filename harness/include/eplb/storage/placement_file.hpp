// Reading a placement back from the JSON that `eplb plan --out` writes (keys topology, policy,
// phy2log, logcnt; the rest is ignored), e.g. the plan already deployed for
// `eplb plan --previous`.
#pragma once

#include <filesystem>

#include "eplb/types.hpp"

namespace eplb {

struct PlacementFile {
  Topology topology;
  Placement placement;
};

// Throws InputError naming the file and the key: not JSON, a missing or mistyped key, ragged
// rows, or a placement that fails the validator for its own topology.
PlacementFile read_placement_file(const std::filesystem::path& path);

}  // namespace eplb
