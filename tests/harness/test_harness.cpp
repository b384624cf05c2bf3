// The experiment harness: plan expansion, protocols, runner, results store, CSV, merge, report.
// Workloads are tiny and hand-made (an injected loader), so every test runs in milliseconds.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>

#include "cli_run.hpp"
#include "eplb/error.hpp"
#include "eplb/metrics.hpp"
#include "eplb/reporting/analysis.hpp"
#include "eplb/reporting/compare.hpp"
#include "eplb/reporting/plots.hpp"
#include "eplb/reporting/summary.hpp"
#include "eplb/running/experiment.hpp"
#include "eplb/storage/csv.hpp"
#include "eplb/storage/files.hpp"
#include "eplb/storage/results.hpp"
#include "eplb/strategy.hpp"
#include "figure_redraw.hpp"
#include "quiet_harness.hpp"

namespace eplb {
namespace {

namespace fs = std::filesystem;

// Test workloads by spec:
//   swap3            1 layer x 2 experts, steps [3,1], [1,3], [1,1] (hand-checked protocols)
//   tiny[:seed=S][,steps=T]   2 layers x 8 experts, T steps (default 2) of LCG loads from S
//   single           like tiny with one step
//   "odd"            a spec with a quote and commas, to exercise CSV quoting
WorkloadData test_loader(std::string_view text) {
  WorkloadData data;
  Workload& w = data.workload;
  if (text == "odd") {
    w.spec = R"(odd:"label, with, commas")";
    w.steps.push_back(LoadMatrix::Constant(2, 8, 1.0));
    w.steps.back()(0, 0) = 5.0;
    data.params = {{"label", R"("a,b")"}};
    return data;
  }
  const Spec spec = parse_spec(text);
  w.spec = spec.to_string();
  if (spec.name == "swap3") {
    for (const auto& [a, b] : {std::pair{3.0, 1.0}, {1.0, 3.0}, {1.0, 1.0}}) {
      LoadMatrix m(1, 2);
      m << a, b;
      w.steps.push_back(m);
    }
    return data;
  }
  if (spec.name != "tiny" && spec.name != "single") {
    throw InputError(fmt::format("test loader: unknown workload '{}'", text));
  }
  long seed = 0;
  int steps = spec.name == "single" ? 1 : 2;
  for (const SpecParam& p : spec.params) {
    if (p.key == "seed")
      seed = std::stol(p.value);
    else if (p.key == "steps")
      steps = std::stoi(p.value);
    else
      throw InputError(fmt::format("test loader: unknown parameter '{}'", p.key));
  }
  data.params = {{"seed", std::to_string(seed)}, {"steps", std::to_string(steps)}};
  unsigned long state = 12345u + static_cast<unsigned long>(seed) * 7919u;
  for (int t = 0; t < steps; ++t) {
    LoadMatrix m(2, 8);
    for (Eigen::Index l = 0; l < m.rows(); ++l) {
      for (Eigen::Index e = 0; e < m.cols(); ++e) {
        state = state * 6364136223846793005ul + 1442695040888963407ul;
        m(l, e) = static_cast<double>((state >> 33) % 1000 + 1);
      }
    }
    w.steps.push_back(m);
  }
  return data;
}

std::string tiny_plan(const std::string& extra = "", int repeats = 0) {
  return fmt::format(R"({{"timing": {{"warmup": 0, "repeats": {}}}, )", repeats) + R"(
    "strategies": ["deepseek", {"spec": "compose:gpu_refine=k_swap", "grid": {"gpu_steps": [1, 3]}}],
    "workloads": [{"spec": "tiny", "seeds": [1, 2]}, "tiny:steps=3"],
    "topologies": [{"replicas": 12, "groups": 4, "nodes": 2, "gpus": 4},
                   {"replicas": 8, "groups": 1, "nodes": 1, "gpus": 2}])" +
         extra + "}";
}

using test::expect_input_error;
using test::quiet_config;

// ---- CSV -----------------------------------------------------------------------------------

TEST(HarnessCsv, RoundTripsCommasQuotesNewlinesAndSpaces) {
  CsvTable t;
  t.header = {"spec", "note", "empty", "x"};
  t.rows = {{"seed003:gpu_steps=3,tail=0.2", R"(say "hi")", "", " padded "},
            {"a\nb", R"("")", ",", "plain"},
            {"\"", "x,\"y\",z", "\r\n", "-"}};
  const std::string text = to_csv(t);
  EXPECT_NE(text.find(R"("seed003:gpu_steps=3,tail=0.2")"), std::string::npos);
  EXPECT_NE(text.find(R"("say ""hi""")"), std::string::npos);
  const CsvTable back = parse_csv(text, "t.csv");
  EXPECT_EQ(back.header, t.header);
  EXPECT_EQ(back.rows, t.rows);
  // CRLF line ends parse the same.
  std::string crlf;
  for (char c : std::string("a,b\n1,\"2,3\"\n")) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const CsvTable c = parse_csv(crlf, "crlf.csv");
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0][1], "2,3");
}

TEST(HarnessCsv, ErrorsNameFileAndLine) {
  EXPECT_NE(expect_input_error([] { parse_csv("a,b\n1,2\n3\n", "f.csv"); }).find("f.csv:3"),
            std::string::npos);
  EXPECT_NE(expect_input_error([] { parse_csv("a,b\n1,\"2\n", "g.csv"); }).find("unterminated"),
            std::string::npos);
  EXPECT_NE(expect_input_error([] { parse_csv("a,b\n1,x\"y\n", "h.csv"); }).find("h.csv:2"),
            std::string::npos);
}

// ---- Plan parsing and expansion --------------------------------------------------------------

TEST(HarnessPlan, ExpansionIsTheCartesianProduct) {
  const Plan plan =
      parse_plan(tiny_plan(R"(, "protocol": ["in-sample", "next-window"])"), "cart.json");
  const Expansion ex = expand_plan(plan, test_loader);
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::set<Key> expected;
  for (const char* protocol : {"in-sample", "next-window"}) {
    for (const char* workload : {"tiny:seed=1", "tiny:seed=2", "tiny:steps=3"}) {
      for (const char* topology : {"R=12,G=4,N=2,P=4", "R=8,G=1,N=1,P=2"}) {
        for (const char* strategy : {"deepseek", "compose:gpu_refine=k_swap,gpu_steps=1",
                                     "compose:gpu_refine=k_swap,gpu_steps=3"}) {
          expected.emplace(strategy, workload, topology, protocol);
        }
      }
    }
  }
  std::set<Key> got;
  std::set<std::string> ids;
  for (const eplb::Run& run : ex.runs) {
    got.emplace(ex.strategies[static_cast<std::size_t>(run.strategy)].spec,
                ex.workloads[static_cast<std::size_t>(run.workload)].spec, run.topology.to_string(),
                to_string(run.protocol));
    ids.insert(run.id);
    EXPECT_EQ(run.index, static_cast<int>(&run - ex.runs.data()));
  }
  EXPECT_EQ(ex.runs.size(), expected.size());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(ids.size(), ex.runs.size()) << "run ids must be unique";
  EXPECT_EQ(ex.describe(),
            "3 strategies x 3 workloads x 2 topologies x 2 protocols = 36 runs, 66 rows");
  // Strategies vary fastest, so consecutive runs form one summary table.
  EXPECT_EQ(ex.strategies[static_cast<std::size_t>(ex.runs[1].strategy)].spec,
            "compose:gpu_refine=k_swap,gpu_steps=1");
  EXPECT_EQ(ex.strategies[1].swept, "gpu_steps");
  EXPECT_EQ(ex.strategies[1].family, "compose:gpu_refine=k_swap");
  // Seeds of one generator share a workload group.
  EXPECT_EQ(ex.workloads[0].group, "tiny");
  EXPECT_EQ(ex.workloads[1].group, "tiny");
}

TEST(HarnessPlan, RunIdentityUsesCanonicalSpecs) {
  // gpu_steps=2 is k_swap's default: the grid point and the bare spec are one strategy.
  const Plan plan = parse_plan(R"({
    "strategies": ["compose:gpu_refine=k_swap",
                   {"spec": "compose:gpu_refine=k_swap", "grid": {"gpu_steps": [2, 4]}}],
    "workloads": ["tiny"], "topologies": [{"replicas": 8, "gpus": 2}]})",
                               "canon.json");
  const Expansion ex = expand_plan(plan, test_loader);
  ASSERT_EQ(ex.strategies.size(), 2u);
  EXPECT_EQ(ex.strategies[0].spec, "compose:gpu_refine=k_swap");
  EXPECT_EQ(ex.strategies[1].spec, "compose:gpu_refine=k_swap,gpu_steps=4");
  ASSERT_EQ(ex.notes.size(), 1u);
  EXPECT_NE(ex.notes[0].find("listed twice"), std::string::npos);
  EXPECT_EQ(ex.strategies[0].swept, "gpu_steps") << "the default point belongs to the sweep";
  // Every resolved parameter is recorded, defaults included.
  const auto& params = ex.strategies[0].params;
  EXPECT_NE(std::find(params.begin(), params.end(),
                      std::pair<std::string, std::string>{"gpu_steps", "2"}),
            params.end());
}

TEST(HarnessPlan, BadPlansFailBeforeRunningWithFileAndKey) {
  auto expand = [](const std::string& text) {
    return expect_input_error([&] { expand_plan(parse_plan(text, "bad.json"), test_loader); });
  };
  std::string m = expand(R"({"strategies": ["deepseek"], "workloads": ["tiny"],
                              "topologies": [{"replicas": 8, "gpus": 2}], "protocl": "cross"})");
  EXPECT_NE(m.find("bad.json: protocl: unknown key"), std::string::npos) << m;
  m = expand(R"({"strategies": ["deepseek:polcy=global"], "workloads": ["tiny"],
                 "topologies": [{"replicas": 8, "gpus": 2}]})");
  EXPECT_NE(m.find("bad.json: strategies[0]"), std::string::npos) << m;
  EXPECT_NE(m.find("polcy"), std::string::npos) << m;
  m = expand(R"({"strategies": [{"spec": "compose", "grid": {"gpu_steps": [1, "x"]}}],
                 "workloads": ["tiny"], "topologies": [{"replicas": 8, "gpus": 2}]})");
  EXPECT_NE(m.find("strategies[0]"), std::string::npos) << m;
  m = expand(R"({"strategies": ["deepseek"], "workloads": ["tiny"],
                 "topologies": [{"replicas": 8, "gpus": "2"}]})");
  EXPECT_NE(m.find("bad.json: topologies[0].gpus: expected an integer"), std::string::npos) << m;
  m = expand(R"({"strategies": ["deepseek"], "workloads": ["tiny"],
                 "topologies": [{"replicas": 6, "gpus": 2}]})");
  EXPECT_NE(m.find("does not fit"), std::string::npos) << m;
  m = expand(R"({"strategies": ["deepseek"], "workloads": ["single"], "protocol": "next-window",
                 "topologies": [{"replicas": 8, "gpus": 2}]})");
  EXPECT_NE(m.find("workloads[0]"), std::string::npos) << m;
  EXPECT_NE(m.find("next-window"), std::string::npos) << m;
  EXPECT_NE(m.find("has 1 step"), std::string::npos) << m;
  m = expand(R"({"strategies": ["deepseek"], "workloads": ["tiny"]})");
  EXPECT_NE(m.find("topologies: missing"), std::string::npos) << m;
  m = expect_input_error([] {
    parse_plan(R"({"strategies": ["deepseek"], "workloads": ["tiny"],
                   "topologies": [{"replicas": 8, "gpus": 2}], "timing": {"threads": 0}})",
               "threads.json");
  });
  EXPECT_NE(m.find("threads.json: timing.threads"), std::string::npos) << m;
  m = expect_input_error([] { parse_plan("{\n  \"strategies\": [,]\n}", "syntax.json"); });
  EXPECT_NE(m.find("syntax.json:2"), std::string::npos) << m;
  m = expect_input_error([] { parse_plan("{\"seeds\": [1],\n \"seeds\": [2]}", "dup.json"); });
  EXPECT_NE(m.find("dup.json: seeds: repeated key"), std::string::npos) << m;
}

TEST(HarnessPlan, GuardRefusesLargeSweepsUnlessRaised) {
  const Plan plan = parse_plan(tiny_plan(R"(, "guard": {"max_runs": 5})"), "guard.json");
  const fs::path dir = test::make_temp_dir("guard");
  const std::string m =
      expect_input_error([&] { run_plan(plan, quiet_config(dir / "out"), test_loader); });
  EXPECT_NE(m.find("exceed the guard of 5"), std::string::npos) << m;
  EXPECT_NE(m.find("--max-runs"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dir / "out" / "manifest.json")) << "nothing may be written";
  RunConfig raised = quiet_config(dir / "out");
  raised.max_runs = 100;
  EXPECT_EQ(run_plan(plan, raised, test_loader).runs_found, 18);
}

TEST(HarnessPlan, EveryShippedPlanResolves) {
  // Each distinct workload is loaded once across plans (the V3 recordings are shared).
  std::map<std::string, WorkloadData> cache;
  const WorkloadLoader cached = [&](std::string_view text) {
    auto it = cache.find(std::string(text));
    if (it == cache.end()) it = cache.emplace(std::string(text), load_workload(text)).first;
    return it->second;
  };
  int plans = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(EPLB_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    const Plan plan = load_plan(entry.path());
    // The python: family exists only where a program registered it (the eplb binary does; this
    // suite keeps the registry to its built-ins): tests/python resolves those plans via eplb.
    const bool uses_python =
        std::any_of(plan.strategies.begin(), plan.strategies.end(),
                    [](const auto& s) { return s.spec.starts_with("python:"); });
    if (uses_python && !strategy_registry().contains("python")) continue;
    EXPECT_FALSE(plan.description.empty());
    const Expansion ex = expand_plan(plan, cached);
    EXPECT_GT(ex.runs.size(), 0u);
    EXPECT_LE(static_cast<long>(ex.runs.size()), plan.max_runs);
    ++plans;
  }
  EXPECT_GE(plans, 13);
}

// ---- Protocols ----------------------------------------------------------------------------------

TEST(HarnessProtocol, NextWindowScoresPlanTOnWindowTPlusOne) {
  // R=4 slots, 2 GPUs, 2 experts. Plan on [3,1]: counts [3,1]; the GPU holding expert 1 also holds
  // one replica of expert 0. Scored on [1,3]: that GPU carries 3 + 1/3, the other 2/3, so
  // balancedness = mean/max = 2 / (10/3) = 0.6. Plan on [1,3] (counts [1,3]) scored on [1,1]:
  // 1 + 1/3 against 2/3, balancedness = 1 / (4/3) = 0.75. In-sample every step balances to 1.
  for (const char* protocol : {"next-window", "in-sample"}) {
    const Plan plan =
        parse_plan(fmt::format(R"({{"strategies": ["deepseek"], "workloads": ["swap3"],
        "topologies": [{{"replicas": 4, "gpus": 2}}], "protocol": "{}"}})",
                               protocol),
                   "nw.json");
    const Expansion ex = expand_plan(plan, test_loader);
    ASSERT_EQ(ex.runs.size(), 1u);
    std::mutex timing;
    const RunOutput out = evaluate_run(ex, ex.runs[0], EvalOptions{0, 1, false}, timing);
    const int ps = out.rows.column("plan_step", "t"), ss = out.rows.column("score_step", "t");
    const int bal = out.rows.column("balancedness", "t");
    const int status = out.rows.column("status", "t");
    if (std::string(protocol) == "next-window") {
      ASSERT_EQ(out.rows.rows.size(), 2u);
      EXPECT_EQ(out.rows.rows[0][static_cast<std::size_t>(ps)], "0");
      EXPECT_EQ(out.rows.rows[0][static_cast<std::size_t>(ss)], "1");
      EXPECT_EQ(out.rows.rows[1][static_cast<std::size_t>(ps)], "1");
      EXPECT_EQ(out.rows.rows[1][static_cast<std::size_t>(ss)], "2");
      EXPECT_DOUBLE_EQ(std::stod(out.rows.rows[0][static_cast<std::size_t>(bal)]), 0.6);
      EXPECT_DOUBLE_EQ(std::stod(out.rows.rows[1][static_cast<std::size_t>(bal)]), 0.75);
    } else {
      ASSERT_EQ(out.rows.rows.size(), 3u);
      for (const auto& row : out.rows.rows) {
        EXPECT_EQ(row[static_cast<std::size_t>(status)], "ok");
        EXPECT_DOUBLE_EQ(std::stod(row[static_cast<std::size_t>(bal)]), 1.0);
      }
    }
  }
}

TEST(HarnessProtocol, CrossPlansOnOneWorkloadAndScoresOnAnother) {
  const Plan plan = parse_plan(R"({"strategies": ["deepseek"], "protocol": "cross",
      "workloads": ["tiny:seed=1", "tiny:seed=2", "tiny:seed=3"],
      "topologies": [{"replicas": 12, "groups": 4, "nodes": 2, "gpus": 4}]})",
                               "cross.json");
  const Expansion ex = expand_plan(plan, test_loader);
  ASSERT_EQ(ex.runs.size(), 6u);  // ordered pairs of distinct workloads
  const eplb::Run& run = ex.runs[0];
  EXPECT_NE(run.workload, run.score_workload);
  std::mutex timing;
  const RunOutput out = evaluate_run(ex, run, EvalOptions{0, 0, false}, timing);
  ASSERT_EQ(out.rows.rows.size(), 2u);
  // The row's balancedness is the plan for A scored on B's load, recomputed here.
  const ResolvedWorkload& a = ex.workloads[static_cast<std::size_t>(run.workload)];
  const ResolvedWorkload& b = ex.workloads[static_cast<std::size_t>(run.score_workload)];
  const Placement p = ex.strategies[0].strategy->plan(a.data->steps[1], run.topology);
  const Metrics m = compute_metrics(b.data->steps[1], p, run.topology);
  EXPECT_EQ(out.rows.rows[1][static_cast<std::size_t>(out.rows.column("balancedness", "t"))],
            format_double(m.balancedness));
  EXPECT_EQ(out.rows.rows[1][static_cast<std::size_t>(out.rows.column("score_workload", "t"))],
            b.spec);
}

// ---- Runner -------------------------------------------------------------------------------------

class BrokenStrategy final : public Strategy {
 public:
  Placement plan(const LoadMatrix& load, const Topology& topology) const override {
    Placement p;
    p.policy = Policy::kGlobal;
    p.phy2log = IndexMatrix::Zero(load.rows(), topology.num_replicas);  // expert 1.. never placed
    p.logcnt = count_replicas(p.phy2log, static_cast<int>(load.cols()));
    return p;
  }
};

TEST(HarnessRunner, InvalidPlacementIsAnErrorRowNeverANumber) {
  const Plan plan = parse_plan(R"({"strategies": ["deepseek"], "workloads": ["tiny"],
      "topologies": [{"replicas": 8, "gpus": 2}]})",
                               "broken.json");
  Expansion ex = expand_plan(plan, test_loader);
  ex.strategies[0].strategy = std::make_shared<BrokenStrategy>();
  std::mutex timing;
  const RunOutput out = evaluate_run(ex, ex.runs[0], EvalOptions{1, 3, true}, timing);
  ASSERT_EQ(out.rows.rows.size(), 2u);
  EXPECT_EQ(out.error_rows, 2);
  for (const auto& row : out.rows.rows) {
    EXPECT_EQ(row[static_cast<std::size_t>(out.rows.column("status", "t"))], "error");
    EXPECT_NE(
        row[static_cast<std::size_t>(out.rows.column("error", "t"))].find("invalid placement"),
        std::string::npos);
    EXPECT_EQ(row[static_cast<std::size_t>(out.rows.column("balancedness", "t"))], "");
    EXPECT_EQ(row[static_cast<std::size_t>(out.rows.column("plan_us_median", "t"))], "");
  }
  EXPECT_TRUE(out.layers.rows.empty());
}

TEST(HarnessRunner, PlanThreadsGiveTheSameRowsAsOneThread) {
  const Plan plan = parse_plan(R"({"strategies": ["seed001"], "workloads": ["tiny"],
      "topologies": [{"replicas": 12, "groups": 4, "nodes": 2, "gpus": 4}],
      "timing": {"warmup": 0, "repeats": 2, "threads": 2}})",
                               "threads.json");
  EXPECT_EQ(plan.plan_threads, 2);
  const Expansion ex = expand_plan(plan, test_loader);
  std::mutex timing;
  EvalOptions one{0, 0, true};
  EvalOptions two = one;
  two.plan_threads = plan.plan_threads;
  const RunOutput a = evaluate_run(ex, ex.runs[0], one, timing);
  const RunOutput b = evaluate_run(ex, ex.runs[0], two, timing);
  EXPECT_EQ(a.rows.rows, b.rows.rows);
  EXPECT_EQ(a.layers.rows, b.layers.rows);
  EXPECT_EQ(a.error_rows, 0);
}

TEST(HarnessRunner, RowsCarryEveryParameterMetricAndTiming) {
  const Plan plan = parse_plan(R"({"strategies": ["compose:gpu_refine=k_swap,gpu_steps=3"],
      "workloads": ["tiny"], "topologies": [{"replicas": 12, "groups": 4, "nodes": 2, "gpus": 4}],
      "timing": {"warmup": 1, "repeats": 3}})",
                               "cols.json");
  const Expansion ex = expand_plan(plan, test_loader);
  std::mutex timing;
  const RunOutput out = evaluate_run(ex, ex.runs[0], EvalOptions{1, 3, true}, timing);
  for (const std::string& c : result_columns()) EXPECT_GE(out.rows.find_column(c), 0) << c;
  for (const auto& [key, value] : ex.strategies[0].params) {
    EXPECT_GE(out.rows.find_column("strategy." + key), 0) << key;
  }
  EXPECT_GE(out.rows.find_column("workload.seed"), 0);
  const auto& row = out.rows.rows[0];
  EXPECT_EQ(row[static_cast<std::size_t>(out.rows.column("strategy.gpu_steps", "t"))], "3");
  EXPECT_EQ(row[static_cast<std::size_t>(out.rows.column("timing_repeats", "t"))], "3");
  const double median =
      std::stod(row[static_cast<std::size_t>(out.rows.column("plan_us_median", "t"))]);
  const double min = std::stod(row[static_cast<std::size_t>(out.rows.column("plan_us_min", "t"))]);
  EXPECT_GT(min, 0.0);
  EXPECT_LE(min, median);
  EXPECT_EQ(out.layers.rows.size(), 2u * 2u);  // 2 steps x 2 layers
}

// ---- Results store, resume, shards, merge, report
// ------------------------------------------------

TEST(HarnessStore, ReRunSkipsFinishedRunsAndForceRedoesThem) {
  const Plan plan = parse_plan(tiny_plan(), "resume.json");
  const fs::path dir = fs::path(test::make_temp_dir("resume")) / "out";
  const Outcome first = run_plan(plan, quiet_config(dir), test_loader);
  EXPECT_EQ(first.stats.evaluated, 18);
  EXPECT_EQ(first.runs_found, 18);
  const std::string csv = test::read_text((dir / "results.csv").string());
  // A lost run file (e.g. killed before it was written) is redone, nothing else.
  fs::remove(ResultStore(dir).run_file(expand_plan(plan, test_loader).runs[5].id));
  const Outcome second = run_plan(plan, quiet_config(dir), test_loader);
  EXPECT_EQ(second.stats.evaluated, 1);
  EXPECT_EQ(second.stats.skipped, 17);
  EXPECT_EQ(test::read_text((dir / "results.csv").string()), csv);
  RunConfig force = quiet_config(dir);
  force.force = true;
  EXPECT_EQ(run_plan(plan, force, test_loader).stats.evaluated, 18);
  EXPECT_EQ(test::read_text((dir / "results.csv").string()), csv);
}

TEST(HarnessStore, ShardsMergeToTheUnshardedResult) {
  const Plan plan = parse_plan(tiny_plan(R"(, "per_layer": true)"), "shards.json");
  const fs::path root = test::make_temp_dir("shards");
  run_plan(plan, quiet_config(root / "whole"), test_loader);
  std::vector<fs::path> shards;
  for (int i = 0; i < 3; ++i) {
    RunConfig config = quiet_config(root / fmt::format("shard{}", i));
    config.shard = Shard{i, 3};
    const Outcome o = run_plan(plan, config, test_loader);
    EXPECT_EQ(o.runs_found, 6);
    shards.push_back(root / fmt::format("shard{}", i));
  }
  const MergeConfig merge = test::quiet_merge_config();
  // Two of three shards: the merge says runs are missing.
  const Outcome partial = merge_results({shards[0], shards[2]}, root / "partial", merge);
  EXPECT_EQ(partial.runs_expected, 18);
  EXPECT_EQ(partial.runs_found, 12);
  const Outcome merged = merge_results(shards, root / "merged", merge);
  EXPECT_EQ(merged.runs_found, 18);
  // Timing is off (repeats 0), so the whole files must be identical.
  EXPECT_EQ(test::read_text((root / "merged" / "results.csv").string()),
            test::read_text((root / "whole" / "results.csv").string()));
  EXPECT_EQ(test::read_text((root / "merged" / "layers.csv").string()),
            test::read_text((root / "whole" / "layers.csv").string()));
  EXPECT_EQ(test::read_text((root / "merged" / "summary.md").string()),
            test::read_text((root / "whole" / "summary.md").string()));
  // Shards of another plan are refused.
  const Plan other = parse_plan(tiny_plan(R"(, "max_steps": 1)"), "shards.json");
  RunConfig config = quiet_config(root / "other");
  config.shard = Shard{1, 3};
  run_plan(other, config, test_loader);
  EXPECT_NE(expect_input_error([&] {
              merge_results({shards[0], root / "other"}, root / "x", merge);
            }).find("not shards of one sweep"),
            std::string::npos);
}

TEST(HarnessStore, SpecsWithCommasAndQuotesRoundTripThroughResults) {
  const Plan plan = parse_plan(R"({"strategies": ["compose:gpu_refine=k_swap,gpu_steps=3"],
      "workloads": ["odd"], "topologies": [{"replicas": 8, "gpus": 2}]})",
                               "odd.json");
  const fs::path dir = fs::path(test::make_temp_dir("odd")) / "out";
  run_plan(plan, quiet_config(dir), test_loader);
  const CsvTable t = read_csv(dir / "results.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][static_cast<std::size_t>(t.column("strategy", "t"))],
            "compose:gpu_refine=k_swap,gpu_steps=3");
  EXPECT_EQ(t.rows[0][static_cast<std::size_t>(t.column("workload", "t"))],
            R"(odd:"label, with, commas")");
  EXPECT_EQ(t.rows[0][static_cast<std::size_t>(t.column("workload.label", "t"))], R"("a,b")");
  EXPECT_EQ(to_csv(t), test::read_text((dir / "results.csv").string()));
}

TEST(HarnessReport, RedrawsFromCsvAndAssemblesAnInterruptedSweep) {
  const Plan plan = parse_plan(tiny_plan(), "report.json");
  const fs::path dir = fs::path(test::make_temp_dir("report")) / "out";
  const Outcome run = run_plan(plan, quiet_config(dir), test_loader);
  const ReportConfig config = test::quiet_report_config();
  fs::remove(dir / "summary.md");
  EXPECT_EQ(report_results(dir, config).summary, run.summary);
  EXPECT_TRUE(fs::exists(dir / "summary.md"));
  // As if the sweep had been killed before results.csv was assembled.
  const std::string csv = test::read_text((dir / "results.csv").string());
  fs::remove(dir / "results.csv");
  report_results(dir, config);
  EXPECT_EQ(test::read_text((dir / "results.csv").string()), csv);
}

// ---- Summary and plots --------------------------------------------------------------------------

TEST(HarnessSummary, ShowsSweptParameterBesideMetricsAndMarksTheBest) {
  const Plan plan = parse_plan(tiny_plan(), "sum.json");
  const fs::path dir = fs::path(test::make_temp_dir("sum")) / "out";
  const Outcome o = run_plan(plan, quiet_config(dir), test_loader);
  const std::string& s = o.summary;
  EXPECT_NE(s.find("| strategy | `gpu_steps` | balancedness (mean ± 95% CI) |"), std::string::npos)
      << s;
  EXPECT_NE(s.find("| `compose:gpu_refine=k_swap,gpu_steps=3` | 3 |"), std::string::npos) << s;
  EXPECT_NE(s.find("| `deepseek` | · |"), std::string::npos) << s;
  EXPECT_NE(s.find("Δ bal. vs `deepseek`"), std::string::npos) << s;
  EXPECT_NE(s.find("**"), std::string::npos) << s;
  EXPECT_NE(s.find("### `tiny` · R=12,G=4,N=2,P=4 · in-sample"), std::string::npos) << s;
  EXPECT_NE(s.find("## Win rate"), std::string::npos) << s;
}

TEST(HarnessSummary, StatsUseStudentT) {
  const std::vector<double> v = {1.0, 2.0, 3.0};
  const Stats s = stats_of(v);
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_NEAR(s.ci95, 4.3027 * 1.0 / std::sqrt(3.0), 1e-9);
  EXPECT_TRUE(std::isnan(stats_of(std::vector<double>{1.0}).ci95));
  EXPECT_NEAR(t_quantile_975(1000), 1.9623, 1e-3);
}

TEST(HarnessSummary, TuningPicksOnTuneAndReportsOnHoldout) {
  const Plan plan = parse_plan(R"({
      "strategies": ["deepseek", {"spec": "compose:gpu_refine=k_swap", "grid": {"gpu_steps": [0, 1, 4]}}],
      "workloads": [{"spec": "tiny", "seeds": [1, 2], "split": "tune"},
                    {"spec": "tiny", "seeds": [3], "split": "holdout"}],
      "topologies": [{"replicas": 12, "groups": 4, "nodes": 2, "gpus": 4}],
      "protocol": "next-window", "timing": {"repeats": 0}})",
                               "tune.json");
  const fs::path dir = fs::path(test::make_temp_dir("tune")) / "out";
  const Outcome o = run_plan(plan, quiet_config(dir), test_loader);
  EXPECT_NE(o.summary.find("## Tuning"), std::string::npos) << o.summary;
  const std::string& s = o.summary;
  EXPECT_NE(s.find("### `compose:gpu_refine=k_swap`: 3 grid points"), std::string::npos) << s;
  EXPECT_NE(s.find("| chosen | gpu_steps="), std::string::npos) << s;
  EXPECT_NE(s.find("| baseline `deepseek` |"), std::string::npos) << s;
  EXPECT_NE(s.find("rank on holdout"), std::string::npos) << s;
  EXPECT_NE(s.find("Tied with the chosen point on tune:"), std::string::npos) << s;
}

TEST(HarnessPlots, WritesScriptsFromTheCsvAndRendersWithGnuplot) {
  const Plan plan = parse_plan(tiny_plan(R"(, "per_layer": true)", 1), "plots.json");
  const fs::path dir = fs::path(test::make_temp_dir("plots")) / "out";
  RunConfig config = quiet_config(dir);
  config.plots = true;
  const Outcome o = run_plan(plan, config, test_loader);
  const fs::path plots = dir / "plots";
  for (const char* name :
       {"pareto-R12-G4-N2-P4-in-sample.gp", "delta-R12-G4-N2-P4-in-sample.gp",
        "ablation-gpu_steps-R12-G4-N2-P4-in-sample.gp", "heatmap-tiny-R12-G4-N2-P4-in-sample.gp",
        "winrate-R8-G1-N1-P2-in-sample.gp", "ablation-gpu_steps-R8-G1-N1-P2-in-sample.dat"}) {
    EXPECT_TRUE(fs::exists(plots / name)) << name;
  }
  // The sweep spans two topologies: one ablation figure each, never lines of both in one.
  EXPECT_FALSE(fs::exists(plots / "ablation-gpu_steps.gp"));
  const std::string ablation =
      test::read_text((plots / "ablation-gpu_steps-R8-G1-N1-P2-in-sample.dat").string());
  EXPECT_EQ(ablation.substr(0, ablation.find('\n')).rfind("x\tgpu_steps\t", 0), 0u) << ablation;
  // Scripts use relative paths only, and summary.md links each figure by name.
  const std::string script = test::read_text((plots / "pareto-R12-G4-N2-P4-in-sample.gp").string());
  EXPECT_EQ(script.find(dir.string()), std::string::npos) << script;
  EXPECT_NE(o.summary.find("(plots/delta-R12-G4-N2-P4-in-sample.png)"), std::string::npos)
      << o.summary;
  EXPECT_TRUE(fs::exists(dir / "summary.html"));
  if (find_gnuplot().empty()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  EXPECT_TRUE(o.warnings.empty()) << o.warnings.front();
  EXPECT_GE(o.plots.size(), 7u);
  // Every figure re-draws in place (tests/harness/test_figures.cpp re-draws every kind).
  test::expect_figures_redraw(o.plots);
}

TEST(HarnessSummary, PairedDeltaHasIntervalUnitAndWinsTiesLosses) {
  const Plan plan = parse_plan(tiny_plan(), "delta.json");
  const fs::path dir = fs::path(test::make_temp_dir("delta")) / "out";
  const Outcome o = run_plan(plan, quiet_config(dir), test_loader);
  const std::string& s = o.summary;
  EXPECT_NE(s.find("### Δ balancedness vs `deepseek`, overall"), std::string::npos) << s;
  EXPECT_NE(s.find("| workload group (2) |"), std::string::npos) << s;
  EXPECT_NE(s.find("Δ bal. vs `deepseek` [95% CI] | W/T/L |"), std::string::npos) << s;
  EXPECT_NE(s.find("plan µs median [IQR]"), std::string::npos) << s;
}

TEST(HarnessSummary, TimingIsNeverBoldWithinTheNoise) {
  // Two strategies whose timing bands overlap: no bold timing cell even though one median is
  // lower; with disjoint bands the faster one is bold.
  CsvTable t = read_csv(fs::path(EPLB_TEST_DATA) / "reports" / "timing_noise.csv");
  SummaryOptions options;
  const std::string overlap = summarize(t, options);
  EXPECT_NE(overlap.find("| 100.0 [95.0–200.0] |"), std::string::npos) << overlap;
  EXPECT_EQ(overlap.find("**100.0 ["), std::string::npos) << overlap;
  const int c = t.column("plan_us_median", "t");
  for (auto& row : t.rows) {
    if (row[2] == "seed003") row[static_cast<std::size_t>(c)] = "1000";
  }
  const std::string clear = summarize(t, options);
  EXPECT_NE(clear.find("**100.0 [95.0–200.0]**"), std::string::npos) << clear;
}

TEST(HarnessCompare, PairsTwoResultsOnIdenticalInstances) {
  const Plan plan = parse_plan(tiny_plan(), "cmp.json");
  const fs::path dir = fs::path(test::make_temp_dir("cmp")) / "out";
  run_plan(plan, quiet_config(dir), test_loader);
  const CsvTable t = read_csv(dir / "results.csv");
  // The same sweep twice: every instance ties.
  const std::string same = compare_results(t, t, {});
  EXPECT_NE(same.find("| `deepseek` | **overall** (mean of groups) |"), std::string::npos) << same;
  EXPECT_NE(same.find("+0.0000 [+0.0000, +0.0000] | workload group (2) |"), std::string::npos)
      << same;
  EXPECT_NE(same.find("| 0/4/0 |"), std::string::npos) << same;
  // Two strategies of one sweep.
  CompareOptions o;
  o.strategy_a = "deepseek";
  o.strategy_b = "compose:gpu_refine=k_swap,gpu_steps=3";
  const std::string two = compare_results(t, t, o);
  EXPECT_NE(two.find("`deepseek -> compose:gpu_refine=k_swap,gpu_steps=3`"), std::string::npos)
      << two;
  o.strategy_b = "seed001";
  EXPECT_NE(expect_input_error([&] { compare_results(t, t, o); }).find("no paired instances"),
            std::string::npos);
}

}  // namespace
}  // namespace eplb
