// The README's findings are checked against the shipped experiments' current output.
//
// A number in README.md followed by a marker `<!--claim plan=P stat=S key=value ...-->` is a
// claim: this test recomputes S from plan P's output with the reporting library (the numbers
// the summary prints) and requires the README's number, rounded as written, to match.
//
// Where P's output comes from:
//   - by default, a fresh `eplb run experiments/P.json --repeats 0` (no timing, same placements);
//   - for a plan too slow to run under the sanitizers, a committed snapshot: the files listed in
//     experiments/results/P/snapshot.json, exactly as `eplb run experiments/P.json --repeats 0`
//     wrote them. A snapshot cannot silently go stale: the suite re-runs one shard of P
//     (snapshot.json "check_shard", chosen to be cheap) and requires its rows to be in the
//     snapshot unchanged, and the snapshot to hold every run of P; the opt-in test at the end
//     re-runs all of P (Release) and compares byte for byte, or rewrites the snapshot.
// Mechanism documented in experiments/README.md ("README claims").
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "cli_run.hpp"
#include "eplb/reporting/analysis.hpp"
#include "eplb/storage/csv.hpp"

namespace eplb {
namespace {

namespace fs = std::filesystem;

struct Claim {
  std::string text;  // the number as written
  std::map<std::string, std::string> keys;
};

std::vector<Claim> readme_claims() {
  const std::string readme = test::read_text(std::string(EPLB_SOURCE_DIR) + "/README.md");
  // Thousands may be separated by commas (16,394); they are dropped before comparing.
  static const std::regex kClaim(
      R"(([+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?%?|[+-]?[0-9]+(?:\.[0-9]+)?%?)<!--claim ([^>]*)-->)");
  std::vector<Claim> out;
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), kClaim);
       it != std::sregex_iterator(); ++it) {
    std::string number = (*it)[1].str();
    std::erase(number, ',');
    Claim c{number, {}};
    std::istringstream words((*it)[2].str());
    for (std::string w; words >> w;) {
      const auto eq = w.find('=');
      if (eq != std::string::npos) c.keys[w.substr(0, eq)] = w.substr(eq + 1);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string get(const Claim& c, const std::string& key, const std::string& fallback = "") {
  const auto it = c.keys.find(key);
  return it == c.keys.end() ? fallback : it->second;
}

// `pattern` is one value exactly, `TEXT*` every value containing TEXT, or `a,b,...` any of a
// list of exact values (topologies). Empty matches everything.
bool matches(const std::string& pattern, const std::string& value) {
  if (pattern.empty()) return true;
  if (pattern.ends_with("*"))
    return value.find(pattern.substr(0, pattern.size() - 1)) != std::string::npos;
  if (pattern.find(',') != std::string::npos && value.find(',') == std::string::npos) {
    std::istringstream items(pattern);
    for (std::string item; std::getline(items, item, ',');) {
      if (item == value) return true;
    }
    return false;
  }
  return pattern == value;
}

// ---- claims on results.csv (per-instance rows) -----------------------------------------------

double evaluate_results(const Claim& c, const ResultView& view,
                        const std::vector<SummaryTable>& tables) {
  const std::size_t bal = view.metric_index("balancedness");
  const std::size_t metric = view.metric_index(get(c, "metric", "balancedness"));
  const std::string strategy = get(c, "strategy"), baseline = get(c, "baseline", "deepseek");
  Slice slice;
  for (const SummaryTable& t : tables) {
    if (matches(get(c, "topology"), topology_slug(t.topology)) &&
        matches(get(c, "group"), t.group)) {
      slice.tables.push_back(&t);
    }
  }
  if (slice.tables.empty()) return std::nan("");
  const std::string stat = get(c, "stat");
  if (stat == "mean") return mean_of_groups(view, slice, strategy, metric);
  if (stat == "delta") {
    return mean_of_groups(view, slice, strategy, metric) -
           mean_of_groups(view, slice, baseline, metric);
  }
  const std::size_t bound = view.metric_index("balancedness_bound");
  if (stat == "shortfall_pct") {  // how far below its own bound, in % of the bound
    return 100.0 * (1.0 - mean_of_groups(view, slice, strategy, bal) /
                              mean_of_groups(view, slice, strategy, bound));
  }
  if (stat == "max_shortfall_pct") {  // the same, for the worst group x topology of the slice
    double worst = -INFINITY;
    for (const SummaryTable* t : slice.tables) {
      const StrategyGroup* g = find_strategy(*t, strategy);
      if (g == nullptr) return std::nan("");
      worst =
          std::max(worst, 100.0 * (1.0 - group_mean(view, *g, bal) / group_mean(view, *g, bound)));
    }
    return worst;
  }
  if (stat == "gain_share_pct") {  // strategy's gain over the baseline, in % of reference's gain
    const double base = mean_of_groups(view, slice, baseline, metric);
    return 100.0 * (mean_of_groups(view, slice, strategy, metric) - base) /
           (mean_of_groups(view, slice, get(c, "reference"), metric) - base);
  }
  if (stat == "min" || stat == "max" || stat == "best_count") {
    double lo = INFINITY, hi = -INFINITY, count = 0.0;
    for (const SummaryTable* t : slice.tables) {
      const StrategyGroup* g = find_strategy(*t, strategy);
      if (g == nullptr) return std::nan("");
      const double m = group_mean(view, *g, metric);
      lo = std::min(lo, m);
      hi = std::max(hi, m);
      bool best = true;
      for (const StrategyGroup& other : t->strategies) {
        const std::string& name = other.strategy;
        const bool excluded =
            get(c, "among").empty() ? false : get(c, "among").find(name) == std::string::npos;
        if (!excluded && group_mean(view, other, metric) > m) best = false;
      }
      count += best ? 1.0 : 0.0;
    }
    return stat == "min" ? lo : stat == "max" ? hi : count;
  }
  if (stat == "winrate" || stat == "tie_rate") {
    double wins = 0.0, ties = 0.0, n = 0.0;
    for (const SummaryTable* t : slice.tables) {
      const PairedStats d = table_delta(view, *t, strategy, baseline, bal);
      wins += d.wins;
      ties += d.ties;
      n += d.instances;
    }
    if (n == 0.0) return std::nan("");
    return 100.0 * (stat == "winrate" ? wins + 0.5 * ties : ties) / n;
  }
  ADD_FAILURE() << "unknown stat '" << stat
                << "' (mean, delta, shortfall_pct, max_shortfall_pct, gain_share_pct, min, max, "
                   "best_count, winrate, tie_rate; rebalance: time_avg, time_avg_delta, "
                   "moved_per_step, moved_cut_pct, rebalances)";
  return std::nan("");
}

// ---- claims on rebalance_runs.csv (one row per rebalance run) --------------------------------

const std::set<std::string> kRebalanceStats = {"time_avg", "time_avg_delta", "moved_per_step",
                                               "moved_cut_pct", "rebalances"};

struct RunTotals {
  int runs = 0;
  double time_avg = 0.0, moved = 0.0, steps = 0.0, rebalances = 0.0;
};

// The runs of `strategy` at grid point `grid` (with or without the "rebalance:" prefix) on the
// workloads matching `workload`.
RunTotals rebalance_totals(const CsvTable& runs, const std::string& strategy,
                           const std::string& grid, const std::string& workload) {
  const std::string protocol = grid.rfind("rebalance:", 0) == 0 ? grid : "rebalance:" + grid;
  auto col = [&](const char* name) {
    return static_cast<std::size_t>(runs.column(name, "rebalance_runs.csv"));
  };
  const std::size_t s = col("strategy"), p = col("protocol"), w = col("workload"),
                    status = col("status"), ta = col("time_avg_balancedness"),
                    moved = col("replicas_moved"), steps = col("scored_steps"),
                    reb = col("rebalances");
  RunTotals t;
  for (const auto& row : runs.rows) {
    if (row[s] != strategy || row[p] != protocol || !matches(workload, row[w])) continue;
    EXPECT_EQ(row[status], "ok") << "a claimed rebalance run failed: " << row[w];
    ++t.runs;
    t.time_avg += std::stod(row[ta]);
    t.moved += std::stod(row[moved]);
    t.steps += std::stod(row[steps]);
    t.rebalances += std::stod(row[reb]);
  }
  return t;
}

double evaluate_rebalance(const Claim& c, const CsvTable& runs) {
  const std::string stat = get(c, "stat"), workload = get(c, "workload");
  const RunTotals a = rebalance_totals(runs, get(c, "strategy"), get(c, "grid"), workload);
  // The comparison point: another strategy and/or grid point on the same workloads.
  const RunTotals b = rebalance_totals(runs, get(c, "baseline", get(c, "strategy")),
                                       get(c, "baseline_grid", get(c, "grid")), workload);
  if (a.runs == 0) return std::nan("");
  const double a_moved = a.moved / a.steps;
  if (stat == "time_avg") return a.time_avg / a.runs;
  if (stat == "moved_per_step") return a_moved;
  if (stat == "rebalances") return a.rebalances / a.runs;
  if (b.runs == 0) return std::nan("");
  if (stat == "time_avg_delta") return a.time_avg / a.runs - b.time_avg / b.runs;
  return 100.0 * (1.0 - a_moved / (b.moved / b.steps));  // moved_cut_pct: fewer moves, in %
}

// ---- claims on `eplb plan --previous` (plan=previous) ------------------------------------------

// Plans workload `old` and then `new` with `strategy` on `topology` (R288-G8-N4-P32), the second
// against the first (`--previous`), and reads the moves from the written plan: replicas_moved,
// max_moves_per_gpu or gb_moved (bytes / 1e9), with keep_slots (`keep=true`, default) or without.
double evaluate_previous(const Claim& c, const fs::path& scratch) {
  std::smatch t;
  const std::string topology = get(c, "topology");
  if (!std::regex_match(topology, t, std::regex(R"(R([0-9]+)-G([0-9]+)-N([0-9]+)-P([0-9]+))"))) {
    ADD_FAILURE() << "plan=previous needs topology=R<r>-G<g>-N<n>-P<p>, got '" << topology << "'";
    return std::nan("");
  }
  const std::string common =
      fmt::format("--replicas {} --groups {} --nodes {} --gpus {} --strategy '{}'", t[1].str(),
                  t[2].str(), t[3].str(), t[4].str(), get(c, "strategy"));
  // Claims on the same pair of plans share one pair of calls.
  static std::map<std::string, nlohmann::json> written;
  const std::string key = get(c, "old") + "\n" + get(c, "new") + "\n" + common;
  if (!written.contains(key)) {
    const fs::path dir = scratch / fmt::format("previous_{}", written.size());
    fs::create_directories(dir);
    const auto first = test::run_eplb(fmt::format(
        "plan --workload '{}' {} --out '{}'", get(c, "old"), common, (dir / "old.json").string()));
    EXPECT_EQ(first.exit_code, 0) << first.err;
    const auto second = test::run_eplb(
        fmt::format("plan --workload '{}' {} --previous '{}' --out '{}'", get(c, "new"), common,
                    (dir / "old.json").string(), (dir / "new.json").string()));
    EXPECT_EQ(second.exit_code, 0) << second.err;
    if (first.exit_code != 0 || second.exit_code != 0) return std::nan("");
    written[key] = nlohmann::json::parse(test::read_text((dir / "new.json").string()));
  }
  const nlohmann::json& doc = written.at(key);
  const auto& moves =
      doc.at("migration").at(get(c, "keep", "true") == "true" ? "kept" : "without_keep");
  const std::string stat = get(c, "stat");
  if (stat == "gb_moved") return moves.at("bytes_moved").get<double>() / 1e9;
  return moves.at(stat).get<double>();  // replicas_moved, max_moves_per_gpu
}

// ---- where a plan's output comes from --------------------------------------------------------

fs::path snapshot_dir(const std::string& plan) {
  return fs::path(EPLB_SOURCE_DIR) / "experiments" / "results" / plan;
}

struct Snapshot {
  std::vector<std::string> files;  // as written by the run, e.g. results.csv
  std::string check_shard;         // i/n: the shard the suite re-runs
};

std::optional<Snapshot> read_snapshot(const std::string& plan) {
  const fs::path spec = snapshot_dir(plan) / "snapshot.json";
  if (!fs::exists(spec)) return std::nullopt;
  const auto j = nlohmann::json::parse(test::read_text(spec.string()));
  return Snapshot{j.at("files").get<std::vector<std::string>>(),
                  j.at("check_shard").get<std::string>()};
}

// `eplb run` of a shipped plan from the repository root (plans name files relative to it, e.g.
// python:file=python/examples/...), without timing or plots.
test::CliResult run_plan_cli(const std::string& plan, const fs::path& out,
                             const std::string& extra) {
  return test::run_eplb(fmt::format("run 'experiments/{}.json' --out '{}' --repeats 0 --no-plots "
                                    "--no-progress {}",
                                    plan, out.string(), extra),
                        EPLB_SOURCE_DIR);
}

// The named output files of a plan: the snapshot's, or a fresh run's.
std::map<std::string, CsvTable> plan_output(const std::string& plan, const fs::path& scratch) {
  std::map<std::string, CsvTable> out;
  if (const auto snapshot = read_snapshot(plan)) {
    for (const std::string& f : snapshot->files) out[f] = read_csv(snapshot_dir(plan) / f);
    return out;
  }
  const auto run = run_plan_cli(plan, scratch / plan, "--jobs 2");
  EXPECT_EQ(run.exit_code, 0) << plan << ": " << run.err;
  for (const char* f : {"results.csv", "rebalance_runs.csv"}) {
    if (fs::exists(scratch / plan / f)) out[f] = read_csv(scratch / plan / f);
  }
  return out;
}

TEST(ReadmeClaims, FindingsMatchTheShippedExperimentsOutput) {
  const auto claims = readme_claims();
  ASSERT_GE(claims.size(), 10u) << "README.md lost its claim markers";
  std::map<std::string, std::vector<const Claim*>> by_plan;
  for (const Claim& c : claims) by_plan[get(c, "plan")].push_back(&c);
  const fs::path root = test::make_temp_dir("claims");
  for (const auto& [plan, list] : by_plan) {
    // plan=previous: not an experiment but two `eplb plan` calls per claim (see above).
    const bool cli = plan == "previous";
    const auto output = cli ? std::map<std::string, CsvTable>{} : plan_output(plan, root);
    std::optional<ResultView> view;
    std::vector<SummaryTable> tables;
    if (output.contains("results.csv")) {
      view.emplace(output.at("results.csv"), plan);
      tables = summary_tables(*view);
    }
    for (const Claim* c : list) {
      const bool percent = c->text.ends_with("%");
      const std::string number = percent ? c->text.substr(0, c->text.size() - 1) : c->text;
      const auto dot = number.find('.');
      const int decimals = dot == std::string::npos ? 0 : static_cast<int>(number.size() - dot - 1);
      double value = std::nan("");
      if (cli) {
        value = evaluate_previous(*c, root);
      } else if (kRebalanceStats.contains(get(*c, "stat"))) {
        if (output.contains("rebalance_runs.csv")) {
          value = evaluate_rebalance(*c, output.at("rebalance_runs.csv"));
        }
      } else if (view) {
        value = evaluate_results(*c, *view, tables);
      }
      std::string shown = fmt::format("{:.{}f}", value, decimals);
      if (number.starts_with("+") || number.starts_with("-")) {
        shown = fmt::format(
            "{:+.{}f}", std::abs(value) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : value, decimals);
      }
      std::string keys;
      for (const auto& [k, v] : c->keys) keys += " " + k + "=" + v;
      EXPECT_EQ(shown, number) << "README claim " << c->text << " (" << keys
                               << ") is no longer what the experiment gives";
    }
  }
}

// Rows of a table by run_id, each as column -> value without its empty fields: a shard's
// results.csv has only the parameter columns of its own strategies, so columns are compared by
// name, and a column a table lacks reads as empty.
using NamedRow = std::map<std::string, std::string>;
std::map<std::string, std::vector<NamedRow>> rows_by_run(const CsvTable& t) {
  std::map<std::string, std::vector<NamedRow>> out;
  const auto id = static_cast<std::size_t>(t.column("run_id", "snapshot"));
  for (const auto& row : t.rows) {
    NamedRow named;
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      if (!row[c].empty()) named[t.header[c]] = row[c];
    }
    out[row[id]].push_back(std::move(named));
  }
  return out;
}

TEST(ReadmeClaims, SnapshotsHoldEveryRunAndAgreeWithAFreshShard) {
  const fs::path root = test::make_temp_dir("claim_snapshots");
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(EPLB_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".json") continue;
    const std::string plan = entry.path().stem().string();
    const auto snapshot = read_snapshot(plan);
    if (!snapshot) continue;
#ifndef EPLB_WITH_PYTHON
    // A build without the embedded interpreter (EPLB_BUILD_PYTHON=OFF) cannot run python: plans.
    if (test::read_text(entry.path().string()).find("\"python:") != std::string::npos) continue;
#endif
    ++checked;
    // Every run of the plan as it is now: a plan that gained or lost runs needs a new snapshot.
    const auto dry = test::run_eplb(
        fmt::format("run 'experiments/{}.json' --dry-run --repeats 0", plan), EPLB_SOURCE_DIR);
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    const std::string listing = dry.out + dry.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(listing, m, std::regex(R"(= ([0-9]+) runs)"))) << listing;
    const std::size_t runs = std::stoul(m[1].str());
    // The shard the suite can afford, run now with this build.
    const fs::path out = root / plan;
    const auto run = run_plan_cli(plan, out, "--jobs 2 --shard " + snapshot->check_shard);
    ASSERT_EQ(run.exit_code, 0) << plan << ": " << run.err;
    for (const std::string& file : snapshot->files) {
      const CsvTable committed = read_csv(snapshot_dir(plan) / file);
      const CsvTable fresh = read_csv(out / file);
      const auto committed_runs = rows_by_run(committed);
      EXPECT_EQ(committed_runs.size(), runs)
          << plan << "/" << file << ": the plan has " << runs << " runs now; refresh the snapshot";
      const auto fresh_runs = rows_by_run(fresh);
      EXPECT_FALSE(fresh_runs.empty())
          << plan << ": shard " << snapshot->check_shard << " ran nothing";
      for (const auto& [id, rows] : fresh_runs) {
        const auto it = committed_runs.find(id);
        if (it == committed_runs.end()) {
          ADD_FAILURE() << plan << "/" << file << ": run " << id << " is not in the snapshot";
          continue;
        }
        EXPECT_EQ(it->second, rows) << plan << "/" << file << ": run " << id
                                    << " gives other numbers now; refresh the snapshot (see "
                                       "experiments/README.md, README claims)";
      }
    }
  }
  EXPECT_GE(checked, 1) << "no experiments/results/*/snapshot.json";
}

