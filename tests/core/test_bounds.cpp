// The balancedness bounds (eplb/bounds.hpp): known values of each bound on small cases, the
// hierarchical enumeration against its relaxation, and validity against the exact optimum on
// random tiny instances (tests/strategies/test_joint_exact.cpp runs the strategies against it).
#include <gtest/gtest.h>

#include <random>

#include "eplb/bounds.hpp"
#include "eplb/metrics.hpp"
#include "eplb/strategy.hpp"

namespace eplb {
namespace {

LayerBound flat(std::vector<double> w, int replicas, int gpus) {
  return flat_bound(w, replicas, gpus);
}

TEST(Bounds, MeanBindsWhenSplittingSuffices) {
  // W=(6,5,3), R=4, P=2: the mean 7 is not ruled out by any level (the optimum is 7.5).
  const LayerBound b = flat({6, 5, 3}, 4, 2);
  EXPECT_EQ(b.kind, BoundKind::kMean);
  EXPECT_DOUBLE_EQ(b.max_load, 7.0);
  EXPECT_DOUBLE_EQ(b.ratio, 1.0);
}

TEST(Bounds, ReplicaBoundIsDHondtOptimum) {
  // No spare replica: the largest expert is a whole replica.
  const LayerBound b = flat({10, 1, 1, 1}, 4, 2);
  EXPECT_EQ(b.kind, BoundKind::kReplica);
  EXPECT_NEAR(b.max_load, 10.0, 1e-9);
  // One spare replica: the 12 split in two gives t* = 6 above the mean 16/3 (the optimum is 7).
  const LayerBound c = flat({12, 1, 1, 1, 1}, 6, 3);
  EXPECT_EQ(c.kind, BoundKind::kReplica);
  EXPECT_NEAR(c.max_load, 6.0, 1e-9);
  EXPECT_LE(c.max_load, 6.0);
}

TEST(Bounds, PigeonholeRulesOutThreeLargeOnTwoGpus) {
  // Three replicas of 5 on 2 GPUs of 2 slots: two share a GPU, so the max is at least 10.
  const LayerBound b = flat({5, 5, 5, 1}, 4, 2);
  EXPECT_EQ(b.kind, BoundKind::kPigeonhole);
  EXPECT_NEAR(b.max_load, 10.0, 1e-9);
  EXPECT_LE(b.max_load, 10.0);  // never above the truth: {5,5},{5,1} reaches 10
  EXPECT_NEAR(b.ratio, 0.8, 1e-9);
}

TEST(Bounds, ZeroLayerIsOne) {
  const LayerBound b = flat({0, 0, 0, 0}, 4, 2);
  EXPECT_DOUBLE_EQ(b.ratio, 1.0);
  EXPECT_DOUBLE_EQ(b.max_load, 0.0);
}

TEST(Bounds, AssignmentCounts) {
  EXPECT_EQ(count_group_assignments(8, 4), 105);
  EXPECT_EQ(count_group_assignments(8, 2), 35);
  EXPECT_EQ(count_group_assignments(4, 4), 1);
  EXPECT_EQ(count_group_assignments(16, 8), 2027025);
}

TEST(Bounds, HierarchicalPairsHeavyWithLight) {
  // Groups of one expert, 4 groups on 2 nodes, 1 GPU and 2 slots per node: {9,1} | {5,5} is
  // the best split (max 10), better than {9,5} | ... .
  const std::vector<double> w = {9, 5, 5, 1};
  const Topology topo{4, 4, 2, 2};
  const LayerBound b = layer_bound(w, topo, Policy::kHierarchical);
  EXPECT_EQ(b.kind, BoundKind::kNodeAssignment);
  EXPECT_NEAR(b.max_load, 10.0, 1e-12);
  ASSERT_EQ(b.group_node.size(), 4U);
  EXPECT_EQ(b.group_node[0], b.group_node[3]);
  EXPECT_EQ(b.group_node[1], b.group_node[2]);
  // The global policy may split experts over nodes: the mean 10 as well here, and never more.
  EXPECT_LE(layer_bound(w, topo, Policy::kGlobal).max_load, b.max_load);
}

TEST(Bounds, RelaxationIsValidAndWeaker) {
  // 16 groups on 8 nodes: 2,027,025 assignments, above the enumeration limit.
  std::mt19937_64 rng(5);
  std::vector<double> w(32);
  for (double& x : w) x = static_cast<double>(rng() % 1000);
  const Topology big{64, 16, 8, 16};
  const LayerBound relaxed = layer_bound(w, big, Policy::kHierarchical);
  EXPECT_EQ(relaxed.kind, BoundKind::kNodeRelaxation);
  EXPECT_TRUE(relaxed.group_node.empty());
  EXPECT_GE(relaxed.max_load, flat_bound(w, 64, 16).max_load);
  // Any hierarchical plan scores at or below it.
  LoadMatrix load(1, 32);
  for (int e = 0; e < 32; ++e) load(0, e) = w[static_cast<std::size_t>(e)];
  const Placement p = make_strategy("deepseek").product->plan(load, big);
  const Metrics m = compute_metrics(load, p, big);
  EXPECT_LE(m.balancedness, m.balancedness_bound * (1 + 1e-12));
}

TEST(Bounds, MetricsCarryBoundAndGap) {
  LoadMatrix load(2, 3);
  load << 6, 5, 3, 5, 5, 5;
  const Topology topo{4, 1, 1, 2};
  const Placement p = make_strategy("deepseek").product->plan(load, topo);
  const Metrics m = compute_metrics(load, p, topo);
  // Layer 0: mean 7, bound 7; layer 1: three 5s and one spare on 2 GPUs of 2 slots: mean 7.5,
  // replicas {5,5,2.5,2.5} pack to 7.5, so the bound is 7.5 as well.
  EXPECT_DOUBLE_EQ(m.layers[0].bound, 1.0);
  EXPECT_NEAR(m.balancedness_bound, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.gap, m.balancedness_bound - m.balancedness);
  EXPECT_GT(m.gap, 0.0);  // deepseek's D'Hondt counts give 8 on layer 0
  EXPECT_DOUBLE_EQ(metric_value(m, "gap"), m.gap);
  EXPECT_DOUBLE_EQ(metric_value(m, "balancedness_bound"), m.balancedness_bound);
}

}  // namespace
}  // namespace eplb
