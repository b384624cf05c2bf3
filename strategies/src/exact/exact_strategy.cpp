// `exact`: the optimum of tiny instances by exhaustion, the test oracle for the bounds and for
// `joint`. Every count vector (compositions of the node's replicas) is packed by branch and bound
// (heaviest replica first, GPUs with equal state tried once); under the hierarchical policy every
// group -> node assignment is tried. Sizes beyond the limits below are refused, never truncated.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "eplb/bounds.hpp"
#include "eplb/error.hpp"
#include "joint/joint_strategy.hpp"
#include "joint/node_split.hpp"

namespace eplb {
namespace {

constexpr int kMaxNodeReplicas = 12;
constexpr double kMaxCountVectors = 5000;  // C(R/N - 1, E/N - 1) per node
constexpr std::int64_t kMaxAssignments = 105;

double binomial(int n, int k) {
  double c = 1.0;
  for (int i = 0; i < k; ++i) c = c * (n - i) / (i + 1);
  return c;
}

class NodeSolver {
 public:
  NodeSolver(std::span<const double> w, int replicas, int gpus)
      : w_(w), replicas_(replicas), gpus_(gpus), slots_(replicas / gpus) {}

  // Best local slot layout; returns its max GPU load (summed in slot order).
  double solve(std::vector<int>& best_slots) {
    best_ = std::numeric_limits<double>::infinity();
    total_ = std::accumulate(w_.begin(), w_.end(), 0.0);
    cnt_.assign(w_.size(), 1);
    compositions(0, replicas_ - static_cast<int>(w_.size()));
    best_slots = best_slots_;
    return best_;
  }

 private:
  void compositions(std::size_t e, int left) {
    if (e + 1 == w_.size()) {
      cnt_[e] = 1 + left;
      pack_counts();
      cnt_[e] = 1;
      return;
    }
    for (int extra = 0; extra <= left; ++extra) {
      cnt_[e] = 1 + extra;
      compositions(e + 1, left - extra);
    }
    cnt_[e] = 1;
  }

  void pack_counts() {
    items_.clear();
    double largest = 0.0;
    for (std::size_t e = 0; e < w_.size(); ++e) {
      const double size = w_[e] / cnt_[e];
      largest = std::max(largest, size);
      for (int k = 0; k < cnt_[e]; ++k) items_.emplace_back(size, static_cast<int>(e));
    }
    if (std::max(largest, total_ / gpus_) >= best_) return;
    std::stable_sort(items_.begin(), items_.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    load_.assign(static_cast<std::size_t>(gpus_), 0.0);
    members_.assign(static_cast<std::size_t>(gpus_), {});
    place(0);
  }

  void place(std::size_t k) {
    if (k == items_.size()) {
      // Score in slot order, exactly as the metrics do.
      double worst = 0.0;
      for (const auto& m : members_) {
        double g = 0.0;
        for (int e : m) g += w_[static_cast<std::size_t>(e)] / cnt_[static_cast<std::size_t>(e)];
        worst = std::max(worst, g);
      }
      if (best_slots_.empty() || worst < best_) {  // inf sums: keep the first
        best_ = worst;
        best_slots_.clear();
        for (const auto& m : members_) best_slots_.insert(best_slots_.end(), m.begin(), m.end());
      }
      return;
    }
    const double size = items_[k].first;
    for (int q = 0; q < gpus_; ++q) {
      const auto uq = static_cast<std::size_t>(q);
      if (static_cast<int>(members_[uq].size()) == slots_) continue;
      bool twin = false;  // an earlier GPU in the same state gives the same subtrees
      for (int p = 0; p < q && !twin; ++p) {
        const auto up = static_cast<std::size_t>(p);
        twin = members_[up].size() == members_[uq].size() && load_[up] == load_[uq];
      }
      if (twin || (!best_slots_.empty() && load_[uq] + size >= best_)) continue;
      load_[uq] += size;
      members_[uq].push_back(items_[k].second);
      place(k + 1);
      members_[uq].pop_back();
      load_[uq] -= size;
      if (members_[uq].empty()) load_[uq] = 0.0;
    }
  }

  std::span<const double> w_;
  int replicas_, gpus_, slots_;
  double total_ = 0.0;
  double best_ = 0.0;
  std::vector<int> cnt_;
  std::vector<std::pair<double, int>> items_;
  std::vector<double> load_;
  std::vector<std::vector<int>> members_;
  std::vector<int> best_slots_;
};

// All ways to split `groups` into blocks of `per` (block label = order of its lowest group).
void partitions(int groups, int per, std::vector<int>& node_of, int block,
                std::vector<std::vector<int>>& out) {
  const auto first = std::find(node_of.begin(), node_of.end(), -1);
  if (first == node_of.end()) {
    out.push_back(node_of);
    return;
  }
  const int g0 = static_cast<int>(first - node_of.begin());
  std::vector<int> rest;
  for (int g = g0 + 1; g < groups; ++g) {
    if (node_of[static_cast<std::size_t>(g)] == -1) rest.push_back(g);
  }
  const int need = per - 1;
  std::vector<bool> choose(rest.size(), false);
  std::fill(choose.begin(), choose.begin() + need, true);
  do {
    node_of[static_cast<std::size_t>(g0)] = block;
    for (std::size_t i = 0; i < rest.size(); ++i) {
      if (choose[i]) node_of[static_cast<std::size_t>(rest[i])] = block;
    }
    partitions(groups, per, node_of, block + 1, out);
    for (std::size_t i = 0; i < rest.size(); ++i) {
      if (choose[i]) node_of[static_cast<std::size_t>(rest[i])] = -1;
    }
    node_of[static_cast<std::size_t>(g0)] = -1;
  } while (std::prev_permutation(choose.begin(), choose.end()));
}

class ExactStrategy final : public Strategy {
 public:
  explicit ExactStrategy(Policy policy) : policy_(policy) {}