// Opt-in, Release: EPLB_CLAIM_SNAPSHOTS=check re-runs every snapshot plan in full and compares
// the files byte for byte; EPLB_CLAIM_SNAPSHOTS=update writes them into the snapshot instead.
TEST(ReadmeClaims, SnapshotsAreWhatTheExperimentsWriteNow) {
  const char* mode = std::getenv("EPLB_CLAIM_SNAPSHOTS");
  if (mode == nullptr || (std::string(mode) != "check" && std::string(mode) != "update")) {
    GTEST_SKIP() << "set EPLB_CLAIM_SNAPSHOTS=check (or update) to re-run the snapshot plans in "
                    "full (minutes in Release)";
  }
  const bool update = std::string(mode) == "update";
  const fs::path root = test::make_temp_dir("claim_snapshots_full");
  for (const auto& entry : fs::directory_iterator(fs::path(EPLB_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".json") continue;
    const std::string plan = entry.path().stem().string();
    const auto snapshot = read_snapshot(plan);
    if (!snapshot) continue;
    const auto run = run_plan_cli(plan, root / plan, "--jobs 2");
    ASSERT_EQ(run.exit_code, 0) << plan << ": " << run.err;
    for (const std::string& file : snapshot->files) {
      const std::string fresh = test::read_text((root / plan / file).string());
      const fs::path committed = snapshot_dir(plan) / file;
      if (update) {
        test::write_text(committed.string(), fresh);
      } else {
        EXPECT_TRUE(fresh == test::read_text(committed.string()))
            << committed << " differs from a fresh run (EPLB_CLAIM_SNAPSHOTS=update rewrites it)";
      }
    }
  }
}

}  // namespace
}  // namespace eplb
