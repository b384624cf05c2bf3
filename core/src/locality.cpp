#include "eplb/locality.hpp"

#include <algorithm>
#include <vector>

namespace eplb {

Locality compute_locality(const LoadMatrix& load, const Placement& p, const Topology& topo) {
  const int L = static_cast<int>(p.phy2log.rows());
  const int R = topo.num_replicas;
  const int E = static_cast<int>(load.cols());
  const int G = topo.num_groups;
  const int N = topo.num_nodes;
  const int slots_per_node = R / N;
  auto group_of = [&](int e) { return static_cast<int>(static_cast<long>(e) * G / E); };

  Locality out;
  if (L == 0 || E == 0 || G <= 0) return out;
  // cnt[e * N + k]: replicas of expert e on node k (integers: independent of slot order).
  std::vector<int> cnt(static_cast<std::size_t>(E) * static_cast<std::size_t>(N));
  std::vector<double> node_load(static_cast<std::size_t>(N));
  std::vector<char> present(static_cast<std::size_t>(N));
  double span_sum = 0.0, off_sum = 0.0, total_sum = 0.0;
  long cells = 0;
  for (int l = 0; l < L; ++l) {
    std::fill(cnt.begin(), cnt.end(), 0);
    for (int s = 0; s < R; ++s) {
      ++cnt[static_cast<std::size_t>(p.phy2log(l, s)) * static_cast<std::size_t>(N) +
            static_cast<std::size_t>(s / slots_per_node)];
    }
    int e = 0;
    for (int g = 0; g < G; ++g) {
      std::fill(node_load.begin(), node_load.end(), 0.0);
      std::fill(present.begin(), present.end(), 0);
      if (e >= E || group_of(e) != g) continue;  // an empty group (G > E) has no span
      // The group's load from its experts (= the sum over nodes, without depending on node order).
      double group_load = 0.0;
      for (; e < E && group_of(e) == g; ++e) {
        group_load += load(l, e);
        const double r = load(l, e) / static_cast<double>(p.logcnt(l, e));
        for (int k = 0; k < N; ++k) {
          const int c = cnt[static_cast<std::size_t>(e) * static_cast<std::size_t>(N) +
                            static_cast<std::size_t>(k)];
          if (c == 0) continue;
          present[static_cast<std::size_t>(k)] = 1;
          node_load[static_cast<std::size_t>(k)] += c * r;
        }
      }
      int span = 0;
      double home_load = 0.0;
      for (int k = 0; k < N; ++k) {
        span += present[static_cast<std::size_t>(k)];
        home_load = std::max(home_load, node_load[static_cast<std::size_t>(k)]);
      }
      span_sum += span;
      off_sum += std::max(0.0, group_load - home_load);
      total_sum += group_load;
      ++cells;
    }
  }
  out.group_node_span = cells == 0 ? 1.0 : span_sum / static_cast<double>(cells);
  out.off_node_load_share = total_sum > 0.0 ? off_sum / total_sum : 0.0;
  return out;
}

}  // namespace eplb
