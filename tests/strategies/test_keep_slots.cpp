// keep_slots (strategies/include/eplb/keep_slots.hpp): hand cases, optimality against brute force
// on tiny topologies, and properties over random instances and every registered strategy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/keep_slots.hpp"
#include "eplb/metrics.hpp"
#include "eplb/migration.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "splitmix_rng.hpp"

namespace eplb {
namespace {

using test::Rng;

LoadMatrix random_load(Rng& rng, int layers, int experts) {
  LoadMatrix w(layers, experts);
  for (int l = 0; l < layers; ++l) {
    for (int e = 0; e < experts; ++e) {
      // Skewed, with exact ties and zeros now and then.
      const double u = rng.unit();
      w(l, e) = u < 0.1 ? 0.0 : (u < 0.2 ? 5.0 : 1000.0 * u * u * u + 0.1 * rng.unit());
    }
  }
  return w;
}

// Relabels `p` by a random node permutation, GPU permutations within nodes and slot permutations
// within GPUs (what keep_slots may undo).
Placement permuted(const Placement& p, const Topology& topo, Rng& rng) {
  Placement out = p;
  const int spg = topo.slots_per_gpu(), gpn = topo.gpus_per_node();
  auto shuffle = [&](std::vector<int>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[static_cast<std::size_t>(rng.uniform(0, static_cast<int>(i) - 1))]);
    }
  };
  for (int l = 0; l < p.num_layers(); ++l) {
    std::vector<int> nodes(static_cast<std::size_t>(topo.num_nodes));
    std::iota(nodes.begin(), nodes.end(), 0);
    shuffle(nodes);
    for (int k = 0; k < topo.num_nodes; ++k) {
      std::vector<int> gpus(static_cast<std::size_t>(gpn));
      std::iota(gpus.begin(), gpus.end(), 0);
      shuffle(gpus);
      for (int i = 0; i < gpn; ++i) {
        std::vector<int> slots(static_cast<std::size_t>(spg));
        std::iota(slots.begin(), slots.end(), 0);
        shuffle(slots);
        const int from_gpu = k * gpn + i;
        const int to_gpu =
            nodes[static_cast<std::size_t>(k)] * gpn + gpus[static_cast<std::size_t>(i)];
        for (int j = 0; j < spg; ++j) {
          out.phy2log(l, to_gpu * spg + slots[static_cast<std::size_t>(j)]) =
              p.phy2log(l, from_gpu * spg + j);
        }
      }
    }
  }
  return out;
}

std::vector<std::vector<int>> gpu_multisets(const Placement& p, int layer, const Topology& topo) {
  std::vector<std::vector<int>> out;
  const int spg = topo.slots_per_gpu();
  for (int q = 0; q < topo.num_gpus; ++q) {
    std::vector<int> m;
    for (int j = 0; j < spg; ++j) m.push_back(p.phy2log(layer, q * spg + j));
    std::sort(m.begin(), m.end());
    out.push_back(m);
  }
  return out;
}

void expect_same_metrics(const Metrics& a, const Metrics& b) {
  for (const MetricInfo& info : metric_infos()) {
    EXPECT_EQ(metric_value(a, info.name), metric_value(b, info.name)) << info.name;
  }
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    EXPECT_EQ(a.layers[l].max_gpu_load, b.layers[l].max_gpu_load) << "layer " << l;
    EXPECT_EQ(a.layers[l].mean_gpu_load, b.layers[l].mean_gpu_load) << "layer " << l;
  }
}

Placement hand(std::initializer_list<int> slots, int experts) {
  Placement p;
  p.phy2log.resize(1, static_cast<Eigen::Index>(slots.size()));
  Eigen::Index c = 0;
  for (int v : slots) p.phy2log(0, c++) = v;
  p.logcnt = count_replicas(p.phy2log, experts);
  p.policy = Policy::kGlobal;
  return p;
}

