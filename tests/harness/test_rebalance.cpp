// Protocol rebalance (harness/include/eplb/running/rebalance.hpp): a 6-step series whose
// per-step scores, decisions and moves are computed by hand, and the plan-file path (schema,
// expansion, rows).
#include <gtest/gtest.h>

#include <mutex>
#include <string>

#include "eplb/error.hpp"
#include "eplb/plan_files/expand.hpp"
#include "eplb/reporting/rebalance_report.hpp"
#include "eplb/running/rebalance.hpp"
#include "eplb/running/runner.hpp"
#include "eplb/workload.hpp"

namespace eplb {
namespace {

// One layer x 4 experts, 2 GPUs of 2 slots: deepseek packs greedily (heaviest item to the
// lightest GPU with room), so each plan's GPU sets are known by hand:
//   x0 = [4,3,2,1] -> {0,3} {1,2}     x2 = [1,6,2,3] -> {1,0} {3,2}     x4 = [3,1,4,2] -> {2,1}
//   {0,3}
std::vector<LoadMatrix> series() {
  const double v[6][4] = {{4, 3, 2, 1}, {1, 2, 3, 4}, {1, 6, 2, 3},
                          {2, 2, 5, 1}, {3, 1, 4, 2}, {1, 5, 1, 1}};
  std::vector<LoadMatrix> out;
  for (const auto& row : v) {
    LoadMatrix m(1, 4);
    m << row[0], row[1], row[2], row[3];
    out.push_back(m);
  }
  return out;
}

const Topology kTopo{4, 1, 1, 2};

std::vector<RebalanceStep> simulate(const RebalanceConfig& config) {
  const auto strategy = make_strategy("deepseek");
  const auto estimator = make_estimator(config.estimate);
  return simulate_rebalance(*strategy.product, *estimator.product, series(), kTopo, config, 6);
}

TEST(Rebalance, SixStepSeriesByHand) {
  RebalanceConfig c;
  c.every = 2;
  c.keep = true;
  c.expert_bytes = 100.0;
  const auto steps = simulate(c);
  ASSERT_EQ(steps.size(), 5u);  // step 0 is the warm-up
  // t=1: initial plan from x0, {0,3} {1,2}; x1 -> 5, 5
  EXPECT_EQ(steps[0].event, "initial");
  EXPECT_EQ(steps[0].moves.replicas_moved, 0);
  EXPECT_EQ(steps[0].metrics.balancedness, 1.0);
  // t=2: no decision; x2 -> {0,3} = 4, {1,2} = 8
  EXPECT_EQ(steps[1].event, "");
  EXPECT_EQ(steps[1].planned_at, 1);
  EXPECT_EQ(steps[1].metrics.balancedness, 0.75);
  // t=3: plan from x2: {0,1} {2,3}; on x2 it scores 6/7 vs 6/8; keeping slots, one replica per
  // GPU moves whichever way the GPUs are matched. x3 -> {0,1} = 4, {2,3} = 6
  EXPECT_EQ(steps[2].event, "rebalance");
  EXPECT_DOUBLE_EQ(steps[2].predicted_gain, 6.0 / 7.0 - 0.75);
  EXPECT_EQ(steps[2].moves.replicas_moved, 2);
  EXPECT_EQ(steps[2].moves.max_moves_per_gpu, 1);
  EXPECT_EQ(steps[2].moves.layers_changed, 1);
  EXPECT_EQ(steps[2].moves.bytes_moved, 200.0);
  EXPECT_EQ(steps[2].planned_at, 3);
  EXPECT_DOUBLE_EQ(steps[2].metrics.balancedness, 5.0 / 6.0);
  // t=4: x4 -> {0,1} = 4, {2,3} = 6
  EXPECT_DOUBLE_EQ(steps[3].metrics.balancedness, 5.0 / 6.0);
  // t=5: plan from x4: {1,2} {0,3}, 1.0 vs 5/6 on x4; x5 -> {1,2} = 6, {0,3} = 2
  EXPECT_EQ(steps[4].event, "rebalance");
  EXPECT_DOUBLE_EQ(steps[4].predicted_gain, 1.0 - 5.0 / 6.0);
  EXPECT_EQ(steps[4].moves.replicas_moved, 2);
  EXPECT_DOUBLE_EQ(steps[4].metrics.balancedness, 4.0 / 6.0);

  // Skipping gains below 0.12: t=3 (gain 0.107) is skipped, t=5 has gain 0 (same GPU sets).
  c.skip_below = 0.12;
  const auto skipped = simulate(c);
  EXPECT_EQ(skipped[2].event, "skipped");
  EXPECT_EQ(skipped[2].moves.replicas_moved, 0);
  EXPECT_EQ(skipped[2].planned_at, 1);
  EXPECT_DOUBLE_EQ(skipped[2].metrics.balancedness, 5.0 / 7.0);  // {0,3} = 3, {1,2} = 7
  EXPECT_EQ(skipped[3].metrics.balancedness, 1.0);               // x4: 5, 5
  EXPECT_EQ(skipped[4].event, "skipped");
  EXPECT_DOUBLE_EQ(skipped[4].predicted_gain, 0.0);
  EXPECT_DOUBLE_EQ(skipped[4].metrics.balancedness, 4.0 / 6.0);  // {0,3} = 2, {1,2} = 6

  // every=1 from the mean of the last 2 steps: t=2 plans on (x0 + x1) / 2 = [2.5,2.5,2.5,2.5].
  RebalanceConfig m;
  m.estimate = "mean:k=2";
  m.warmup = 2;
  const auto mean = simulate(m);
  ASSERT_EQ(mean.size(), 4u);
  EXPECT_EQ(mean[0].step, 2);
  EXPECT_EQ(mean[0].event, "initial");
  EXPECT_EQ(mean[1].event, "rebalance");
}

TEST(Rebalance, WithoutKeepMovesAreNeverFewer) {
  RebalanceConfig keep, plain;
  keep.keep = true;
  for (const auto& [a, b] : {std::pair{simulate(keep), simulate(plain)}}) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_LE(a[i].moves.replicas_moved, b[i].moves.replicas_moved);
      EXPECT_EQ(a[i].metrics.balancedness, b[i].metrics.balancedness);  // keep only relabels
    }
  }
}

