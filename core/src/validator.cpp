#include "eplb/validator.hpp"

#include <fmt/core.h>

#include <vector>

#include "eplb/error.hpp"

namespace eplb {
namespace {

Violation make(std::string rule, int layer, int slot, int expert, std::string detail) {
  std::string where = fmt::format("layer {}", layer);
  if (slot >= 0) where += fmt::format(", slot {}", slot);
  if (expert >= 0) where += fmt::format(", expert {}", expert);
  Violation v{std::move(rule), layer, slot, expert, {}};
  v.message = fmt::format("invalid placement ({}): rule {}: {}", where, v.rule, detail);
  return v;
}

}  // namespace

std::optional<Violation> find_violation(const Placement& p, const Topology& topo, int num_layers,
                                        int num_experts) {
  const int R = topo.num_replicas;
  if (p.phy2log.rows() != num_layers || p.phy2log.cols() != R) {
    return make("shape", -1, -1, -1,
                fmt::format("phy2log is {}x{}, expected {}x{} (layers x replicas)",
                            p.phy2log.rows(), p.phy2log.cols(), num_layers, R));
  }
  if (p.logcnt.rows() != num_layers || p.logcnt.cols() != num_experts) {
    return make("shape", -1, -1, -1,
                fmt::format("logcnt is {}x{}, expected {}x{} (layers x experts)", p.logcnt.rows(),
                            p.logcnt.cols(), num_layers, num_experts));
  }
  const bool ranked = p.phyrank.size() != 0;
  if (ranked && (p.phyrank.rows() != num_layers || p.phyrank.cols() != R)) {
    return make("shape", -1, -1, -1,
                fmt::format("phyrank is {}x{}, expected {}x{} (layers x replicas) or empty",
                            p.phyrank.rows(), p.phyrank.cols(), num_layers, R));
  }
  if (p.policy == Policy::kAuto) {
    return make("shape", -1, -1, -1, "the placement must name the policy it applied, not auto");
  }

  std::vector<int> count(static_cast<std::size_t>(num_experts));
  std::vector<int> offset;
  std::vector<char> taken;
  std::vector<int> group_node(static_cast<std::size_t>(topo.num_groups));
  std::vector<int> groups_on_node(static_cast<std::size_t>(topo.num_nodes));
  const int slots_per_node = R / topo.num_nodes;
  const int group_size = num_experts / topo.num_groups;
  const int groups_per_node = topo.num_groups / topo.num_nodes;

  for (int l = 0; l < num_layers; ++l) {
    std::fill(count.begin(), count.end(), 0);
    for (int s = 0; s < R; ++s) {
      const int e = p.phy2log(l, s);
      if (e < 0 || e >= num_experts) {
        return make("id_range", l, s, e,
                    fmt::format("slot holds expert id {}, outside [0, {})", e, num_experts));
      }
      ++count[static_cast<std::size_t>(e)];
    }
    for (int e = 0; e < num_experts; ++e) {
      if (count[static_cast<std::size_t>(e)] == 0) {
        return make("min_one_replica", l, -1, e, "logical expert has no replica");
      }
    }
    for (int e = 0; e < num_experts; ++e) {
      if (p.logcnt(l, e) != count[static_cast<std::size_t>(e)]) {
        return make("logcnt_mismatch", l, -1, e,
                    fmt::format("logcnt says {} replicas but phy2log holds {}", p.logcnt(l, e),
                                count[static_cast<std::size_t>(e)]));
      }
    }
    if (ranked) {
      // Replica ranks of each expert must be exactly 0..logcnt-1 (log2phy is built from them):
      // (expert, rank) pairs index a table of R cells through the experts' count offsets.
      offset.assign(static_cast<std::size_t>(num_experts), 0);
      for (int e = 1; e < num_experts; ++e)
        offset[static_cast<std::size_t>(e)] =
            offset[static_cast<std::size_t>(e - 1)] + p.logcnt(l, e - 1);
      taken.assign(static_cast<std::size_t>(R), 0);
      for (int s = 0; s < R; ++s) {
        const int e = p.phy2log(l, s);
        const int r = p.phyrank(l, s);
        const int c = p.logcnt(l, e);
        if (r < 0 || r >= c) {
          return make("phyrank", l, s, e, fmt::format("replica rank {} outside [0, {})", r, c));
        }
        char& t = taken[static_cast<std::size_t>(offset[static_cast<std::size_t>(e)] + r)];
        if (t != 0)
          return make("phyrank", l, s, e, fmt::format("replica rank {} appears twice", r));
        t = 1;
      }
    }
    if (p.policy != Policy::kHierarchical) continue;
    std::fill(group_node.begin(), group_node.end(), -1);
    std::fill(groups_on_node.begin(), groups_on_node.end(), 0);
    for (int s = 0; s < R; ++s) {
      const int e = p.phy2log(l, s);
      const int g = e / group_size;
      const int node = s / slots_per_node;
      int& home = group_node[static_cast<std::size_t>(g)];
      if (home == -1) {
        home = node;
        ++groups_on_node[static_cast<std::size_t>(node)];
      } else if (home != node) {
        return make("group_locality", l, s, e,
                    fmt::format("expert of group {} is on node {}, but the group already has "
                                "replicas on node {}",
                                g, node, home));
      }
    }
    for (int n = 0; n < topo.num_nodes; ++n) {
      if (groups_on_node[static_cast<std::size_t>(n)] != groups_per_node) {
        return make("group_locality", l, -1, -1,
                    fmt::format("node {} hosts {} groups, expected {}", n,
                                groups_on_node[static_cast<std::size_t>(n)], groups_per_node));
      }
    }
  }
  return std::nullopt;
}

void require_valid(const Placement& placement, const Topology& topology, int num_layers,
                   int num_experts, const std::string& who) {
  if (auto v = find_violation(placement, topology, num_layers, num_experts)) {
    throw PlacementError(fmt::format("{}: {}", who, v->message));
  }
}

}  // namespace eplb
