// Figures: every kind the reporting code can draw is drawn from a tiny plan and re-drawn byte for
// byte from its folder (`cd plots && gnuplot NAME.gp`), and the balancedness bound is a series
// of the figures that promise it. Workloads are small synthetic ones (2 layers x 8 experts), so
// each plan runs in well under a second even under the sanitizers; gnuplot dominates.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "cli_run.hpp"
#include "eplb/plan_files/plan.hpp"
#include "eplb/reporting/plots.hpp"
#include "eplb/running/experiment.hpp"
#include "eplb/storage/csv.hpp"
#include "figure_redraw.hpp"
#include "quiet_harness.hpp"

namespace eplb {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTopology = R"([{"replicas": 12, "groups": 4, "nodes": 2, "gpus": 4}])";

// In-sample with timing and per-layer rows: pareto (with the bound), delta, winrate, heatmap,
// and a packer ablation, whose duplicate replicas differ between greedy and diverse packing.
std::string in_sample_plan() {
  return fmt::format(R"({{
      "timing": {{"warmup": 0, "repeats": 1}}, "per_layer": true,
      "strategies": ["deepseek", {{"spec": "compose", "grid": {{"gpu_pack": ["greedy", "diverse"]}}}}],
      "workloads": [{{"spec": "zipf:layers=2,experts=8,batch=400", "seeds": [1, 2]}},
                    {{"spec": "hot_experts:layers=2,experts=8,hot=2,batch=400", "seeds": [1]}}],
      "topologies": {}}})",
                     kTopology);
}

// Protocol cross: the cross matrix (plan on A, score on B).
std::string cross_plan() {
  return fmt::format(R"({{
      "timing": {{"repeats": 0}}, "protocol": "cross",
      "strategies": ["deepseek", "seed001"],
      "workloads": [{{"spec": "zipf:layers=2,experts=8,batch=400", "seeds": [1, 2, 3]}}],
      "topologies": {}}})",
                     kTopology);
}

// Tune and holdout splits over a two-parameter grid: the tuning scatter and both heatmaps.
std::string tuning_plan() {
  return fmt::format(R"({{
      "timing": {{"repeats": 0}}, "protocol": "next-window",
      "strategies": ["deepseek", {{"spec": "seed003", "grid": {{"tail": [0, 0.25], "gpu_steps": [0, 1]}}}}],
      "workloads": [{{"spec": "zipf:layers=2,experts=8,steps=3,batch=400", "seeds": [1, 2], "split": "tune"}},
                    {{"spec": "hot_experts:layers=2,experts=8,hot=2,steps=3,batch=400", "seeds": [1], "split": "holdout"}}],
      "topologies": {}}})",
                     kTopology);
}

// Protocol rebalance: the rebalance Pareto figure and a timeline.
std::string rebalance_plan() {
  return fmt::format(R"({{
      "timing": {{"repeats": 0}}, "protocol": "rebalance",
      "rebalance": {{"every": [1, 2], "keep": [false, true]}},
      "strategies": ["deepseek", "seed001"],
      "workloads": [{{"spec": "zipf:layers=2,experts=8,steps=5,drift=0.3,batch=400", "seeds": [1]}}],
      "topologies": {}}})",
                     kTopology);
}

Outcome run_tiny(const std::string& text, const std::string& name, bool plots) {
  const Plan plan = parse_plan(text, name + ".json");
  RunConfig config = test::quiet_config(fs::path(test::make_temp_dir(name)) / "out");
  config.plots = plots;
  return run_plan(plan, config);
}