TEST(Rebalance, LayerCapLayerSkipAndWarmupErrors) {
  const Workload w = make_workload("zipf:layers=4,experts=16,steps=8,drift=0.5,batch=300,seed=5");
  const Topology topo{24, 4, 2, 4};
  const auto strategy = make_strategy("deepseek");
  const auto last = make_estimator("last");
  auto run = [&](const RebalanceConfig& c) {
    return simulate_rebalance(*strategy.product, *last.product, w.steps, topo, c, 8);
  };
  RebalanceConfig c;
  c.max_layers = 1;
  int changed = 0;
  for (const RebalanceStep& s : run(c)) {
    EXPECT_LE(s.moves.layers_changed, 1) << "step " << s.step;
    changed += s.moves.layers_changed;
  }
  EXPECT_GT(changed, 0);
  RebalanceConfig never;
  never.skip_layer_below = 1.0;  // no layer can gain a whole 1.0
  for (const RebalanceStep& s : run(never)) {
    EXPECT_EQ(s.moves.replicas_moved, 0) << "step " << s.step;
    EXPECT_EQ(s.planned_at, never.warmup);
    EXPECT_NE(s.event, "rebalance");  // a decision that changes no layer is a skip
  }
  RebalanceConfig all;
  int all_changed = 0;
  for (const RebalanceStep& s : run(all)) all_changed += s.moves.layers_changed;
  EXPECT_GT(all_changed, changed);

  RebalanceConfig late;
  late.warmup = 6;
  EXPECT_THROW(simulate(late), InputError);
}

WorkloadData six_steps(std::string_view spec) {
  if (spec != "six") throw InputError("unknown");
  WorkloadData d;
  d.workload.spec = "six";
  d.workload.steps = series();
  return d;
}

TEST(Rebalance, PlanFileSweepsTheGridAndWritesStepRows) {
  const Plan plan = parse_plan(R"({
    "strategies": ["deepseek"], "workloads": ["six"],
    "topologies": [{"replicas": 4, "gpus": 2}],
    "protocol": "rebalance",
    "rebalance": {"every": [1, 2], "estimate": ["last", "mean:k=2"], "keep": true,
                  "expert_bytes": 100},
    "timing": {"repeats": 0}})",
                               "rebalance.json");
  ASSERT_EQ(plan.rebalances.size(), 4u);
  const Expansion ex = expand_plan(plan, six_steps);
  ASSERT_EQ(ex.runs.size(), 4u);
  EXPECT_EQ(ex.runs[1].rebalance.estimate, "mean:k=2");  // every outermost, then estimate
  std::mutex timing;
  const eplb::Run& run = ex.runs[2];  // every=2, estimate=last
  EXPECT_EQ(run.protocol_label(),
            "rebalance:every=2,estimate=last,keep=true,skip_below=0,expert_bytes=100");
  const RunOutput out = evaluate_run(ex, run, EvalOptions{0, 0, false}, timing);
  ASSERT_EQ(out.rows.rows.size(), 5u);
  const int bal = out.rows.column("balancedness", "rows");
  const int event = out.rows.column("event", "rows");
  const int moved = out.rows.column("replicas_moved", "rows");
  const int plan_step = out.rows.column("plan_step", "rows");
  const int every = out.rows.column("rebalance.every", "rows");
  EXPECT_EQ(out.rows.rows[1][static_cast<std::size_t>(bal)], "0.75");
  EXPECT_EQ(out.rows.rows[2][static_cast<std::size_t>(event)], "rebalance");
  EXPECT_EQ(out.rows.rows[2][static_cast<std::size_t>(moved)], "2");
  EXPECT_EQ(out.rows.rows[1][static_cast<std::size_t>(plan_step)], "1");
  EXPECT_EQ(out.rows.rows[0][static_cast<std::size_t>(every)], "2");
  EXPECT_EQ(out.error_rows, 0);
}

