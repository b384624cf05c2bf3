#include "eplb/bounds.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "eplb/error.hpp"

namespace eplb {
namespace {

// Replicas expert weight `w` needs so that each is at most `theta` (at least 1).
int replicas_to_clear(double w, double theta) {
  if (w <= theta) return 1;
  const double q = w / theta;
  if (!(q < 1e9)) return std::numeric_limits<int>::max();
  int m = std::max(1, static_cast<int>(std::ceil(q)));
  // Decide with the same division the metrics use (w / c), so rounding of q cannot move m.
  while (m > 1 && w / (m - 1) <= theta) --m;
  while (w / m > theta) ++m;
  return m;
}

class Pigeonhole {
 public:
  Pigeonhole(std::span<const double> w, int num_replicas, int num_gpus)
      : w_(w),
        num_replicas_(num_replicas),
        num_gpus_(num_gpus),
        budget_(num_replicas - static_cast<int>(w.size())),
        buckets_(static_cast<std::size_t>(std::max(0, num_replicas - static_cast<int>(w.size()))) +
                 1) {}

  // True when some counts leave at most k*P replicas larger than T/(k+1): the max GPU load T is
  // not ruled out at level k.
  bool feasible(int k, double t) {
    const double theta = t / (k + 1);
    const int e_count = static_cast<int>(w_.size());
    // Cheap first: with every expert above theta left whole (one replica each) and the spare
    // replicas on a cleared expert, at most `above` replicas are large.
    int above = 0;
    for (double w : w_) above += w > theta ? 1 : 0;
    if (above < e_count && above <= static_cast<long>(k) * num_gpus_) return true;
    // Clearing an expert costs m-1 extra replicas; the most experts cleared within the budget
    // are the cheapest ones (unit value each), counted per cost in buckets.
    std::fill(buckets_.begin(), buckets_.end(), 0);
    int cleared_free = 0;
    for (double w : w_) {
      const int m = replicas_to_clear(w, theta);
      if (m == 1) {
        ++cleared_free;
      } else if (m - 1 <= budget_) {
        ++buckets_[static_cast<std::size_t>(m - 1)];
      }
    }
    int cleared = cleared_free;
    int left = budget_;
    for (int cost = 1; cost <= budget_ && left >= cost; ++cost) {
      const int n = buckets_[static_cast<std::size_t>(cost)];
      const int take = std::min(n, left / cost);
      cleared += take;
      left -= take * cost;
    }
    // With nothing cleared, every extra replica lands on an uncleared expert.
    const long large = cleared == 0 ? num_replicas_ : e_count - cleared;
    return large <= static_cast<long>(k) * num_gpus_;
  }

 private:
  std::span<const double> w_;
  int num_replicas_;
  int num_gpus_;
  int budget_;
  std::vector<int> buckets_;
};

struct BlockBounds {
  std::span<const double> weights;
  int group_size;
  int replicas;  // per node
  int gpus;      // per node
  std::unordered_map<std::uint64_t, double> cache;
  std::vector<double> buf;

  double of(std::uint64_t mask, int groups) {
    auto it = cache.find(mask);
    if (it != cache.end()) return it->second;
    buf.clear();
    for (int g = 0; g < groups; ++g) {
      if ((mask >> g & 1U) == 0U) continue;
      const auto first = weights.begin() + static_cast<std::ptrdiff_t>(g) * group_size;
      buf.insert(buf.end(), first, first + group_size);
    }
    const double lb = flat_bound(buf, replicas, gpus).max_load;
    cache.emplace(mask, lb);
    return lb;
  }
};

// Branch and bound over assignments: the lowest free group opens the next block.
void enumerate(BlockBounds& blocks, int groups, int per_node, std::uint64_t free_mask,
               double current, std::vector<int>& node_of, int node, double& best,
               std::vector<int>& best_node_of) {
  if (free_mask == 0) {
    if (current < best) {
      best = current;
      best_node_of = node_of;
    }
    return;
  }
  const int first = std::countr_zero(free_mask);
  std::vector<int> rest;
  for (int g = first + 1; g < groups; ++g) {
    if ((free_mask >> g & 1U) != 0U) rest.push_back(g);
  }
  const int need = per_node - 1;
  std::vector<int> pick(static_cast<std::size_t>(need));
  std::iota(pick.begin(), pick.end(), 0);
  const int n = static_cast<int>(rest.size());
  while (true) {
    std::uint64_t mask = std::uint64_t{1} << first;
    for (int i : pick) mask |= std::uint64_t{1} << rest[static_cast<std::size_t>(i)];
    const double lb = std::max(current, blocks.of(mask, groups));
    if (lb < best) {
      for (int g = 0; g < groups; ++g) {
        if ((mask >> g & 1U) != 0U) node_of[static_cast<std::size_t>(g)] = node;
      }
      enumerate(blocks, groups, per_node, free_mask & ~mask, lb, node_of, node + 1, best,
                best_node_of);
    }
    // Next combination of `need` out of `n`.
    int i = need - 1;
    while (i >= 0 && pick[static_cast<std::size_t>(i)] == n - need + i) --i;
    if (i < 0) break;
    ++pick[static_cast<std::size_t>(i)];
    for (int j = i + 1; j < need; ++j)
      pick[static_cast<std::size_t>(j)] = pick[static_cast<std::size_t>(j - 1)] + 1;
  }
}

}  // namespace

const char* to_string(BoundKind kind) {
  switch (kind) {
    case BoundKind::kMean:
      return "mean";
    case BoundKind::kReplica:
      return "replica";
    case BoundKind::kPigeonhole:
      return "pigeonhole";
    case BoundKind::kNodeAssignment:
      return "node_assignment";
    case BoundKind::kNodeRelaxation:
      return "node_relaxation";
  }
  return "mean";
}

LayerBound flat_bound(std::span<const double> w, int num_replicas, int num_gpus) {
  LayerBound out;
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  const double wmax = w.empty() ? 0.0 : *std::max_element(w.begin(), w.end());
  out.mean = total / num_gpus;
  out.max_load = out.mean;
  if (!(wmax > 0.0)) return out;
  const int slots = num_replicas / num_gpus;
  Pigeonhole pigeonhole(w, num_replicas, num_gpus);
  for (int k = 0; k < slots; ++k) {
    // A level only matters where it rules out the best bound so far.
    if (pigeonhole.feasible(k, out.max_load)) continue;
    double lo = out.max_load;   // ruled out
    double hi = (k + 1) * wmax;  // every replica at most wmax: never ruled out
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; ++it) {
      const double mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      (pigeonhole.feasible(k, mid) ? hi : lo) = mid;
    }
    // `lo` is ruled out, so every allowed max load is larger: a valid bound.
    out.max_load = lo;
    out.kind = k == 0 ? BoundKind::kReplica : BoundKind::kPigeonhole;
  }
  out.ratio = out.max_load > 0.0 ? out.mean / out.max_load : 1.0;
  return out;
}

