// The README's findings are checked against the shipped experiments' current output.
//
// A number in README.md followed by a marker `<!--claim plan=P stat=S key=value ...-->` is a
// claim: this test runs experiments/P.json (with --repeats 0: no timing, same placements),
// recomputes S from results.csv with the reporting library (the numbers the summary prints)
// and requires the README's number, rounded as written, to match. Mechanism documented in
// experiments/README.md ("README claims").
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
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
  static const std::regex kClaim(R"(([+-]?[0-9]+(?:\.[0-9]+)?%?)<!--claim ([^>]*)-->)");
  std::vector<Claim> out;
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), kClaim);
       it != std::sregex_iterator(); ++it) {
    Claim c{(*it)[1].str(), {}};
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

// The value a claim states, from the rows of its plan.
double evaluate(const Claim& c, const ResultView& view, const std::vector<SummaryTable>& tables) {
  const std::size_t bal = view.metric_index("balancedness");
  const std::string topology = get(c, "topology"), group = get(c, "group");
  const std::string strategy = get(c, "strategy"), baseline = get(c, "baseline", "deepseek");
  Slice slice;
  for (const SummaryTable& t : tables) {
    if (!topology.empty() && topology_slug(t.topology) != topology) continue;
    // group=SPEC matches one workload group exactly; group=TEXT* every group containing TEXT.
    if (!group.empty() && !(group.ends_with("*")
                                ? t.group.find(group.substr(0, group.size() - 1)) != std::string::npos
                                : t.group == group)) {
      continue;
    }
    slice.tables.push_back(&t);
  }
  if (slice.tables.empty()) return std::nan("");
  const std::string stat = get(c, "stat");
  if (stat == "mean") return mean_of_groups(view, slice, strategy, bal);
  if (stat == "delta") {
    return mean_of_groups(view, slice, strategy, bal) - mean_of_groups(view, slice, baseline, bal);
  }
  if (stat == "min" || stat == "max" || stat == "best_count") {
    double lo = INFINITY, hi = -INFINITY, count = 0.0;
    for (const SummaryTable* t : slice.tables) {
      const StrategyGroup* g = find_strategy(*t, strategy);
      if (g == nullptr) return std::nan("");
      const double m = group_mean(view, *g, bal);
      lo = std::min(lo, m);
      hi = std::max(hi, m);
      bool best = true;
      for (const StrategyGroup& other : t->strategies) {
        const std::string& name = other.strategy;
        const bool excluded = get(c, "among").empty()
                                  ? false
                                  : get(c, "among").find(name) == std::string::npos;
        if (!excluded && group_mean(view, other, bal) > m) best = false;
      }
      count += best ? 1.0 : 0.0;
    }
    return stat == "min" ? lo : stat == "max" ? hi : count;
  }
  if (stat == "winrate") {
    double wins = 0.0, n = 0.0;
    for (const SummaryTable* t : slice.tables) {
      const PairedStats d = table_delta(view, *t, strategy, baseline, bal);
      wins += d.wins + 0.5 * d.ties;
      n += d.instances;
    }
    return n > 0 ? 100.0 * wins / n : std::nan("");
  }
  ADD_FAILURE() << "unknown stat '" << stat << "' (mean, delta, min, max, best_count, winrate)";
  return std::nan("");
}

TEST(ReadmeClaims, FindingsMatchTheShippedExperimentsOutput) {
  const auto claims = readme_claims();
  ASSERT_GE(claims.size(), 10u) << "README.md lost its claim markers";
  std::map<std::string, std::vector<const Claim*>> by_plan;
  for (const Claim& c : claims) by_plan[get(c, "plan")].push_back(&c);
  const fs::path root = test::make_temp_dir("claims");
  for (const auto& [plan, list] : by_plan) {
    const fs::path out = root / plan;
    const auto run = test::run_eplb(fmt::format(
        "run '{}/experiments/{}.json' --out '{}' --repeats 0 --jobs 2 --no-plots --no-progress",
        EPLB_SOURCE_DIR, plan, out.string()));
    ASSERT_EQ(run.exit_code, 0) << plan << ": " << run.err;
    const CsvTable csv = read_csv(out / "results.csv");
    const ResultView view(csv, plan);
    const auto tables = summary_tables(view);
    for (const Claim* c : list) {
      const bool percent = c->text.ends_with("%");
      const std::string number = percent ? c->text.substr(0, c->text.size() - 1) : c->text;
      const auto dot = number.find('.');
      const int decimals = dot == std::string::npos ? 0 : static_cast<int>(number.size() - dot - 1);
      const double value = evaluate(*c, view, tables);
      std::string shown = fmt::format("{:.{}f}", value, decimals);
      if (number.starts_with("+") || number.starts_with("-")) {
        shown = fmt::format("{:+.{}f}", std::abs(value) < 0.5 * std::pow(10.0, -decimals) ? 0.0
                                                                                            : value,
                            decimals);
      }
      EXPECT_EQ(shown, number) << "README claim " << c->text << " (plan=" << plan
                               << " stat=" << get(*c, "stat") << " strategy="
                               << get(*c, "strategy") << " group=" << get(*c, "group")
                               << " topology=" << get(*c, "topology")
                               << ") is no longer what the experiment gives";
    }
  }
}

}  // namespace
}  // namespace eplb
