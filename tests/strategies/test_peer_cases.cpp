// Peer cases: the EPLB expectations other engines test against, typed by hand from their public
// tests with a provenance comment per case. Exact expectations (phy2log, logcnt, log2phy) hold
// for `deepseek` (eplb.py); the invariants the peers assert (shapes, ranges, counts, "the hottest
// expert gets more replicas") hold for every registered strategy and are checked for all of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "matrices.hpp"

namespace eplb {
namespace {

LoadMatrix weights(std::initializer_list<std::initializer_list<double>> rows) {
  return test::loads(rows);
}

IndexMatrix indices(std::initializer_list<std::initializer_list<int>> rows) {
  return test::rows(rows);
}

// Every registered strategy, plus the float32 reproduction of eplb.py.
std::vector<std::string> every_strategy() {
  std::vector<std::string> specs;
  for (const auto& entry : strategy_registry().entries()) specs.push_back(entry.name);
  specs.emplace_back("deepseek:precision=float32");
  return specs;
}

// Plans, validates and checks the invariants every peer test asserts: phy2log in range, every
// expert at least once, logcnt rows summing to R (the validator covers all three).
Placement plan_valid(const std::string& spec, const LoadMatrix& w, const Topology& topo) {
  const auto made = make_strategy(spec);
  const Placement p = made.product->plan(w, topo);
  require_valid(p, topo, static_cast<int>(w.rows()), static_cast<int>(w.cols()), spec);
  for (Eigen::Index l = 0; l < w.rows(); ++l) EXPECT_EQ(p.logcnt.row(l).sum(), topo.num_replicas);
  return p;
}

// ---- DeepSeek README example
// --------------------------------------------------------------------- deepseek-ai/EPLB, README.md
// "Example" (also vllm-project/vllm tests/distributed/ test_eplb_algo.py::test_basic_rebalance,
// which types the same output).
const LoadMatrix kReadmeWeight = weights({{90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86},
                                          {20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27}});
const Topology kReadmeTopology{16, 4, 2, 8};

TEST(PeerCases, DeepSeekReadmeExampleExactInBothPrecisions) {
  const IndexMatrix phy2log = indices({{5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1},
                                       {7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1}});
  const IndexMatrix logcnt =
      indices({{1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 2, 1}, {1, 2, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1}});
  for (const char* spec : {"deepseek", "deepseek:precision=float32"}) {
    const Placement p = plan_valid(spec, kReadmeWeight, kReadmeTopology);
    EXPECT_EQ(p.phy2log, phy2log) << spec;
    EXPECT_EQ(p.logcnt, logcnt) << spec;
    // eplb.py's log2phy lists an expert's slots by replica rank: expert 1 of layer 0 has its
    // original (rank 0) in slot 15 and its redundant copy (rank 1) in slot 13.
    const Log2Phy l2p = p.log2phy();
    EXPECT_EQ(l2p.max_count, 2);
    EXPECT_EQ(l2p.at(0, 1, 0), 15) << spec;
    EXPECT_EQ(l2p.at(0, 1, 1), 13) << spec;
    // Ascending slot order stays available as an option.
    const Log2Phy ascending = p.log2phy(true);
    EXPECT_EQ(ascending.at(0, 1, 0), 13);
    EXPECT_EQ(ascending.at(0, 1, 1), 15);
    // Every expert with one replica lists it first and pads with -1.
    EXPECT_EQ(l2p.at(0, 0, 0), 12);
    EXPECT_EQ(l2p.at(0, 0, 1), -1);
  }
}

TEST(PeerCases, DeepSeekReadmeExampleInvariantsForEveryStrategy) {
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p = plan_valid(spec, kReadmeWeight, kReadmeTopology);
    EXPECT_EQ(p.policy, Policy::kHierarchical);
  }
}

// ---- vLLM: tests/distributed/test_eplb_algo.py (vllm-project/vllm) ------------------------------

// test_single_gpu_case: every logical expert mapped, R == E on one GPU.
TEST(PeerCases, VllmSingleGpuCase) {
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p = plan_valid(spec, weights({{10, 20, 30, 40}}), Topology{4, 1, 1, 1});
    const std::set<int> experts(p.phy2log.data(), p.phy2log.data() + p.phy2log.size());
    EXPECT_EQ(experts, (std::set<int>{0, 1, 2, 3}));
  }
}

// test_equal_weights: R == E, so every expert has exactly one replica.
TEST(PeerCases, VllmEqualWeights) {
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p =
        plan_valid(spec, weights({{50, 50, 50, 50, 50, 50, 50, 50}}), Topology{8, 2, 2, 4});
    EXPECT_TRUE((p.logcnt.array() == 1).all());
  }
}

// test_extreme_weight_imbalance: the hot expert 0 gets more replicas than expert 1.
// joint and exact choose counts for the GPU peak, not D'Hondt's replica peak, and may give
// expert 1 as many replicas when the GPU peak is the same, so the rule binds eplb.py's family only.
TEST(PeerCases, VllmExtremeWeightImbalance) {
  for (const std::string& spec : every_strategy()) {
    if (spec == "joint" || spec == "exact") continue;
    SCOPED_TRACE(spec);
    const Placement p =
        plan_valid(spec, weights({{1000, 1, 1, 1, 1, 1, 1, 1}}), Topology{12, 2, 2, 4});
    EXPECT_GT(p.logcnt(0, 0), p.logcnt(0, 1));
  }
}

