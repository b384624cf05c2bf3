// `joint`: per layer, counts and placement searched together (joint_search.hpp), starting from
// another strategy's plan and stopping within `tol` of the layer's bound (eplb/bounds.hpp).
// Under the hierarchical policy each node is its own subproblem; the group -> node assignment is
// the init plan's, or the one attaining the bound when that one ends better.
#include "joint/joint_strategy.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <bit>

#include "eplb/bounds.hpp"
#include "eplb/error.hpp"
#include "joint/joint_search.hpp"
#include "joint/node_split.hpp"

namespace eplb {
namespace {

// FNV-1a over the bit patterns of a load row.
std::uint64_t row_hash(std::span<const double> w) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const double x : w) {
    h ^= std::bit_cast<std::uint64_t>(x);
    h *= 0x100000001b3ULL;
  }
  return h;
}

Policy parse_policy(const std::string& text) {
  if (text == "hierarchical") return Policy::kHierarchical;
  if (text == "global") return Policy::kGlobal;
  return Policy::kAuto;
}

struct JointOptions {
  Policy policy = Policy::kAuto;
  std::string init;
  joint::Budget budget;
  double tolerance = 1e-4;
  bool reassign = true;
  std::uint64_t seed = 0;
};

struct LayerResult {
  std::vector<int> group_node;            // node label of each group (hierarchical)
  std::vector<std::vector<int>> experts;  // per node, global ids
  std::vector<std::vector<int>> slots;    // per node, local expert per local slot
  double max_load = 0.0;
};

class JointStrategy final : public Strategy {
 public:
  explicit JointStrategy(JointOptions options) : options_(std::move(options)) {
    init_ = make_strategy(options_.init + ":policy=" + to_string_policy(options_.policy)).product;
  }

  Placement plan(const LoadMatrix& load, const Topology& topo) const override {
    const int L = static_cast<int>(load.rows());
    const int E = static_cast<int>(load.cols());
    topo.validate(E);
    const Policy policy = topo.resolve(options_.policy);
    const Placement init = init_->plan(load, topo);
    if (init.policy != policy) {
      throw InputError(fmt::format("strategy 'joint': init '{}' applied policy {}, joint needs {}",
                                   options_.init, to_string(init.policy), to_string(policy)));
    }
    const bool hier = policy == Policy::kHierarchical;
    const int nodes = hier ? topo.num_nodes : 1;
    const int groups = hier ? topo.num_groups : 1;
    const int group_size = E / groups;
    const int node_replicas = topo.num_replicas / nodes;
    const int node_gpus = topo.num_gpus / nodes;

    Placement out;
    out.policy = policy;
    out.phy2log.resize(L, topo.num_replicas);
    std::vector<joint::JointSearch> searches(static_cast<std::size_t>(nodes));  // reused
    for (int l = 0; l < L; ++l) {
      const std::span<const double> w(load.row(l).data(), static_cast<std::size_t>(E));
      // The enumerated assignment bound is only needed when another assignment may be searched;
      // each solve also stops at its own nodes' bounds.
      const LayerBound bound = hier && !options_.reassign
                                   ? flat_bound(w, topo.num_replicas, topo.num_gpus)
                                   : layer_bound(w, topo, policy);
      const double target = bound.max_load * (1.0 + options_.tolerance);
      // Seeded by the layer's loads, not its index: a block of layers planned on its own thread
      // (plan_layers) sees other indices, and must get the same plan.
      const std::uint64_t seed = options_.seed * 0x9E3779B97F4A7C15ULL + row_hash(w);

      std::vector<int> init_nodes(static_cast<std::size_t>(groups), 0);
      if (hier) init_nodes = joint::placement_group_nodes(init, l, topo, E);
      LayerResult best = solve(w, init_nodes, &init, l, nodes, group_size, node_replicas, node_gpus,
                               target, seed, searches);
      if (hier && options_.reassign && !bound.group_node.empty() &&
          !joint::same_partition(bound.group_node, init_nodes) && best.max_load > target) {
        LayerResult other = solve(w, bound.group_node, nullptr, l, nodes, group_size, node_replicas,
                                  node_gpus, target, seed ^ 0x5bd1e995ULL, searches);
        if (other.max_load < best.max_load) best = std::move(other);
      }
      for (int n = 0; n < nodes; ++n) {
        const auto& experts = best.experts[static_cast<std::size_t>(n)];
        const auto& slots = best.slots[static_cast<std::size_t>(n)];
        for (int s = 0; s < node_replicas; ++s)
          out.phy2log(l, n * node_replicas + s) =
              experts[static_cast<std::size_t>(slots[static_cast<std::size_t>(s)])];
      }
    }
    out.logcnt = count_replicas(out.phy2log, E);
    return out;
  }