TEST(KeepSlots, PermutedCopyOfAPlanGivesZeroMoves) {
  const Topology topo{8, 1, 1, 2};
  const Placement previous = hand({0, 1, 2, 3, 4, 5, 6, 7}, 8);
  const Placement fresh = hand({7, 6, 5, 4, 3, 2, 1, 0}, 8);  // GPUs swapped, slots reversed
  EXPECT_EQ(replicas_moved(previous, fresh), 8);
  const Placement kept = keep_slots(fresh, previous, topo);
  EXPECT_EQ(kept.phy2log, previous.phy2log);
  EXPECT_EQ(replicas_moved(previous, kept), 0);
}

TEST(KeepSlots, SharedExpertsStayInTheirSlots) {
  // 2 nodes x 1 GPU x 3 slots. Fresh node 1 {0, 1, 5} best replaces previous node 0 {1, 0, 2}
  // (keeps 0 and 1), fresh node 0 {4, 3, 2} replaces previous node 1 {3, 4, 0} (keeps 3, 4).
  const Topology topo{6, 1, 2, 2};
  const Placement previous = hand({1, 0, 2, 3, 4, 0}, 6);
  const Placement fresh = hand({4, 3, 2, 0, 1, 5}, 6);
  const Placement kept = keep_slots(fresh, previous, topo);
  const IndexMatrix expected = hand({1, 0, 5, 3, 4, 2}, 6).phy2log;
  EXPECT_EQ(kept.phy2log, expected);
  EXPECT_EQ(replicas_moved(previous, kept), 2);
  EXPECT_EQ(replicas_moved(previous, fresh), 5);  // slot 2 holds expert 2 in both
}

TEST(KeepSlots, PreviousOfAnotherShapeIsAnInputError) {
  const Topology topo{4, 1, 1, 2};
  const Placement a = hand({0, 1, 2, 3}, 4);
  Placement two = a;
  two.phy2log.conservativeResize(2, 4);
  two.phy2log.row(1) = a.phy2log.row(0);
  two.logcnt = count_replicas(two.phy2log, 4);
  EXPECT_THROW(keep_slots(a, two, topo), InputError);
  EXPECT_THROW(keep_slots(a, hand({0, 1, 2, 0}, 3), topo), InputError);
  EXPECT_THROW(keep_slots(a, a, Topology{8, 1, 1, 2}), InputError);
}

// Minimum moves over every node permutation x GPU permutation within nodes (slots within a GPU
// contribute spg - overlap, which the in-GPU arrangement attains).
long brute_force_moves(const Placement& fresh, const Placement& previous, const Topology& topo) {
  const int spg = topo.slots_per_gpu(), gpn = topo.gpus_per_node(), N = topo.num_nodes;
  auto cost = [&](int l, int a, int b) {
    std::vector<int> x, y;
    for (int j = 0; j < spg; ++j) {
      x.push_back(fresh.phy2log(l, a * spg + j));
      y.push_back(previous.phy2log(l, b * spg + j));
    }
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    std::vector<int> common;
    std::set_intersection(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(common));
    return static_cast<long>(spg) - static_cast<long>(common.size());
  };
  long total = 0;
  for (int l = 0; l < fresh.num_layers(); ++l) {
    std::vector<int> nodes(static_cast<std::size_t>(N));
    std::iota(nodes.begin(), nodes.end(), 0);
    long best = -1;
    do {
      long c = 0;
      for (int A = 0; A < N; ++A) {
        std::vector<int> g(static_cast<std::size_t>(gpn));
        std::iota(g.begin(), g.end(), 0);
        long inner = -1;
        do {
          long s = 0;
          for (int i = 0; i < gpn; ++i) {
            s += cost(l, A * gpn + i,
                      nodes[static_cast<std::size_t>(A)] * gpn + g[static_cast<std::size_t>(i)]);
          }
          if (inner < 0 || s < inner) inner = s;
        } while (std::next_permutation(g.begin(), g.end()));
        c += inner;
      }
      if (best < 0 || c < best) best = c;
    } while (std::next_permutation(nodes.begin(), nodes.end()));
    total += best;
  }
  return total;
}

