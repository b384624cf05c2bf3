// Core model: topology rules, spec grammar, validator rules, metrics on hand-computed cases.
#include <gtest/gtest.h>

#include <string>

#include "eplb/error.hpp"
#include "eplb/metrics.hpp"
#include "eplb/spec.hpp"
#include "eplb/types.hpp"
#include "eplb/validator.hpp"
#include "test_matrices.hpp"

namespace eplb {
namespace {

// Runs `fn`, expects InputError-derived `E` whose message contains `needle`.
template <class E, class Fn>
void expect_error(Fn fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

using test::matrix;

IndexMatrix rows(std::initializer_list<std::initializer_list<int>> values) {
  return matrix<IndexMatrix>(values);
}

LoadMatrix loads(std::initializer_list<std::initializer_list<double>> values) {
  return matrix<LoadMatrix>(values);
}

// ---- Topology -----------------------------------------------------------------------------------

TEST(Topology, AcceptsTheV3Configuration) {
  const Topology t{288, 8, 4, 32};
  EXPECT_NO_THROW(t.validate(256));
  EXPECT_EQ(t.resolve(Policy::kAuto), Policy::kHierarchical);
  EXPECT_EQ(t.slots_per_gpu(), 9);
  EXPECT_EQ(t.gpu_of_slot(17), 1);
  EXPECT_EQ(t.node_of_gpu(31), 3);
}

TEST(Topology, EachRuleHasItsOwnMessage) {
  expect_error<TopologyError>([] { Topology{0, 1, 1, 1}.validate(4); }, "num_replicas must be > 0");
  expect_error<TopologyError>([] { Topology{8, 0, 1, 1}.validate(4); }, "num_groups must be > 0");
  expect_error<TopologyError>([] { Topology{8, 1, 0, 1}.validate(4); }, "num_nodes must be > 0");
  expect_error<TopologyError>([] { Topology{8, 1, 1, 0}.validate(4); }, "num_gpus must be > 0");
  expect_error<TopologyError>([] { Topology{3, 1, 1, 1}.validate(4); }, "replicas >= experts");
  expect_error<TopologyError>([] { Topology{10, 1, 1, 4}.validate(4); }, "replicas % gpus == 0");
  expect_error<TopologyError>([] { Topology{12, 1, 4, 6}.validate(4); }, "gpus % nodes == 0");
  expect_error<TopologyError>([] { Topology{8, 3, 1, 2}.validate(4); }, "experts % groups == 0");
  expect_error<TopologyError>([] { Topology{8, 1, 1, 1}.validate(0); }, "at least one expert");
}

TEST(Topology, PolicyResolution) {
  const Topology uneven{12, 3, 2, 4};  // 3 groups over 2 nodes
  EXPECT_EQ(uneven.resolve(Policy::kAuto), Policy::kGlobal);
  EXPECT_EQ(uneven.resolve(Policy::kGlobal), Policy::kGlobal);
  expect_error<TopologyError>([&] { uneven.resolve(Policy::kHierarchical); },
                              "groups % nodes == 0");
}

// ---- Spec grammar -------------------------------------------------------------------------------

TEST(Spec, ParsesNameAndParameters) {
  const Spec s = parse_spec("seed003:gpu_steps=3,sl_div=2c+1");
  EXPECT_EQ(s.name, "seed003");
  ASSERT_EQ(s.params.size(), 2U);
  EXPECT_EQ(s.params[0].key, "gpu_steps");
  EXPECT_EQ(s.params[1].value, "2c+1");
  EXPECT_EQ(s.to_string(), "seed003:gpu_steps=3,sl_div=2c+1");
  EXPECT_EQ(parse_spec("file:path=/a/b:c.csv").params[0].value, "/a/b:c.csv");
}

TEST(Spec, RejectsMalformedSpecsWithPosition) {
  for (const char* bad :
       {"", "Deep", "a:", "a:b", "a:b=", "a:b=1,", "a b", "a:b=1 ", ":b=1", "a:b==1", "a;b=1"}) {
    SCOPED_TRACE(bad);
    expect_error<InputError>([&] { parse_spec(bad); }, "bad spec");
  }
  expect_error<InputError>([] { parse_spec("a:b=1,,c=2"); }, "character 7");
}

TEST(Spec, ResolvesTypesRangesAndDefaults) {
  const std::vector<ParamDesc> descs = {
      int_param("steps", 2, 0, 8, "steps"), double_param("tail", 0.1, 0.0, 1.0, "tail"),
      bool_param("adapt", false, "adapt"), choice_param("mode", "a", {"a", "b"}, "mode")};
  const ParamValues v = resolve_params(descs, {{"tail", "0.250"}, {"adapt", "on"}}, "test 'x'");
  EXPECT_EQ(v.get_int("steps"), 2);
  EXPECT_EQ(v.get_double("tail"), 0.25);
  EXPECT_EQ(v.text("tail"), "0.25");
  EXPECT_TRUE(v.get_bool("adapt"));
  EXPECT_EQ(v.get_string("mode"), "a");
  EXPECT_EQ(canonical_spec("x", v), "x:tail=0.25,adapt=true");

  expect_error<InputError>(
      [&] {
        resolve_params(descs, {{"stpes", "1"}}, "test 'x'");
      },
      "unknown parameter 'stpes'; valid parameters: steps, tail, adapt, mode");
  expect_error<InputError>(
      [&] {
        resolve_params(descs, {{"steps", "9"}}, "test 'x'");
      },
      "out of range");
  expect_error<InputError>(
      [&] {
        resolve_params(descs, {{"steps", "1.5"}}, "test 'x'");
      },
      "not an integer");
  expect_error<InputError>(
      [&] {
        resolve_params(descs, {{"tail", "nan"}}, "test 'x'");
      },
      "not a finite number");
  expect_error<InputError>([&] { resolve_params(descs, {{"mode", "c"}}, "test 'x'"); }, "{a, b}");
  expect_error<InputError>(
      [&] {
        resolve_params(descs, {{"steps", "1"}, {"steps", "2"}}, "test 'x'");
      },
      "twice");
}

TEST(Spec, RegistryRefusesDuplicatesAndListsNamesOfUnknowns) {
  Registry<int> registry("thing");
  registry.add(
      {"one", "preset", "doc", {}, [](const ParamValues&) { return std::make_unique<int>(1); }});
  EXPECT_THROW(registry.add({"one", "preset", "doc", {}, nullptr}), Error);
  EXPECT_THROW(registry.add({"Bad-Name", "preset", "doc", {}, nullptr}), Error);
  EXPECT_THROW(
      registry.add({"bad_default", "preset", "doc", {int_param("k", 5, 0, 1, "k")}, nullptr}),
      Error);
  registry.add(
      {"two", "preset", "doc", {}, [](const ParamValues&) { return std::make_unique<int>(2); }});
  EXPECT_EQ(*registry.create("two").product, 2);
  expect_error<InputError>([&] { registry.create("three"); },
                           "unknown thing 'three'; valid names: one, two");
}

// ---- Validator: one test per rule ---------------------------------------------------------------

class ValidatorRules : public ::testing::Test {
 protected:
  // 4 experts in 2 groups of 2, 2 nodes, 4 GPUs, 8 slots (4 per node, 2 per GPU).
  const Topology topo{8, 2, 2, 4};
  Placement valid() const {
    Placement p;
    p.policy = Policy::kHierarchical;
    p.phy2log = rows({{0, 1, 0, 1, 2, 3, 3, 2}});
    p.logcnt = rows({{2, 2, 2, 2}});
    return p;
  }
  void expect_rule(const Placement& p, const std::string& rule, int layer, int slot, int expert) {
    const auto v = find_violation(p, topo, 1, 4);
    ASSERT_TRUE(v.has_value()) << "expected rule " << rule;
    EXPECT_EQ(v->rule, rule);
    EXPECT_EQ(v->layer, layer);
    EXPECT_EQ(v->slot, slot);
    EXPECT_EQ(v->expert, expert);
    EXPECT_NE(v->message.find("rule " + rule), std::string::npos) << v->message;
  }
};

TEST_F(ValidatorRules, AcceptsAValidPlacement) {
  EXPECT_FALSE(find_violation(valid(), topo, 1, 4).has_value());
  EXPECT_NO_THROW(require_valid(valid(), topo, 1, 4, "test"));
}

TEST_F(ValidatorRules, Shape) {
  Placement p = valid();
  p.phy2log = rows({{0, 1, 0, 1, 2, 3, 3}});
  expect_rule(p, "shape", -1, -1, -1);
  p = valid();
  p.logcnt = rows({{2, 2, 2}});
  expect_rule(p, "shape", -1, -1, -1);
  p = valid();
  p.policy = Policy::kAuto;
  expect_rule(p, "shape", -1, -1, -1);
}

TEST_F(ValidatorRules, IdRange) {
  Placement p = valid();
  p.phy2log(0, 5) = 4;
  expect_rule(p, "id_range", 0, 5, 4);
  p.phy2log(0, 5) = -1;
  expect_rule(p, "id_range", 0, 5, -1);
}

TEST_F(ValidatorRules, MinOneReplica) {
  Placement p = valid();
  p.phy2log = rows({{0, 1, 0, 1, 2, 2, 2, 2}});  // expert 3 lost its replicas
  p.logcnt = rows({{2, 2, 4, 0}});
  expect_rule(p, "min_one_replica", 0, -1, 3);
}

TEST_F(ValidatorRules, LogcntMismatch) {
  Placement p = valid();
  p.logcnt = rows({{2, 2, 3, 1}});
  expect_rule(p, "logcnt_mismatch", 0, -1, 2);
}

TEST_F(ValidatorRules, GroupLocalitySplitGroup) {
  Placement p = valid();
  p.phy2log = rows({{0, 1, 0, 2, 1, 3, 3, 2}});  // expert 2 (group 1) in node 0's range
  expect_rule(p, "group_locality", 0, 4, 1);
  // The same placement is fine under the global policy, which has no groups.
  p.policy = Policy::kGlobal;
  EXPECT_FALSE(find_violation(p, topo, 1, 4).has_value());
}

TEST_F(ValidatorRules, GroupLocalityGroupsPerNode) {
  const Topology four_groups{8, 4, 2, 4};  // 4 groups of 1 expert, 2 per node
  Placement p;
  p.policy = Policy::kHierarchical;
  p.phy2log = rows({{0, 1, 2, 2, 3, 3, 3, 3}});  // node 0 hosts 3 groups, node 1 hosts 1
  p.logcnt = rows({{1, 1, 2, 4}});
  const auto v = find_violation(p, four_groups, 1, 4);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->rule, "group_locality");
  EXPECT_NE(v->message.find("node 0 hosts 3 groups, expected 2"), std::string::npos) << v->message;
}

TEST_F(ValidatorRules, RequireValidNamesTheStrategy) {
  Placement p = valid();
  p.logcnt(0, 0) = 1;
  expect_error<PlacementError>(
      [&] { require_valid(p, topo, 1, 4, "seed003"); },
      "seed003: invalid placement (layer 0, expert 0): rule logcnt_mismatch");
}

TEST(Placement, Log2PhyIsPaddedWithMinusOne) {
  Placement p;
  p.phy2log = rows({{0, 1, 0, 2}});
  p.logcnt = rows({{2, 1, 1}});
  const Log2Phy l2p = p.log2phy();
  ASSERT_EQ(l2p.max_count, 2);
  EXPECT_EQ(l2p.at(0, 0, 0), 0);
  EXPECT_EQ(l2p.at(0, 0, 1), 2);
  EXPECT_EQ(l2p.at(0, 1, 0), 1);
  EXPECT_EQ(l2p.at(0, 1, 1), -1);
  EXPECT_EQ(l2p.at(0, 2, 0), 3);
  EXPECT_TRUE(count_replicas(p.phy2log, 3) == p.logcnt);
}

// ---- Metrics on hand-computed cases -------------------------------------------------------------

TEST(Metrics, RatioOfSumsDiffersFromMeanOfRatios) {
  // Layer 0: GPU loads 6 and 2 (mean 4, max 6). Layer 1: 1 and 1 (mean 1, max 1).
  const LoadMatrix w = loads({{6, 2}, {1, 1}});
  Placement p;
  p.policy = Policy::kGlobal;
  p.phy2log = rows({{0, 1}, {0, 1}});
  p.logcnt = rows({{1, 1}, {1, 1}});
  const Metrics m = compute_metrics(w, p, Topology{2, 1, 1, 2});
  EXPECT_DOUBLE_EQ(m.balancedness, 5.0 / 7.0);  // (4 + 1) / (6 + 1)
  EXPECT_DOUBLE_EQ(m.balancedness_layer_mean, (4.0 / 6.0 + 1.0) / 2.0);
  EXPECT_NE(m.balancedness, m.balancedness_layer_mean);
  EXPECT_DOUBLE_EQ(m.worst_layer_balancedness, 4.0 / 6.0);
  EXPECT_EQ(m.worst_layer, 0);
  ASSERT_EQ(m.layers.size(), 2U);
  EXPECT_DOUBLE_EQ(m.layers[0].mean_gpu_load, 4.0);
  EXPECT_DOUBLE_EQ(m.layers[0].max_gpu_load, 6.0);
  EXPECT_EQ(m.zero_load_layers, 0);
}

TEST(Metrics, SlotNodeAndDuplicateReplicas) {
  // 2 experts, 4 slots, 2 GPUs of 2 slots, 2 nodes of 1 GPU. Both replicas of each expert on one
  // GPU: slot loads 3 3 1 1, GPU loads 6 2.
  const LoadMatrix w = loads({{6, 2}});
  Placement p;
  p.policy = Policy::kGlobal;
  p.phy2log = rows({{0, 0, 1, 1}});
  p.logcnt = rows({{2, 2}});
  const Topology topo{4, 1, 2, 2};
  Metrics m = compute_metrics(w, p, topo);
  EXPECT_DOUBLE_EQ(m.balancedness, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.balancedness_slot, 2.0 / 3.0);  // mean 2, max 3
  EXPECT_DOUBLE_EQ(m.balancedness_node, 4.0 / 6.0);  // one GPU per node
  EXPECT_EQ(m.duplicate_replicas, 4);                // 2 + 2 co-located replicas

  p.phy2log = rows({{0, 1, 0, 1}});  // spread: GPU loads 4 4
  m = compute_metrics(w, p, topo);
  EXPECT_DOUBLE_EQ(m.balancedness, 1.0);
  EXPECT_DOUBLE_EQ(m.balancedness_slot, 2.0 / 3.0);  // slot loads do not depend on placement
  EXPECT_EQ(m.duplicate_replicas, 0);
}

TEST(Metrics, NodeLevelSumsGpusOfANode) {
  // 4 experts on 4 GPUs, 2 nodes of 2 GPUs: GPU loads 4 1 | 2 3 -> node loads 5 5.
  const LoadMatrix w = loads({{4, 1, 2, 3}});
  Placement p;
  p.policy = Policy::kGlobal;
  p.phy2log = rows({{0, 1, 2, 3}});
  p.logcnt = rows({{1, 1, 1, 1}});
  const Metrics m = compute_metrics(w, p, Topology{4, 1, 2, 4});
  EXPECT_DOUBLE_EQ(m.balancedness, 2.5 / 4.0);
  EXPECT_DOUBLE_EQ(m.balancedness_node, 1.0);
}

TEST(Metrics, ZeroLoadLayerCountsAsOne) {
  const LoadMatrix w = loads({{0, 0}, {3, 1}});
  Placement p;
  p.policy = Policy::kGlobal;
  p.phy2log = rows({{0, 1}, {0, 1}});
  p.logcnt = rows({{1, 1}, {1, 1}});
  const Metrics m = compute_metrics(w, p, Topology{2, 1, 1, 2});
  EXPECT_EQ(m.zero_load_layers, 1);
  EXPECT_DOUBLE_EQ(m.layers[0].balancedness, 1.0);
  EXPECT_DOUBLE_EQ(m.balancedness, 2.0 / 3.0);  // the zero layer adds 0 to both sums
  EXPECT_DOUBLE_EQ(m.balancedness_layer_mean, (1.0 + 2.0 / 3.0) / 2.0);
  EXPECT_EQ(m.worst_layer, 1);

  const Metrics all_zero =
      compute_metrics(loads({{0, 0}}), Placement{rows({{0, 1}}), rows({{1, 1}}), Policy::kGlobal},
                      Topology{2, 1, 1, 2});
  EXPECT_DOUBLE_EQ(all_zero.balancedness, 1.0);
}

TEST(Metrics, RejectsShapeMismatch) {
  Placement p{rows({{0, 1}}), rows({{1, 1}}), Policy::kGlobal};
  EXPECT_THROW(compute_metrics(loads({{1, 2}, {3, 4}}), p, Topology{2, 1, 1, 2}), Error);
  EXPECT_THROW(metric_value(Metrics{}, "balance"), Error);
}

}  // namespace
}  // namespace eplb