 private:
  static const char* to_string_policy(Policy p) {
    return p == Policy::kAuto ? "auto" : to_string(p);
  }

  // Searches every node of one assignment, hardest start first; a node stops once it is no worse
  // than the layer's target or than a node already searched (the layer waits for its worst).
  LayerResult solve(std::span<const double> w, const std::vector<int>& group_node,
                    const Placement* init, int layer, int nodes, int group_size, int node_replicas,
                    int node_gpus, double target, std::uint64_t seed,
                    std::vector<joint::JointSearch>& searches) const {
    // `target` is raised below to the assignment's own bound.
    LayerResult r;
    r.group_node = group_node;
    r.experts = joint::node_experts(group_node, nodes, group_size);
    std::vector<double> wn;
    for (int n = 0; n < nodes; ++n) {
      const auto& experts = r.experts[static_cast<std::size_t>(n)];
      wn.clear();
      for (int e : experts) wn.push_back(w[static_cast<std::size_t>(e)]);
      auto& search = searches[static_cast<std::size_t>(n)];
      search.reset(wn, node_replicas, node_gpus);
      const std::vector<int> start = init != nullptr
                                         ? joint::local_slots(*init, layer, n, node_replicas,
                                                              experts, static_cast<int>(w.size()))
                                         : joint::greedy_start(wn, node_replicas, node_gpus);
      search.start(start);
      // No search on this assignment can beat the worst node's own bound.
      if (nodes > 1) {
        target = std::max(
            target, flat_bound(wn, node_replicas, node_gpus).max_load * (1.0 + options_.tolerance));
      }
    }
    std::vector<int> order(static_cast<std::size_t>(nodes));
    for (int n = 0; n < nodes; ++n) order[static_cast<std::size_t>(n)] = n;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return searches[static_cast<std::size_t>(a)].best_max() >
             searches[static_cast<std::size_t>(b)].best_max();
    });
    double reached = 0.0;
    for (int n : order) {
      auto& search = searches[static_cast<std::size_t>(n)];
      search.run(std::max(target, reached), options_.budget,
                 seed * 31 + static_cast<std::uint64_t>(n));
      reached = std::max(reached, search.best_max());
    }
    r.max_load = reached;
    for (auto& search : searches) r.slots.push_back(search.best_slots());
    return r;
  }

  JointOptions options_;
  std::unique_ptr<Strategy> init_;
};

}  // namespace

std::vector<ParamDesc> joint_params() {
  return {
      choice_param("policy", "auto", {"auto", "hierarchical", "global"},
                   "auto: hierarchical iff groups % nodes == 0 (eplb.py)"),
      string_param("init", "deepseek",
                   "registered strategy name whose plan the search starts from (run with the "
                   "same policy)"),
      int_param("iters", 4000, 0, 100000000,
                "improving moves per subproblem (layer, or node when hierarchical)"),
      int_param("kicks", 100, 0, 10000000,
                "perturbations of the iterated local search per subproblem"),
      bool_param("exchange", true, "try 2-2 exchanges when no single move improves"),
      bool_param("reassign", true,
                 "hierarchical: also search the group -> node assignment attaining the bound"),
      double_param("tol", 1e-4, 0.0, 1.0,
                   "stop a layer once its max GPU load is within this fraction of its bound"),
      int_param("seed", 0, 0, 2147483647, "seed of the kicks (same seed, same plan)"),
  };
}

std::unique_ptr<Strategy> make_joint_strategy(const ParamValues& v) {
  JointOptions o;
  o.policy = parse_policy(v.get_string("policy"));
  o.init = v.get_string("init");
  if (o.init == "joint") {
    throw InputError(
        "strategy 'joint': init=joint would start from itself; name another "
        "strategy, e.g. init=deepseek");
  }
  if (!strategy_registry().contains(o.init)) {
    throw InputError(
        fmt::format("strategy 'joint': init={} is not a registered strategy (see "
                    "'eplb list')",
                    o.init));
  }
  o.budget.iterations = v.get_int("iters");
  o.budget.kicks = v.get_int("kicks");
  o.budget.exchanges = v.get_bool("exchange");
  o.reassign = v.get_bool("reassign");
  o.tolerance = v.get_double("tol");
  o.seed = static_cast<std::uint64_t>(v.get_int("seed"));
  return std::make_unique<JointStrategy>(std::move(o));
}

}  // namespace eplb