// test_multiple_layers: 3 layers (ascending, descending, equal), each sums to R.
TEST(PeerCases, VllmMultipleLayers) {
  const LoadMatrix w =
      weights({{10, 20, 30, 40, 50, 60}, {60, 50, 40, 30, 20, 10}, {25, 25, 25, 25, 25, 25}});
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p = plan_valid(spec, w, Topology{8, 2, 2, 4});
    EXPECT_EQ(p.phy2log.rows(), 3);
    EXPECT_EQ(p.logcnt.cols(), 6);
  }
}

// test_parameter_validation: 4 experts, 3 groups, 2 nodes, 4 GPUs, 8 replicas "falls back to
// global load balancing" (E % G != 0 binds only the hierarchical policy); 7 replicas on 4 GPUs
// is an error.
TEST(PeerCases, VllmParameterValidation) {
  const LoadMatrix w = weights({{10, 20, 30, 40}});
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p = plan_valid(spec, w, Topology{8, 3, 2, 4});
    EXPECT_EQ(p.policy, Policy::kGlobal);
    EXPECT_THROW(make_strategy(spec).product->plan(w, Topology{7, 2, 2, 4}), TopologyError);
  }
  EXPECT_THROW(make_strategy("deepseek:policy=hierarchical").product->plan(w, Topology{8, 3, 2, 4}),
               TopologyError);
}

// test_small_scale_hierarchical: the heaviest expert (6, load 300) gets >= 2 replicas.
TEST(PeerCases, VllmSmallScaleHierarchical) {
  const LoadMatrix w = weights({{100, 50, 200, 75, 150, 25, 300, 80}});
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p = plan_valid(spec, w, Topology{12, 4, 2, 4});
    EXPECT_GE(p.logcnt(0, 6), 2);
  }
}

// test_global_load_balance_fallback: 3 groups over 2 nodes use the global policy.
TEST(PeerCases, VllmGlobalLoadBalanceFallback) {
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p = plan_valid(spec, weights({{10, 20, 30, 40, 50, 60}}), Topology{8, 3, 2, 4});
    EXPECT_EQ(p.policy, Policy::kGlobal);
  }
}

// test_device_compatibility (the CPU half): 4 experts, 6 replicas, 2 groups, 1 node, 2 GPUs.
TEST(PeerCases, VllmDeviceCompatibilityShapes) {
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement p = plan_valid(spec, weights({{10, 20, 30, 40}}), Topology{6, 2, 1, 2});
    EXPECT_EQ(p.phy2log.cols(), 6);
    EXPECT_EQ(p.logcnt.cols(), 4);
  }
}

// test_additional_cases: 16 experts on 24 replicas, 8 groups, 4 nodes, 8 GPUs; and two layers of
// decreasing / increasing loads on 10 replicas, 3 groups, 1 node, 2 GPUs, where the heaviest
// expert of each layer gets >= 2 replicas.
TEST(PeerCases, VllmAdditionalCases) {
  const LoadMatrix w1 =
      weights({{50, 100, 75, 120, 90, 60, 80, 110, 40, 70, 95, 85, 65, 55, 45, 35}});
  const LoadMatrix w2 = weights({{200, 150, 100, 50, 25, 12}, {12, 25, 50, 100, 150, 200}});
  for (const std::string& spec : every_strategy()) {
    // joint and exact choose counts for the GPU peak (see VllmExtremeWeightImbalance).
    if (spec == "joint" || spec == "exact") continue;
    SCOPED_TRACE(spec);
    plan_valid(spec, w1, Topology{24, 8, 4, 8});
    const Placement p = plan_valid(spec, w2, Topology{10, 3, 1, 2});
    EXPECT_GE(p.logcnt(0, 0), 2);
    EXPECT_GE(p.logcnt(1, 5), 2);
  }
}
// Not typed: test_compute_logical_maps_with_negative_indices (vLLM's map builder for phy2log
// with unused slots, -1; eplb-lab never leaves a slot unused) and the intra-GPU rearrangement
// tests (vLLM's migration helper, not the algorithm).

// ---- SGLang
// ----------------------------------------------------------------------------------------
// sgl-project/sglang ships eplb.py as python/sglang/srt/eplb/eplb_algorithms/deepseek.py and has
// no algorithm-level unit test with expected outputs (test/srt/test_eplb.py is end to end). Its
// JAX port sgl-project/sglang-jax tests the same algorithm (TestEPLB: deepseek rebalance basic /
// hierarchical / wrapper) on np.random.rand weights, asserting shapes only; typed here with fixed
// non-integer weights in (0, 1) and the same configurations.
TEST(PeerCases, SglangJaxBasicAndHierarchical) {
  const LoadMatrix basic =
      weights({{0.548814, 0.715189, 0.602763, 0.544883}, {0.423655, 0.645894, 0.437587, 0.891773}});
  const LoadMatrix hier =
      weights({{0.963663, 0.383442, 0.791725, 0.528895, 0.568045, 0.925597, 0.071036, 0.087129},
               {0.020218, 0.832620, 0.778157, 0.870012, 0.978618, 0.799159, 0.461479, 0.780529}});
  for (const std::string& spec : every_strategy()) {
    SCOPED_TRACE(spec);
    const Placement a = plan_valid(spec, basic, Topology{4, 1, 1, 2});  // R == E, 2 GPUs
    EXPECT_TRUE((a.logcnt.array() == 1).all());
    const Placement b = plan_valid(spec, hier, Topology{8, 4, 2, 4});
    EXPECT_EQ(b.policy, Policy::kHierarchical);
    EXPECT_EQ(b.log2phy().max_count, 1);
  }
}

}  // namespace
}  // namespace eplb