TEST(Figures, EveryKindRedrawsByteForByteFromItsFolder) {
  if (find_gnuplot().empty()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  std::set<std::string> redrawn;
  for (const auto& [name, text] :
       std::map<std::string, std::string>{{"in_sample", in_sample_plan()},
                                          {"cross", cross_plan()},
                                          {"tuning", tuning_plan()},
                                          {"rebalance", rebalance_plan()}}) {
    const Outcome o = run_tiny(text, name, true);
    // Notes (e.g. no Pareto plot without timing) are fine; a figure gnuplot could not draw is not.
    for (const std::string& w : o.warnings)
      EXPECT_EQ(w.find("gnuplot"), std::string::npos) << name << ": " << w;
    EXPECT_FALSE(o.plots.empty()) << name;
    redrawn.merge(test::expect_figures_redraw(o.plots));
  }
  // Every kind in plots.hpp and rebalance_report.hpp; a kind that stops being drawn (or a new
  // one this list does not know, "unknown") fails here.
  const std::set<std::string> every_kind = {"pareto",
                                            "delta",
                                            "ablation",
                                            "ablation-duplicate_replicas",
                                            "heatmap",
                                            "winrate",
                                            "cross",
                                            "tuning-scatter",
                                            "tuning-heatmap",
                                            "rebalance-pareto",
                                            "rebalance-timeline"};
  EXPECT_EQ(redrawn, every_kind);
}

// Mean over workload groups of the group's mean `column` over `strategy`'s rows.
double mean_of_group_means(const CsvTable& t, const std::string& strategy, const char* column) {
  const auto s = static_cast<std::size_t>(t.column("strategy", "t"));
  const auto g = static_cast<std::size_t>(t.column("workload_group", "t"));
  const auto c = static_cast<std::size_t>(t.column(column, "t"));
  std::map<std::string, std::pair<double, int>> groups;
  for (const auto& row : t.rows) {
    if (row[s] != strategy) continue;
    auto& [sum, n] = groups[row[g]];
    sum += std::stod(row[c]);
    ++n;
  }
  double sum = 0.0;
  for (const auto& [group, v] : groups) sum += v.first / v.second;
  return groups.empty() ? std::nan("") : sum / static_cast<double>(groups.size());
}

const Figure* find_figure(const std::vector<Figure>& figures, const std::string& prefix) {
  const auto it = std::find_if(figures.begin(), figures.end(),
                               [&](const Figure& f) { return f.name.rfind(prefix, 0) == 0; });
  return it == figures.end() ? nullptr : &*it;
}

TEST(Figures, ParetoAndAblationDrawTheBoundSeriesWhenResultsHaveIt) {
  const Outcome o = run_tiny(in_sample_plan(), "bound", false);
  CsvTable results = read_csv(o.dir / "results.csv");
  ASSERT_GE(results.find_column("balancedness_bound"), 0);
  const double bound = mean_of_group_means(results, "deepseek", "balancedness_bound");
  // The tiny hierarchical topology caps the policy below 1, so the line is not a default 1.0.
  ASSERT_LT(bound, 1.0);

  std::vector<std::string> notes;
  const std::vector<Figure> with = plan_figures(results, {}, {}, notes);
  const Figure* pareto = find_figure(with, "pareto-");
  ASSERT_NE(pareto, nullptr);
  // A constant line at the baseline's mean bound, titled with the column it comes from.
  static const std::regex kBoundLine(
      R"((\S+) with lines [^\n]*title 'upper bound: balancedness_bound \(deepseek''s policy\))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(pareto->script, m, kBoundLine)) << pareto->script;
  EXPECT_NEAR(std::stod(m[1].str()), bound, 1e-8) << pareto->script;
  const Figure* ablation = find_figure(with, "ablation-gpu_pack");
  ASSERT_NE(ablation, nullptr);
  EXPECT_NE(ablation->data.find("\tupper bound: balancedness_bound"), std::string::npos)
      << ablation->data;

  // Results without the column (written before bounds existed): no bound series anywhere.
  const auto column = static_cast<std::size_t>(results.find_column("balancedness_bound"));
  results.header.erase(results.header.begin() + static_cast<long>(column));
  for (auto& row : results.rows) row.erase(row.begin() + static_cast<long>(column));
  const std::vector<Figure> without = plan_figures(results, {}, {}, notes);
  ASSERT_EQ(without.size(), with.size());
  for (const Figure& f : without) {
    EXPECT_EQ(f.script.find("balancedness_bound"), std::string::npos) << f.name;
    EXPECT_EQ(f.data.find("balancedness_bound"), std::string::npos) << f.name;
  }
}

}  // namespace
}  // namespace eplb
