// Locality metrics (core/include/eplb/locality.hpp) and the order-independent sums of
// compute_metrics that keep_slots relies on, hand-checked.
#include <gtest/gtest.h>

#include "eplb/locality.hpp"
#include "eplb/metrics.hpp"

namespace eplb {
namespace {

Placement placement_of(std::initializer_list<int> slots, int experts, Policy policy) {
  Placement p;
  p.phy2log.resize(1, static_cast<Eigen::Index>(slots.size()));
  Eigen::Index c = 0;
  for (int v : slots) p.phy2log(0, c++) = v;
  p.logcnt = count_replicas(p.phy2log, experts);
  p.policy = policy;
  return p;
}

LoadMatrix row(std::initializer_list<double> values) {
  LoadMatrix w(1, static_cast<Eigen::Index>(values.size()));
  Eigen::Index c = 0;
  for (double v : values) w(0, c++) = v;
  return w;
}

TEST(Locality, HierarchicalPlanKeepsEveryGroupOnOneNode) {
  const Topology topo{4, 2, 2, 2};  // groups {0,1}, {2,3}; one GPU of 2 slots per node
  const Metrics m = compute_metrics(row({1, 2, 3, 4}),
                                    placement_of({0, 1, 2, 3}, 4, Policy::kHierarchical), topo);
  EXPECT_EQ(m.group_node_span, 1.0);
  EXPECT_EQ(m.off_node_load_share, 0.0);
}

TEST(Locality, SpreadGroupsHandChecked) {
  const Topology topo{4, 2, 2, 2};
  // node 0 holds experts 0, 2; node 1 holds 1, 3. Group 0: 1 on node 0, 2 on node 1 -> home 1,
  // off 1. Group 1: 3 on node 0, 4 on node 1 -> off 3. Share (1 + 3) / 10.
  const Metrics m =
      compute_metrics(row({1, 2, 3, 4}), placement_of({0, 2, 1, 3}, 4, Policy::kGlobal), topo);
  EXPECT_EQ(m.group_node_span, 2.0);
  EXPECT_DOUBLE_EQ(m.off_node_load_share, 0.4);
  // Replicas split a load: expert 0 on both nodes (R = 6, 3 slots per node).
  const Topology six{6, 2, 2, 2};
  const Locality l = compute_locality(row({2, 2, 3, 4}),
                                      placement_of({0, 1, 2, 0, 3, 3}, 4, Policy::kGlobal), six);
  // group 0: node 0 = 1 + 2 = 3, node 1 = 1 -> off 1; group 1: node 0 = 3, node 1 = 4 -> off 3
  EXPECT_EQ(l.group_node_span, 2.0);
  EXPECT_DOUBLE_EQ(l.off_node_load_share, 4.0 / 11.0);
  EXPECT_EQ(
      compute_locality(row({0, 0, 0, 0}), placement_of({0, 2, 1, 3}, 4, Policy::kGlobal), topo)
          .off_node_load_share,
      0.0);
}

TEST(Locality, MetricsAreIndependentOfSlotOrderBitForBit) {
  // Summing in slot order would not be: (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1.
  volatile double a = 0.1, b = 0.2, c = 0.3;
  ASSERT_NE((a + b) + c, (c + b) + a);
  const Topology topo{6, 1, 2, 2};
  const LoadMatrix w = row({0.1, 0.2, 0.3, 0.7, 0.11, 0.13});
  const Metrics m1 = compute_metrics(w, placement_of({0, 1, 2, 3, 4, 5}, 6, Policy::kGlobal), topo);
  const Metrics m2 = compute_metrics(w, placement_of({5, 3, 4, 2, 1, 0}, 6, Policy::kGlobal), topo);
  EXPECT_EQ(m1.layers[0].max_gpu_load, m2.layers[0].max_gpu_load);
  EXPECT_EQ(m1.layers[0].mean_gpu_load, m2.layers[0].mean_gpu_load);
  EXPECT_EQ(m1.balancedness, m2.balancedness);
  EXPECT_EQ(m1.balancedness_node, m2.balancedness_node);
  EXPECT_EQ(m1.balancedness_slot, m2.balancedness_slot);
}

}  // namespace
}  // namespace eplb