std::int64_t count_group_assignments(int groups, int nodes) {
  // (G)! / ((G/N)!^N N!) as a product of binomials C(rest - 1, per - 1), saturating.
  const int per = groups / nodes;
  long double count = 1.0L;
  int rest = groups;
  for (int n = 0; n < nodes; ++n) {
    long double c = 1.0L;
    for (int i = 0; i < per - 1; ++i) c = c * (rest - 1 - i) / (i + 1);
    count *= c;
    rest -= per;
    if (count > static_cast<long double>(std::numeric_limits<std::int64_t>::max()) / 2)
      return std::numeric_limits<std::int64_t>::max();
  }
  return static_cast<std::int64_t>(std::llround(static_cast<double>(count)));
}

LayerBound layer_bound(std::span<const double> w, const Topology& topo, Policy policy) {
  const Policy resolved = topo.resolve(policy);
  if (resolved != Policy::kHierarchical || topo.num_nodes == 1)
    return flat_bound(w, topo.num_replicas, topo.num_gpus);
  const int groups = topo.num_groups;
  const int nodes = topo.num_nodes;
  const int per_node = groups / nodes;
  const int group_size = static_cast<int>(w.size()) / groups;
  const int node_replicas = topo.num_replicas / nodes;
  const int node_gpus = topo.num_gpus / nodes;

  LayerBound out;
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  out.mean = total / topo.num_gpus;
  out.max_load = out.mean;
  if (!(total > 0.0)) return out;

  if (groups <= 63 && count_group_assignments(groups, nodes) <= kMaxEnumeratedAssignments) {
    BlockBounds blocks{w, group_size, node_replicas, node_gpus, {}, {}};
    std::vector<int> node_of(static_cast<std::size_t>(groups), -1);
    double best = std::numeric_limits<double>::infinity();
    const std::uint64_t all = groups == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << groups) - 1;
    enumerate(blocks, groups, per_node, all, 0.0, node_of, 0, best, out.group_node);
    out.max_load = std::max(out.mean, best);
    out.kind = BoundKind::kNodeAssignment;
  } else {
    // Relaxation: any hierarchical placement is also a global one; the node of the heaviest
    // group carries it and at least the lightest per_node-1 other groups.
    out = flat_bound(w, topo.num_replicas, topo.num_gpus);
    std::vector<double> load(static_cast<std::size_t>(groups), 0.0);
    for (int g = 0; g < groups; ++g) {
      for (int k = 0; k < group_size; ++k)
        load[static_cast<std::size_t>(g)] += w[static_cast<std::size_t>(g * group_size + k)];
    }
    std::sort(load.begin(), load.end());
    double node = load.back();
    for (int i = 0; i < per_node - 1; ++i) node += load[static_cast<std::size_t>(i)];
    out.max_load = std::max(out.max_load, node / node_gpus);
    out.kind = BoundKind::kNodeRelaxation;
  }
  out.ratio = out.max_load > 0.0 ? out.mean / out.max_load : 1.0;
  return out;
}

Bounds compute_bounds(const LoadMatrix& load, const Topology& topo, Policy policy) {
  Bounds out;
  out.layers.reserve(static_cast<std::size_t>(load.rows()));
  double sum_mean = 0.0, sum_lb = 0.0;
  for (Eigen::Index l = 0; l < load.rows(); ++l) {
    const std::span<const double> row(load.row(l).data(), static_cast<std::size_t>(load.cols()));
    out.layers.push_back(layer_bound(row, topo, policy));
    sum_mean += out.layers.back().mean;
    sum_lb += out.layers.back().max_load;
    if (out.layers.back().kind == BoundKind::kNodeRelaxation) ++out.relaxed_layers;
  }
  out.balancedness_bound = sum_lb > 0.0 ? sum_mean / sum_lb : 1.0;
  return out;
}

}  // namespace eplb
