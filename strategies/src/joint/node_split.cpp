#include "joint/node_split.hpp"

#include <algorithm>
#include <numeric>
#include <queue>

namespace eplb::joint {

std::vector<std::vector<int>> node_experts(std::span<const int> group_node, int nodes,
                                           int group_size) {
  std::vector<std::vector<int>> out(static_cast<std::size_t>(nodes));
  for (std::size_t g = 0; g < group_node.size(); ++g) {
    auto& list = out[static_cast<std::size_t>(group_node[g])];
    for (int k = 0; k < group_size; ++k) list.push_back(static_cast<int>(g) * group_size + k);
  }
  return out;
}

std::vector<int> placement_group_nodes(const Placement& p, int layer, const Topology& topo,
                                       int num_experts) {
  const int group_size = num_experts / topo.num_groups;
  const int node_replicas = topo.num_replicas / topo.num_nodes;
  std::vector<int> out(static_cast<std::size_t>(topo.num_groups), 0);
  for (int s = 0; s < topo.num_replicas; ++s)
    out[static_cast<std::size_t>(p.phy2log(layer, s) / group_size)] = s / node_replicas;
  return out;
}

bool same_partition(std::span<const int> a, std::span<const int> b) {
  for (std::size_t g = 0; g < a.size(); ++g) {
    for (std::size_t h = g + 1; h < a.size(); ++h) {
      if ((a[g] == a[h]) != (b[g] == b[h])) return false;
    }
  }
  return true;
}

std::vector<int> greedy_start(std::span<const double> w, int replicas, int gpus) {
  const int n = static_cast<int>(w.size());
  std::vector<int> cnt(static_cast<std::size_t>(n), 1);
  for (int extra = n; extra < replicas; ++extra) {
    int best = 0;
    for (int e = 1; e < n; ++e) {
      if (w[static_cast<std::size_t>(e)] / cnt[static_cast<std::size_t>(e)] >
          w[static_cast<std::size_t>(best)] / cnt[static_cast<std::size_t>(best)])
        best = e;
    }
    ++cnt[static_cast<std::size_t>(best)];
  }
  std::vector<std::pair<double, int>> items;
  for (int e = 0; e < n; ++e) {
    for (int k = 0; k < cnt[static_cast<std::size_t>(e)]; ++k)
      items.emplace_back(w[static_cast<std::size_t>(e)] / cnt[static_cast<std::size_t>(e)], e);
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  const int slots = replicas / gpus;
  std::vector<double> load(static_cast<std::size_t>(gpus), 0.0);
  std::vector<int> used(static_cast<std::size_t>(gpus), 0);
  std::vector<int> out(static_cast<std::size_t>(replicas));
  for (const auto& [size, e] : items) {
    int best = -1;
    for (int q = 0; q < gpus; ++q) {
      if (used[static_cast<std::size_t>(q)] == slots) continue;
      if (best < 0 || load[static_cast<std::size_t>(q)] < load[static_cast<std::size_t>(best)])
        best = q;
    }
    const auto b = static_cast<std::size_t>(best);
    out[static_cast<std::size_t>(best * slots + used[b])] = e;
    ++used[b];
    load[b] += size;
  }
  return out;
}

std::vector<int> local_slots(const Placement& p, int layer, int node, int node_replicas,
                             std::span<const int> experts, int num_experts) {
  std::vector<int> local_of(static_cast<std::size_t>(num_experts), -1);
  for (std::size_t j = 0; j < experts.size(); ++j)
    local_of[static_cast<std::size_t>(experts[j])] = static_cast<int>(j);
  std::vector<int> out(static_cast<std::size_t>(node_replicas));
  for (int s = 0; s < node_replicas; ++s)
    out[static_cast<std::size_t>(s)] =
        local_of[static_cast<std::size_t>(p.phy2log(layer, node * node_replicas + s))];
  return out;
}

}  // namespace eplb::joint