  Placement plan(const LoadMatrix& load, const Topology& topo) const override {
    const int L = static_cast<int>(load.rows());
    const int E = static_cast<int>(load.cols());
    topo.validate(E);
    const Policy policy = topo.resolve(policy_);
    const bool hier = policy == Policy::kHierarchical;
    const int nodes = hier ? topo.num_nodes : 1;
    const int groups = hier ? topo.num_groups : 1;
    const int node_replicas = topo.num_replicas / nodes;
    const int node_gpus = topo.num_gpus / nodes;
    const int node_experts = E / nodes;
    const std::int64_t assignments = hier ? count_group_assignments(groups, nodes) : 1;
    if (node_replicas > kMaxNodeReplicas ||
        binomial(node_replicas - 1, node_experts - 1) > kMaxCountVectors ||
        assignments > kMaxAssignments) {
      throw InputError(fmt::format(
          "strategy 'exact': {} with {} experts is too large to solve exhaustively (limits per "
          "node: at most {} replicas and {} count vectors C(R/N-1, E/N-1); at most {} group -> "
          "node assignments); this instance has {} replicas, {:.0f} count vectors and {} "
          "assignments per node; use joint for larger instances",
          topo.to_string(), E, kMaxNodeReplicas, kMaxCountVectors, kMaxAssignments,
          node_replicas, binomial(node_replicas - 1, node_experts - 1), assignments));
    }
    std::vector<std::vector<int>> options;
    std::vector<int> node_of(static_cast<std::size_t>(groups), -1);
    partitions(groups, groups / nodes, node_of, 0, options);

    Placement out;
    out.policy = policy;
    out.phy2log.resize(L, topo.num_replicas);
    for (int l = 0; l < L; ++l) {
      const std::span<const double> w(load.row(l).data(), static_cast<std::size_t>(E));
      std::map<std::vector<int>, std::pair<double, std::vector<int>>> cache;
      double best = std::numeric_limits<double>::infinity();
      std::vector<std::vector<int>> best_experts, best_slots;
      for (const auto& option : options) {
        const auto experts = joint::node_experts(option, nodes, E / groups);
        double worst = 0.0;
        std::vector<std::vector<int>> slots;
        for (const auto& list : experts) {
          auto it = cache.find(list);
          if (it == cache.end()) {
            std::vector<double> wn;
            for (int e : list) wn.push_back(w[static_cast<std::size_t>(e)]);
            std::vector<int> s;
            const double m = NodeSolver(wn, node_replicas, node_gpus).solve(s);
            if (s.size() != static_cast<std::size_t>(node_replicas)) {
              throw InputError(
                  "strategy 'exact': no finite GPU load in this layer (the loads' sums overflow a "
                  "double); scale the loads down");
            }
            it = cache.emplace(list, std::make_pair(m, std::move(s))).first;
          }
          worst = std::max(worst, it->second.first);
          slots.push_back(it->second.second);
        }
        // The first candidate always counts: with loads whose sums overflow, `worst` is inf
        // and `worst < best` would never hold, leaving no placement to write.
        if (best_experts.empty() || worst < best) {
          best = worst;
          best_experts = experts;
          best_slots = std::move(slots);
        }
      }
      for (int n = 0; n < nodes; ++n) {
        for (int s = 0; s < node_replicas; ++s) {
          out.phy2log(l, n * node_replicas + s) =
              best_experts[static_cast<std::size_t>(n)][static_cast<std::size_t>(
                  best_slots[static_cast<std::size_t>(n)][static_cast<std::size_t>(s)])];
        }
      }
    }
    out.logcnt = count_replicas(out.phy2log, E);
    return out;
  }

 private:
  Policy policy_;
};

}  // namespace

std::vector<ParamDesc> exact_params() {
  return {choice_param("policy", "auto", {"auto", "hierarchical", "global"},
                       "auto: hierarchical iff groups % nodes == 0 (eplb.py)")};
}

std::unique_ptr<Strategy> make_exact_strategy(const ParamValues& v) {
  const std::string& p = v.get_string("policy");
  return std::make_unique<ExactStrategy>(p == "hierarchical" ? Policy::kHierarchical
                                         : p == "global"     ? Policy::kGlobal
                                                             : Policy::kAuto);
}

}  // namespace eplb