TEST(KeepSlots, OptimalAgainstBruteForceOnTinyTopologies) {
  Rng rng(11);
  const Topology topos[] = {{12, 3, 3, 6}, {12, 2, 2, 4}, {8, 1, 1, 4}, {12, 1, 1, 3}};
  const auto strategy = make_strategy("deepseek");
  for (int trial = 0; trial < 40; ++trial) {
    const Topology& topo = topos[trial % 4];
    const int experts = 6;
    const LoadMatrix a = random_load(rng, 3, experts), b = random_load(rng, 3, experts);
    const Placement fresh = strategy.product->plan(a, topo);
    const Placement previous = strategy.product->plan(b, topo);
    const Placement kept = keep_slots(fresh, previous, topo);
    EXPECT_EQ(replicas_moved(previous, kept), brute_force_moves(fresh, previous, topo))
        << "trial " << trial;
  }
}

struct Shape {
  Topology topo;
  int experts;
};

// Every registered strategy (presets, compose default, and global-policy variants), random loads
// on hierarchical and global topologies: keep_slots never changes a metric bit (on the planning
// load and on an unrelated load), never raises moves, keeps every GPU's multiset, passes the
// validator; previous == fresh gives 0 moves; a relabeled copy gives 0 moves.
TEST(KeepSlots, PropertiesOverEveryRegisteredStrategy) {
  const Shape shapes[] = {
      {{32, 4, 2, 8}, 16}, {{24, 2, 2, 4}, 12}, {{40, 5, 1, 8}, 20}, {{36, 3, 3, 6}, 18}};
  std::vector<std::string> specs;
  for (const auto& entry : strategy_registry().entries()) {
    // exact refuses these sizes (its limits); tests/strategies/test_joint_exact.cpp covers it.
    if (entry.name == "exact") continue;
    specs.push_back(entry.name);
    specs.push_back(entry.name + ":policy=global");
  }
  Rng rng(2026);
  int checked = 0;
  for (const std::string& spec : specs) {
    const auto strategy = make_strategy(spec);
    for (const Shape& shape : shapes) {
      for (int trial = 0; trial < 3; ++trial) {
        const Topology& topo = shape.topo;
        const LoadMatrix a = random_load(rng, 3, shape.experts);
        const LoadMatrix b = random_load(rng, 3, shape.experts);
        const LoadMatrix c = random_load(rng, 3, shape.experts);
        const Placement fresh = strategy.product->plan(a, topo);
        const Placement previous = strategy.product->plan(b, topo);
        const Placement kept = keep_slots(fresh, previous, topo);
        const std::string what = spec + " on " + topo.to_string();
        ASSERT_FALSE(find_violation(kept, topo, 3, shape.experts).has_value()) << what;
        EXPECT_EQ(kept.logcnt, fresh.logcnt) << what;
        EXPECT_EQ(kept.policy, fresh.policy) << what;
        expect_same_metrics(compute_metrics(a, kept, topo), compute_metrics(a, fresh, topo));
        expect_same_metrics(compute_metrics(c, kept, topo), compute_metrics(c, fresh, topo));
        EXPECT_LE(replicas_moved(previous, kept), replicas_moved(previous, fresh)) << what;
        for (int l = 0; l < 3; ++l) {
          auto x = gpu_multisets(kept, l, topo), y = gpu_multisets(fresh, l, topo);
          std::sort(x.begin(), x.end());
          std::sort(y.begin(), y.end());
          EXPECT_EQ(x, y) << what << " layer " << l;
        }
        EXPECT_EQ(replicas_moved(fresh, keep_slots(fresh, fresh, topo)), 0) << what;
        EXPECT_EQ(keep_slots(fresh, fresh, topo).phy2log, fresh.phy2log) << what;
        EXPECT_EQ(replicas_moved(fresh, keep_slots(permuted(fresh, topo, rng), fresh, topo)), 0)
            << what;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 7 * 2 * 4 * 3);
}

}  // namespace
}  // namespace eplb
