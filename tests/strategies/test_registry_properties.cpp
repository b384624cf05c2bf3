// Registry-wide properties (issue acceptance): every registered strategy, the presets with one
// parameter overridden and a sample of `compose:` combinations covering every component, both
// policies and non-default parameters, plan >= 1,000 random instances over random valid
// topologies; every placement passes the validator and planning twice gives the same placement.
// Also: canonical specs round-trip, and bad specs fail with InputErrors that say what is valid.
// At the end, the measured findings of COMPOSITION.md 5.3 (suite `Finding`).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/metrics.hpp"
#include "eplb/pipeline.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"
#include "splitmix_rng.hpp"
#include "golden.hpp"
#include "splitmix_rng.hpp"

namespace eplb {
namespace {

using test::Rng;

struct Instance {
  std::string what;
  Topology topo;
  LoadMatrix w;
};

// Topology shapes the issue asks for; each instance picks one in turn.
enum class Shape { kHier, kOneNode, kGlobal, kOneGpu, kNoRedundancy, kManyNodes, kV3 };
constexpr Shape kShapes[] = {Shape::kHier,   Shape::kOneNode,      Shape::kGlobal,
                             Shape::kOneGpu, Shape::kNoRedundancy, Shape::kManyNodes};

// Returns the topology and sets `experts`. Every result satisfies Topology::validate.
Topology random_topology(Rng& rng, Shape shape, int& experts) {
  int nodes = 1, gpn = 1, gs = 1, gpus_per_node = 1, groups = 0;
  switch (shape) {
    case Shape::kHier:
      nodes = rng.uniform(2, 4);
      gpn = rng.uniform(1, 3);
      gs = rng.uniform(1, 4);
      gpus_per_node = rng.uniform(1, 3);
      break;
    case Shape::kOneNode:
      gpn = rng.uniform(1, 4);
      gs = rng.uniform(1, 6);
      gpus_per_node = rng.uniform(1, 4);
      break;
    case Shape::kGlobal:  // num_groups % num_nodes != 0
      nodes = rng.uniform(2, 4);
      groups = nodes * rng.uniform(0, 2) + rng.uniform(1, nodes - 1);
      gs = rng.uniform(1, 4);
      gpus_per_node = rng.uniform(1, 3);
      break;
    case Shape::kOneGpu:
      gpn = rng.uniform(1, 3);
      gs = rng.uniform(1, 6);
      break;
    case Shape::kNoRedundancy: {
      nodes = rng.uniform(1, 3);
      gpn = rng.uniform(1, 3);
      gs = rng.uniform(1, 4);
      // GPUs per node must divide the experts per node so that R == E works.
      const int epn = gpn * gs;
      do {
        gpus_per_node = rng.uniform(1, epn);
      } while (epn % gpus_per_node != 0);
      break;
    }
    case Shape::kManyNodes:
      nodes = 8;
      gpn = rng.uniform(1, 2);
      gs = rng.uniform(1, 3);
      gpus_per_node = rng.uniform(1, 2);
      break;
    case Shape::kV3:
      experts = 256;
      return Topology{288, 8, 4, 32};
  }
  if (groups == 0) groups = nodes * gpn;
  experts = groups * gs;
  const int gpus = nodes * gpus_per_node;
  int replicas = experts;
  if (shape != Shape::kNoRedundancy) {
    const int per_gpu = (experts + gpus - 1) / gpus + rng.uniform(0, 2);
    replicas = gpus * per_gpu;
  }
  return Topology{replicas, groups, nodes, gpus};
}

// Row kinds the issue asks for, plus ordinary random rows.
void fill_row(Rng& rng, int kind, double* row, int n) {
  switch (kind) {
    case 0:  // zero-load row
      std::fill(row, row + n, 0.0);
      break;
    case 1:  // all equal
      std::fill(row, row + n, static_cast<double>(rng.uniform(1, 1000)));
      break;
    case 2: {  // one hot expert
      const double rest = rng.uniform(0, 1) == 0 ? 0.0 : 1.0;
      std::fill(row, row + n, rest);
      row[rng.uniform(0, n - 1)] = 1000.0 + rng.uniform(0, 100000);
      break;
    }
    case 3:  // small integers: many ties
      for (int j = 0; j < n; ++j) row[j] = rng.uniform(0, 9);
      break;
    case 4: {  // Zipf-like doubles on a random permutation
      const double s = 0.6 + rng.unit();
      for (int j = 0; j < n; ++j) row[j] = 1e5 / std::pow(j + 1.0, s);
      for (int j = n - 1; j > 0; --j) std::swap(row[j], row[rng.uniform(0, j)]);
      break;
    }
    case 5:  // two values
      for (int j = 0; j < n; ++j) row[j] = rng.uniform(0, 1) == 0 ? 3.0 : 7.5;
      break;
    default:  // distinct-ish doubles
      for (int j = 0; j < n; ++j) row[j] = rng.unit() * 1000.0;
      break;
  }
}

std::vector<Instance> random_instances(int count, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Instance> out;
  for (int i = 0; i < count; ++i) {
    // Two V3-sized instances keep the large configuration covered without slowing the suite.
    const Shape shape = (i == 7 || i == 501)
                            ? Shape::kV3
                            : kShapes[static_cast<std::size_t>(i) % std::size(kShapes)];
    Instance inst;
    int experts = 0;
    inst.topo = random_topology(rng, shape, experts);
    const int layers = rng.uniform(1, 3);
    inst.w.resize(layers, experts);
    std::string kinds;
    for (int l = 0; l < layers; ++l) {
      const int kind = rng.uniform(0, 7);
      fill_row(rng, kind, inst.w.row(l).data(), experts);
      kinds += std::to_string(kind);
    }
    inst.what = "instance " + std::to_string(i) + " E=" + std::to_string(experts) + " " +
                inst.topo.to_string() + " row kinds " + kinds;
    out.push_back(std::move(inst));
  }
  return out;
}

// The presets with one parameter overridden, and compose combinations that together use every
// component (replicators, fix-ups, layouts, packers, refiners) with non-default parameters under
// both policies.
const std::vector<std::string> kExtraSpecs = {
    "deepseek:policy=global",
    "seed000:exchange=false",
    "seed001:adapt_threshold=0.1",
    "seed002:micro_swap=false",
    "seed003:gpu_steps=3",
    "seed004:gpu_k=3",
    "compose:replicate=waterfill,wf_iters=12,gpu_pack=diverse,micro_swap=false",
    "compose:replicate=hybrid_tail,tail=0.25,tail_round=floor,sl_div=2c+1,fixup=simple,"
    "node_refine=nearest,node_steps=3",
    "compose:replicate=peak_tail,chooser=dsh,tail=0.3,fixup=top2,gpu_pack=near_tie,"
    "gpu_refine=adaptive_swap,gpu_steps=1,gpu_k=3,lights=3,swap_threshold=0.05",
    "compose:policy=global,replicate=peak_tail,fixup=top2_corrected,fixup_second=false,"
    "fixup_threshold=0.3,gpu_refine=nearest,adapt=true,adapt_threshold=0.1",
    "compose:policy=global,replicate=waterfill,fixup=masked,layout=column,gpu_pack=diverse,"
    "gpu_refine=k_swap,gpu_k=1",
    "compose:node_pack=diverse,node_refine=adaptive_swap,exchange=false,node_k=1,"
    "gpu_pack=near_tie,gpu_refine=k_swap,gpu_steps=5",
    "compose:node_pack=near_tie,node_refine=k_swap,node_k=3,replicate=hybrid_tail,tail=0,"
    "tail_min=0,layout=logical",
    "compose:layout=logical,gpu_refine=adaptive_swap,gpu_steps=0,swap_threshold=0",
    "compose:policy=hierarchical,replicate=peak_tail,tail=1,tail_min=3,chooser=dsh,"
    "gpu_pack=diverse,gpu_refine=nearest,gpu_steps=1",
    "compose:policy=global,node_pack=near_tie,gpu_pack=near_tie,replicate=waterfill,wf_iters=1",
    "compose:replicate=hybrid_tail,tail=0.5,fixup=top2,layout=column,gpu_refine=adaptive_swap,"
    "lights=1,gpu_k=1",
};

std::vector<std::string> all_specs() {
  std::vector<std::string> specs;
  for (const auto& entry : strategy_registry().entries()) specs.push_back(entry.name);
  specs.insert(specs.end(), kExtraSpecs.begin(), kExtraSpecs.end());
  return specs;
}

TEST(RegistryProperties, EveryStrategyIsValidAndDeterministicOnRandomInstances) {
  const std::vector<Instance> instances = random_instances(1200, 20250611);
  int failures = 0;
  for (const std::string& spec : all_specs()) {
    int plans = 0;
    const auto made = make_strategy(spec);
    const bool forced_hier = made.values.get_string("policy") == "hierarchical";
    for (const Instance& inst : instances) {
      const int layers = static_cast<int>(inst.w.rows());
      const int experts = static_cast<int>(inst.w.cols());
      ASSERT_NO_THROW(inst.topo.validate(experts)) << inst.what;
      if (forced_hier && inst.topo.num_groups % inst.topo.num_nodes != 0) {
        EXPECT_THROW(made.product->plan(inst.w, inst.topo), TopologyError) << spec;
        continue;
      }
      Placement a;
      try {
        a = made.product->plan(inst.w, inst.topo);
      } catch (const InputError& e) {
        // `exact` refuses instances beyond its limits, saying so; nothing else may refuse.
        ASSERT_EQ(spec, "exact") << e.what();
        ASSERT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
        continue;
      }
      const Placement b = made.product->plan(inst.w, inst.topo);
      ++plans;
      const auto violation = find_violation(a, inst.topo, layers, experts);
      const bool same = a.phy2log == b.phy2log && a.logcnt == b.logcnt && a.policy == b.policy &&
                        a.phyrank == b.phyrank;
      if (violation || !same) {
        ADD_FAILURE() << spec << " on " << inst.what << ": "
                      << (violation ? violation->message : "two plans differ");
        if (++failures >= 10) return;
      }
      if (made.values.get_string("policy") == "global") {
        EXPECT_EQ(a.policy, Policy::kGlobal);
      }
    }
    // Specs that force the hierarchical policy skip the global-only topologies (1 in 6); `exact`
    // refuses the larger instances.
    EXPECT_GE(plans, spec == "exact" ? 200 : 1000) << spec;
  }
}

// Issue 8 item 6: extreme magnitudes the loaders accept (every layer's sum and the sum over layers
// at most kMaxLoadSum, a quarter of the double range: layer sums from 1e300 up to 4.49e307, and
// subnormal loads) give valid, deterministic plans and only finite metrics, for every strategy.
// Larger sums (up to 1.8e308) are refused by check_load_matrix, which the last test checks.
std::vector<Instance> extreme_instances() {
  std::vector<Instance> out = random_instances(90, 20260101);
  Rng rng(77);
  const double targets[] = {1e300, 1e306, 1e307, kMaxLoadSum};
  for (std::size_t i = 0; i < out.size(); ++i) {
    LoadMatrix& w = out[i].w;
    const double layers = static_cast<double>(w.rows());
    for (Eigen::Index l = 0; l < w.rows(); ++l) {
      auto row = w.row(l);
      const double sum = row.sum();
      const double max = row.maxCoeff();
      if (sum <= 0.0) continue;
      switch (i % 3) {
        case 0:  // the layer sums to a huge value, the layers together below DBL_MAX
          row *= targets[rng.uniform(0, 3)] / layers / sum * (1 - 0x1p-40);
          break;
        case 1:  // every load subnormal (below 2.2e-308)
          row *= 1e-310 / max;
          break;
        default:  // one huge load beside subnormal and zero ones
          row *= 1e-312 / max;
          row(rng.uniform(0, static_cast<int>(w.cols()) - 1)) = 4.4e307 / layers;
          break;
      }
    }
    out[i].what += " (extreme " + std::to_string(i % 3) + ")";
  }
  return out;
}

TEST(RegistryProperties, ExtremeMagnitudesGiveValidPlansAndFiniteMetrics) {
  const std::vector<Instance> instances = extreme_instances();
  std::vector<std::string> specs = all_specs();
  specs.emplace_back("deepseek:precision=float32");
  int failures = 0;
  for (const std::string& spec : specs) {
    // exact refuses most of these sizes (its limits); the overflow test below runs it.
    if (spec.rfind("exact", 0) == 0) continue;
    const auto made = make_strategy(spec);
    const bool forced_hier = made.values.get_string("policy") == "hierarchical";
    for (const Instance& inst : instances) {
      if (forced_hier && inst.topo.num_groups % inst.topo.num_nodes != 0) continue;
      ASSERT_NO_THROW(check_load_matrix(inst.w, inst.what));  // what the loaders let through
      const int layers = static_cast<int>(inst.w.rows());
      const int experts = static_cast<int>(inst.w.cols());
      const Placement a = made.product->plan(inst.w, inst.topo);
      const Placement b = made.product->plan(inst.w, inst.topo);
      std::string problem;
      if (const auto v = find_violation(a, inst.topo, layers, experts)) problem = v->message;
      if (problem.empty() && !(a.phy2log == b.phy2log && a.logcnt == b.logcnt))
        problem = "two plans differ";
      if (problem.empty()) {
        const Metrics m = compute_metrics(inst.w, a, inst.topo);
        for (const MetricInfo& info : metric_infos()) {
          if (!std::isfinite(metric_value(m, info.name)))
            problem = std::string(info.name) + " not finite";
        }
        for (const LayerMetrics& lm : m.layers) {
          if (!std::isfinite(lm.balancedness) || !std::isfinite(lm.max_gpu_load))
            problem = "a per-layer metric is not finite";
        }
      }
      if (!problem.empty()) {
        ADD_FAILURE() << spec << " on " << inst.what << ": " << problem;
        if (++failures >= 10) return;
      }
    }
  }
}

TEST(RegistryProperties, SumsBeyondAQuarterOfTheDoubleRangeAreRefused) {
  for (const double v : {4.5e307, 1e308, 1.7976931348623157e308}) {
    LoadMatrix w(1, 3);
    w << 0.0, v, 0.0;
    EXPECT_THROW(check_load_matrix(w, "x"), InputError) << v;
  }
  LoadMatrix two(2, 1);
  two << 3e307, 3e307;  // each layer fine, the layers together not
  EXPECT_THROW(check_load_matrix(two, "x"), InputError);
}

// The audit's crash (heap-buffer-overflow in the near-tie packer): loads whose pack sums overflow
// to inf. Loaders refuse them now, but a strategy handed one must still not corrupt memory.
TEST(RegistryProperties, OverflowingPackSumsDoNotCorruptMemory) {
  LoadMatrix w(1, 2);
  w << 1e308, 1e308;
  std::vector<std::string> specs = all_specs();
  specs.emplace_back("deepseek:precision=float32");
  for (const std::string& spec : specs) {
    const auto made = make_strategy(spec);
    for (const Topology& topo :
         {Topology{2, 2, 1, 1}, Topology{4, 2, 1, 2}, Topology{4, 1, 1, 1}}) {
      if (made.values.get_string("policy") == "hierarchical" && topo.num_groups % topo.num_nodes)
        continue;
      if (spec.rfind("exact", 0) == 0) {
        // exact scores every candidate: with no finite GPU load it refuses, by name.
        EXPECT_THROW(made.product->plan(w, topo), InputError) << topo.to_string();
        continue;
      }
      const Placement p = made.product->plan(w, topo);
      EXPECT_FALSE(find_violation(p, topo, 1, 2).has_value()) << spec << " " << topo.to_string();
    }
  }
}

// A value of `d` other than its default that passes validation.
std::string other_value(const ParamDesc& d) {
  switch (d.type) {
    case ParamType::kBool:
      return d.default_value == "true" ? "false" : "true";
    case ParamType::kChoice:
      return d.choices.front() == d.default_value ? d.choices.back() : d.choices.front();
    case ParamType::kInt:
      return std::to_string(std::stoi(d.default_value) == static_cast<int>(d.min)
                                ? static_cast<int>(d.min) + 1
                                : static_cast<int>(d.min));
    case ParamType::kDouble:
      return format_double(std::stod(d.default_value) == d.min ? (d.min + d.max) / 2 : d.min);
    case ParamType::kString:
      return d.default_value + "x";
  }
  return d.default_value;
}

void expect_round_trip(const std::string& spec) {
  const auto& registry = strategy_registry();
  const auto made = registry.create(spec);
  const auto again = registry.create(made.canonical);
  EXPECT_EQ(again.canonical, made.canonical) << spec;
  EXPECT_EQ(again.values.items(), made.values.items()) << spec;
  EXPECT_EQ(registry.canonical(spec), made.canonical) << spec;
}

TEST(RegistryProperties, CanonicalFormsRoundTrip) {
  for (const std::string& spec : all_specs()) expect_round_trip(spec);
  // Every preset with each single parameter overridden: either it round-trips, or the registry
  // refuses it as having no effect in that preset, and says which parameter.
  int overridden = 0;
  for (const auto& entry : strategy_registry().entries()) {
    for (const ParamDesc& d : entry.params) {
      const std::string spec = entry.name + ":" + d.key + "=" + other_value(d);
      try {
        expect_round_trip(spec);
        EXPECT_NE(strategy_registry().canonical(spec), entry.name) << spec;
        ++overridden;
      } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find(d.key), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_GE(overridden, 40);
  // Defaults vanish and the order of parameters does not matter.
  EXPECT_EQ(strategy_registry().canonical("seed000:exchange=true,lights=2"), "seed000");
  EXPECT_EQ(strategy_registry().canonical("compose:gpu_pack=diverse,replicate=waterfill"),
            strategy_registry().canonical("compose:replicate=waterfill,gpu_pack=diverse"));
}

void expect_input_error(const std::string& spec, const std::vector<std::string>& needles) {
  try {
    make_strategy(spec);
    ADD_FAILURE() << spec << " was accepted";
  } catch (const InputError& e) {
    const std::string message = e.what();
    for (const std::string& needle : needles) {
      EXPECT_NE(message.find(needle), std::string::npos)
          << spec << ": '" << needle << "' missing from: " << message;
    }
  }
}

TEST(RegistryProperties, UnknownNamesAndKeysListTheValidOnes) {
  std::vector<std::string> names;
  for (const auto& entry : strategy_registry().entries()) names.push_back(entry.name);
  ASSERT_GE(names.size(), 7u);
  names.push_back("sead000");
  expect_input_error("sead000", names);
  for (const auto& entry : strategy_registry().entries()) {
    std::vector<std::string> keys = {"gpu_stpes"};
    for (const ParamDesc& d : entry.params) keys.push_back(d.key);
    expect_input_error(entry.name + ":gpu_stpes=3", keys);
  }
}

TEST(RegistryProperties, OutOfRangeValuesNameTheParameter) {
  expect_input_error("compose:wf_iters=0", {"wf_iters", "0"});
  expect_input_error("seed002:wf_iters=1001", {"wf_iters", "1001"});
  expect_input_error("seed000:lights=0", {"lights"});
  expect_input_error("seed000:gpu_k=0", {"gpu_k"});
  expect_input_error("seed000:gpu_steps=-1", {"gpu_steps"});
  expect_input_error("compose:tail=1.5", {"tail", "1.5"});
  expect_input_error("compose:gpu_pack=random", {"gpu_pack", "random", "near_tie", "diverse"});
  expect_input_error("seed000:exchange=maybe", {"exchange", "maybe"});
  expect_input_error("seed000:swap_threshold=-0.5", {"swap_threshold"});
}

TEST(RegistryProperties, RegisteringANameTwiceThrows) {
  Registry<Strategy> local("strategy");
  for (const auto& entry : strategy_registry().entries()) local.add(entry);
  EXPECT_EQ(local.entries().size(), strategy_registry().entries().size());
  const auto copy = strategy_registry().find("seed002");
  EXPECT_THROW(local.add(copy), Error);
  auto renamed = copy;
  renamed.name = "seed002_copy";
  local.add(renamed);
  EXPECT_EQ(local.create("seed002_copy:micro_swap=false").canonical,
            "seed002_copy:micro_swap=false");
}

// ---- Findings (COMPOSITION.md 5.3) --------------------------------------------------------------
// Measured facts about the seeds, asserted at the values measured so that a change shows up.

const std::vector<test::GoldenInstance>& golden_weights() {
  // Every variant directory holds the same weights; only `expected` differs.
  static const std::vector<test::GoldenInstance> all = test::load_golden("baseline");
  return all;
}

bool in_sets(const test::GoldenInstance& g, const std::vector<std::string>& sets) {
  return sets.empty() || std::find(sets.begin(), sets.end(), g.set) != sets.end();
}

struct Agreement {
  int equal = 0;
  int total = 0;
};

// Layers on which two specs give the same logcnt (and the same phy2log if `placement`).
Agreement agreement(const std::string& spec_a, const std::string& spec_b, const LoadMatrix& w,
                    const Topology& topo, bool placement = false) {
  const Placement a = make_strategy(spec_a).product->plan(w, topo);
  const Placement b = make_strategy(spec_b).product->plan(w, topo);
  Agreement r;
  for (Eigen::Index l = 0; l < w.rows(); ++l) {
    ++r.total;
    if (a.logcnt.row(l) == b.logcnt.row(l) && (!placement || a.phy2log.row(l) == b.phy2log.row(l)))
      ++r.equal;
  }
  return r;
}

Agreement golden_agreement(const std::string& a, const std::string& b,
                           const std::vector<std::string>& sets, bool placement = false) {
  Agreement total;
  for (const auto& g : golden_weights()) {
    if (!in_sets(g, sets)) continue;
    const Agreement r = agreement(a, b, g.weight, g.topology, placement);
    total.equal += r.equal;
    total.total += r.total;
  }
  return total;
}

// Integer Zipf(s) loads on a random permutation per layer.
LoadMatrix zipf_rows(int layers, int experts, double s, std::uint64_t seed) {
  Rng rng(seed);
  LoadMatrix w(layers, experts);
  for (int l = 0; l < layers; ++l) {
    for (int j = 0; j < experts; ++j) w(l, j) = std::round(1e6 / std::pow(j + 1.0, s));
    for (int j = experts - 1; j > 0; --j) std::swap(w(l, j), w(l, rng.uniform(0, j)));
  }
  return w;
}

const Topology kV3{288, 8, 4, 32};
constexpr double kZipfExponents[] = {0.6, 0.8, 1.0, 1.2, 1.5, 2.0};

TEST(Finding, Seed002WaterfillGivesDhondtCountsOnGoldenV3AndZipf) {
  const Agreement r = golden_agreement("seed002", "deepseek", {"v3_like", "zipf"});
  EXPECT_EQ(r.total, 108);  // 58 + 10 v3_like layers, 5 x 8 zipf layers
  EXPECT_EQ(r.equal, r.total);
}

TEST(Finding, Seed002WaterfillGivesDhondtCountsOnRandomZipfRows) {
  for (const double s : kZipfExponents) {
    const Agreement r = agreement("seed002", "deepseek", zipf_rows(50, 256, s, 7), kV3);
    EXPECT_EQ(r.equal, r.total) << "zipf exponent " << s;
  }
}

// True if some node of `p` (in its policy) holds only experts of zero load in layer l.
bool has_all_zero_node(const Placement& p, const LoadMatrix& w, const Topology& topo,
                       Eigen::Index l) {
  const int nodes = p.policy == Policy::kHierarchical ? topo.num_nodes : 1;
  const int ppn = topo.num_replicas / nodes;
  for (int n = 0; n < nodes; ++n) {
    bool zero = true;
    for (int s = n * ppn; s < (n + 1) * ppn; ++s) zero = zero && w(l, p.phy2log(l, s)) == 0.0;
    if (zero) return true;
  }
  return false;
}

TEST(Finding, Seed002DiffersFromDhondtOnlyOnAllZeroNodeRows) {
  // On an all-zero node row water-filling spreads the replicas evenly (P/n each, the first P%n
  // one more) while D'Hondt's argmax of 0/c hands every extra slot to the node's first expert.
  // Measured on the public golden weights: 7 of 256 layers differ, all in the `ties` set, and
  // each of them has an all-zero node.
  const auto seed002 = make_strategy("seed002").product;
  const auto deepseek = make_strategy("deepseek").product;
  int differ = 0;
  for (const auto& g : golden_weights()) {
    const Placement a = seed002->plan(g.weight, g.topology);
    const Placement b = deepseek->plan(g.weight, g.topology);
    for (Eigen::Index l = 0; l < g.weight.rows(); ++l) {
      if (a.logcnt.row(l) == b.logcnt.row(l)) continue;
      ++differ;
      EXPECT_EQ(g.set, "ties") << g.id << " layer " << l;
      EXPECT_TRUE(has_all_zero_node(a, g.weight, g.topology, l)) << g.id << " layer " << l;
    }
  }
  EXPECT_EQ(differ, 7);
}

TEST(Finding, Seed000AndSeed004GiveTheSameCountsOnGoldenV3AndZipf) {
  const Agreement counts = golden_agreement("seed000", "seed004", {"v3_like", "zipf"});
  EXPECT_EQ(counts.total, 108);
  EXPECT_EQ(counts.equal, counts.total);
  // The placements are not identical: phy2log differs on 2 of those 108 layers (measured).
  const Agreement placements = golden_agreement("seed000", "seed004", {"v3_like", "zipf"}, true);
  EXPECT_EQ(placements.equal, 106);
  // Over every public set the counts differ on exactly one layer (small/e64_r96_g16_n4_p16,
  // where the D/S/H chooser and the plain Sainte-Lague tail pick different experts).
  const Agreement all = golden_agreement("seed000", "seed004", {});
  EXPECT_EQ(all.total - all.equal, 1);
  for (const double s : kZipfExponents) {
    const Agreement r = agreement("seed000", "seed004", zipf_rows(50, 256, s, 11), kV3);
    EXPECT_EQ(r.equal, r.total) << "zipf exponent " << s;
  }
}

TEST(Finding, Seed000TwoByTwoExchangeIsNeverTakenAfterItsGreedy) {
  // Turning the exchange off changes no placement: every golden layer and random Zipf layers.
  const Agreement golden = golden_agreement("seed000", "seed000:exchange=false", {}, true);
  EXPECT_GT(golden.total, 200);
  EXPECT_EQ(golden.equal, golden.total);
  for (const double s : kZipfExponents) {
    const Agreement r =
        agreement("seed000", "seed000:exchange=false", zipf_rows(50, 256, s, 13), kV3, true);
    EXPECT_EQ(r.equal, r.total) << "zipf exponent " << s;
  }
}

}  // namespace
}  // namespace eplb