TEST(Rebalance, PlanFileErrorsNameTheKey) {
  auto message = [](const std::string& text) {
    try {
      expand_plan(parse_plan(text, "r.json"), six_steps);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = R"({"strategies": ["deepseek"], "workloads": ["six"],
    "topologies": [{"replicas": 4, "gpus": 2}], )";
  EXPECT_NE(message(head + R"("rebalance": {"every": 2}})").find("only used by protocol"),
            std::string::npos);
  EXPECT_NE(message(head + R"("protocol": "rebalance", "rebalance": {"every": [0]}})")
                .find("rebalance.every[0]"),
            std::string::npos);
  EXPECT_NE(message(head + R"("protocol": "rebalance", "rebalance": {"estimate": "median"}})")
                .find("rebalance.estimate"),
            std::string::npos);
  EXPECT_NE(message(head + R"("protocol": "rebalance", "rebalance": {"cadence": 2}})")
                .find("unknown key"),
            std::string::npos);
  EXPECT_NE(
      message(head + R"("protocol": "rebalance", "rebalance": {"warmup": 6}})").find("warm-up"),
      std::string::npos);
}

}  // namespace
}  // namespace eplb

namespace eplb {
namespace {

TEST(RebalanceReport, RunSummaryAndPlotsFromRows) {
  const Plan plan = parse_plan(R"({
    "strategies": ["deepseek"], "workloads": ["six"],
    "topologies": [{"replicas": 4, "gpus": 2}],
    "protocol": ["in-sample", "rebalance"],
    "rebalance": {"every": 2, "keep": true, "expert_bytes": 1e9},
    "timing": {"repeats": 0}})",
                               "rebalance.json");
  const Expansion ex = expand_plan(plan, six_steps);
  ASSERT_EQ(ex.runs.size(), 2u);
  std::mutex timing;
  CsvTable all;
  for (const eplb::Run& run : ex.runs) {
    const RunOutput out = evaluate_run(ex, run, EvalOptions{0, 0, false}, timing);
    if (all.header.empty()) all.header = out.rows.header;
    for (const auto& row : out.rows.rows) {
      std::vector<std::string> mapped(all.header.size());
      for (std::size_t c = 0; c < out.rows.header.size(); ++c) {
        const int at = all.find_column(out.rows.header[c]);
        if (at < 0) {
          all.header.push_back(out.rows.header[c]);
          for (auto& r : all.rows) r.emplace_back();
          mapped.emplace_back();
          mapped.back() = row[c];
        } else {
          mapped[static_cast<std::size_t>(at)] = row[c];
        }
      }
      all.rows.push_back(mapped);
    }
  }
  ASSERT_EQ(all.rows.size(), 6u + 5u);
  EXPECT_EQ(without_rebalance_rows(all).rows.size(), 6u);
  // By hand (SixStepSeriesByHand): (1 + 0.75 + 5/6 + 5/6 + 4/6) / 5 = 0.8167; 2 rebalances of 2
  // replicas each; 4 GB at 1e9 bytes per expert; at most 1 replica per GPU.
  const std::string summary = rebalance_summary(all);
  EXPECT_NE(summary.find("| `deepseek` | `every=2,estimate=last,keep=true,skip_below=0,"
                         "expert_bytes=1000000000` | 1 | 5.0 | **0.8167** | 2.00 | 4.0 | 2.0 | "
                         "4.00 | 1 |"),
            std::string::npos)
      << summary;
  const auto plots = rebalance_plots(all);
  ASSERT_EQ(plots.size(), 2u);
  EXPECT_EQ(plots[0].name, "rebalance-pareto-0");
  EXPECT_NE(plots[0].data.find("0.8\t0.816666667"), std::string::npos) << plots[0].data;
  EXPECT_EQ(plots[1].name, "rebalance-timeline-0");
  EXPECT_NE(plots[1].data.find("3\t0.833333333"), std::string::npos) << plots[1].data;
  EXPECT_EQ(rebalance_summary(without_rebalance_rows(all)), "");
  // The per-run table behind README findings: the same hand-computed numbers, one row.
  const CsvTable runs = rebalance_runs(all);
  ASSERT_EQ(runs.rows.size(), 1u);
  auto field = [&](const char* name) {
    return runs.rows[0][static_cast<std::size_t>(runs.column(name, "rebalance_runs"))];
  };
  EXPECT_EQ(field("status"), "ok");
  EXPECT_EQ(field("scored_steps"), "5");
  EXPECT_DOUBLE_EQ(std::stod(field("time_avg_balancedness")),
                   (1.0 + 0.75 + 5.0 / 6.0 + 5.0 / 6.0 + 4.0 / 6.0) / 5.0);
  EXPECT_EQ(field("rebalances"), "2");
  EXPECT_EQ(field("skipped"), "0");
  EXPECT_EQ(field("replicas_moved"), "4");
  EXPECT_DOUBLE_EQ(std::stod(field("bytes_moved")), 4e9);
  EXPECT_EQ(field("max_moves_per_gpu"), "1");
  EXPECT_TRUE(rebalance_runs(without_rebalance_rows(all)).rows.empty());
}

}  // namespace
}  // namespace eplb
