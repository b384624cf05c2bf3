// The one validator every placement passes before any metric is computed.
//
// Rules, checked in this order, first violation reported:
//   shape            phy2log is [layers x R], logcnt is [layers x E], phyrank empty or [layers x R]
//   id_range         every phy2log entry is in [0, E)
//   min_one_replica  every logical expert has >= 1 replica
//   logcnt_mismatch  logcnt[l][e] equals the number of slots holding e
//   phyrank          (when phyrank is filled) each expert's slots carry ranks 0..logcnt-1, once
//   group_locality   (hierarchical policy) all replicas of a group's experts lie in one node's
//                    slot range, and every node hosts exactly G/N groups
#pragma once

#include <optional>
#include <string>

#include "eplb/types.hpp"

namespace eplb {

struct Violation {
  std::string rule;  // one of the rule names above
  int layer = -1;
  int slot = -1;        // -1 when the rule is not about one slot
  int expert = -1;      // -1 when the rule is not about one expert
  std::string message;  // full sentence with layer, slot, expert and the rule
};

// `topology` must already be valid for `num_experts`.
std::optional<Violation> find_violation(const Placement& placement, const Topology& topology,
                                        int num_layers, int num_experts);

// Throws PlacementError with the violation's message, prefixed by `who` (e.g. the strategy spec).
void require_valid(const Placement& placement, const Topology& topology, int num_layers,
                   int num_experts, const std::string& who);

}  // namespace eplb
