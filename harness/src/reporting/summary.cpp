// Markdown summary tables from results.csv; see summary.hpp.
#include "eplb/reporting/summary.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "eplb/reporting/analysis.hpp"
#include "eplb/reporting/rebalance_report.hpp"
#include "eplb/reporting/tuning.hpp"
#include "markdown_table.hpp"

namespace eplb {
namespace {

using md::code;
using md::Column;
using md::escape;
using md::fixed;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Metrics shown next to the headline balancedness (all metrics are in results.csv).
struct KeyMetric {
  const char* name;
  const char* header;
  int decimals;
};
constexpr KeyMetric kKeyMetrics[] = {
    {"gap", "gap", 4},
    {"worst_layer_balancedness", "worst layer", 4},
    {"balancedness_node", "node bal.", 4},
    {"duplicate_replicas", "dup. replicas", 1},
    {"group_node_span", "group node span", 2},
    {"off_node_load_share", "off-node load", 4},
};

void figure_links(std::string& out, const SummaryOptions& options, const std::string& anchor) {
  std::string links;
  for (const FigureRef& f : options.figures) {
    if (f.anchor != anchor) continue;
    links += fmt::format("- [{}](plots/{}.png)\n", escape(f.caption), f.name);
  }
  if (!links.empty()) out += "Figures:\n\n" + links + "\n";
}

// Value of swept key `key` for a strategy whose first row is `row`, or "·" if it does not sweep it.
std::string swept_value(const ResultView& view, std::size_t row, const std::string& key) {
  const auto keys = split_keys(view.rows()[row].swept);
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) return "·";
  return escape(view.strategy_param(row, key));
}

void table_section(std::string& out, const ResultView& view, const SummaryTable& table,
                   const GroupLabels& labels, const SummaryOptions& options) {
  const auto& rows = view.rows();
  const std::size_t bal = view.metric_index("balancedness");
  if (table.protocol == "cross") {
    out += fmt::format("### cross · {} · plan on A, score on B\n\n", table.topology);
    out += fmt::format("{} pairs (A -> B): ", table.workloads.size());
  } else {
    out += fmt::format("### {} · {} · {}\n\n", code(labels.label(table.group)), table.topology,
                       table.protocol);
    out += table.workloads.size() > 1 ? fmt::format("{} workloads: ", table.workloads.size())
                                      : std::string("workload: ");
  }
  const std::size_t shown = std::min<std::size_t>(table.workloads.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) {
    out += (i > 0 ? ", " : "") + code(table.workloads[i]);
  }
  if (shown < table.workloads.size())
    out += fmt::format(", … ({} more)", table.workloads.size() - shown);
  out += ".\n\n";

  const bool has_baseline = find_strategy(table, options.baseline) != nullptr;
  bool any_errors = false;
  for (const StrategyGroup& g : table.strategies) {
    for (std::size_t r : g.rows) any_errors = any_errors || !rows[r].ok;
  }
  std::vector<Column> columns;
  Column name("strategy");
  for (const StrategyGroup& g : table.strategies) name.add(code(g.strategy));
  columns.push_back(std::move(name));
  for (const std::string& key : table.swept) {
    Column c(code(key));
    for (const StrategyGroup& g : table.strategies) c.add(swept_value(view, g.rows.front(), key));
    columns.push_back(std::move(c));
  }
  Column headline("balancedness (mean ± 95% CI)", 1);
  std::vector<std::pair<std::size_t, Column>> extra;
  for (const KeyMetric& km : kKeyMetrics) {
    const auto& names = view.metrics();
    const auto it = std::find(names.begin(), names.end(), km.name);
    if (it == names.end()) continue;
    const auto m = static_cast<std::size_t>(it - names.begin());
    extra.push_back({m, Column(km.header, view.higher_is_better(m) ? 1 : -1)});
  }
  Column delta(fmt::format("Δ bal. vs {} [95% CI]", code(options.baseline)), 1);
  Column wtl("W/T/L");
  Column time("plan µs median [IQR]", -1);
  Column count(any_errors ? "rows (errors)" : "rows");

  for (const StrategyGroup& g : table.strategies) {
    std::vector<double> values, times;
    int errors = 0;
    for (std::size_t r : g.rows) {
      if (!rows[r].ok) {
        ++errors;
        continue;
      }
      values.push_back(view.metric(r, bal));
      times.push_back(rows[r].plan_us);
    }
    const Stats s = stats_of(values);
    headline.add(std::isnan(s.ci95) ? fixed(s.mean, 4) : fixed(s.mean, 4) + " ± " + fixed(s.ci95, 4),
                 s.mean, fixed(s.mean, 4));
    for (auto& [m, column] : extra) {
      const double mean = group_mean(view, g, m);
      const int decimals = column.header == std::string("dup. replicas") ? 1 : 4;
      column.add(fixed(mean, decimals), mean, fixed(mean, decimals));
    }
    if (g.strategy == options.baseline) {
      delta.add("(baseline)");
      wtl.add("");
    } else {
      const PairedStats d = table_delta(view, table, g.strategy, options.baseline, bal);
      delta.add(md::delta_cell(d, 4), d.mean, md::signed_fixed(d.mean, 4));
      wtl.add(d.instances > 0 ? md::wtl_cell(d) : "—");
    }
    const Quartiles q = quartiles_of(times);
    time.add(std::isnan(q.median) ? "—"
                                  : fmt::format("{} [{}–{}]", md::micros(q.median),
                                                md::micros(q.q1), md::micros(q.q3)),
             q.median, md::micros(q.median));
    time.low.push_back(q.q1);
    time.high.push_back(q.q3);
    count.add(errors > 0 ? fmt::format("{} (**{}**)", g.rows.size(), errors)
                         : std::to_string(g.rows.size()));
  }
  columns.push_back(std::move(headline));
  for (auto& [m, c] : extra) columns.push_back(std::move(c));
  if (has_baseline) {
    columns.push_back(std::move(delta));
    columns.push_back(std::move(wtl));
  }
  columns.push_back(std::move(time));
  columns.push_back(std::move(count));
  for (Column& c : columns) md::mark_best(c);
  md::render(out, columns);
  figure_links(out, options, table_anchor(table.group, table.topology, table.protocol));
}

// Mean balancedness of every strategy across the workload groups of one slice.
void overview_section(std::string& out, const ResultView& view, const Slice& slice,
                      const GroupLabels& labels) {
  const std::size_t bal = view.metric_index("balancedness");
  out += "### Mean balancedness per workload group\n\n";
  std::vector<Column> columns;
  Column name("strategy");
  std::map<std::string, std::size_t> first_row;
  std::vector<std::string> swept;
  for (const SummaryTable* t : slice.tables) {
    for (const StrategyGroup& g : t->strategies) first_row.emplace(g.strategy, g.rows.front());
    for (const std::string& k : t->swept) {
      if (std::find(swept.begin(), swept.end(), k) == swept.end()) swept.push_back(k);
    }
  }
  for (const std::string& s : slice.strategies) name.add(code(s));
  columns.push_back(std::move(name));
  for (const std::string& key : swept) {
    Column c(code(key));
    for (const std::string& s : slice.strategies) c.add(swept_value(view, first_row[s], key));
    columns.push_back(std::move(c));
  }
  for (const SummaryTable* t : slice.tables) {
    Column c(code(labels.label(t->group)), 1);
    for (const std::string& s : slice.strategies) {
      const StrategyGroup* g = find_strategy(*t, s);
      const double mean = g ? group_mean(view, *g, bal) : kNaN;
      c.add(fixed(mean, 4), mean, fixed(mean, 4));
    }
    columns.push_back(std::move(c));
  }
  Column avg("mean of groups", 1);
  for (const std::string& s : slice.strategies) {
    const double mean = mean_of_groups(view, slice, s, bal);
    avg.add(fixed(mean, 4), mean, fixed(mean, 4));
  }
  columns.push_back(std::move(avg));
  for (Column& c : columns) md::mark_best(c);
  md::render(out, columns);
}

// The overall row per strategy: Δ against the baseline across the slice's groups.
void overall_section(std::string& out, const ResultView& view, const Slice& slice,
                     const SummaryOptions& options) {
  const std::size_t bal = view.metric_index("balancedness");
  if (std::find(slice.strategies.begin(), slice.strategies.end(), options.baseline) ==
      slice.strategies.end()) {
    return;
  }
  const bool one_table = slice.tables.size() == 1;
  out += fmt::format("### Δ balancedness vs {}, overall\n\n", code(options.baseline));
  std::vector<Column> columns;
  Column name("strategy"), mean("mean bal.", 1), delta("Δ [95% CI]", 1),
      unit("resampled unit (n)"), p("Wilcoxon p"), wtl("W/T/L instances");
  for (const std::string& s : slice.strategies) {
    if (s == options.baseline) continue;
    const PairedStats d = one_table
                              ? table_delta(view, *slice.tables.front(), s, options.baseline, bal)
                              : overall_delta(view, slice, s, options.baseline, bal);
    const double m = mean_of_groups(view, slice, s, bal);
    name.add(code(s));
    mean.add(fixed(m, 4), m, fixed(m, 4));
    delta.add(md::delta_cell(d, 4), d.mean, md::signed_fixed(d.mean, 4));
    unit.add(fmt::format("{} ({})", d.unit_name, d.units));
    p.add(md::p_cell(d) + (std::isnan(d.p_value) ? "" : d.exact_p ? " exact" : " normal"));
    wtl.add(md::wtl_cell(d));
  }
  if (name.cells.empty()) return;
  for (Column* c : {&name, &mean, &delta, &unit, &p, &wtl}) columns.push_back(std::move(*c));
  for (Column& c : columns) md::mark_best(c);
  md::render(out, columns);
}

void tuning_section(std::string& out, const ResultView& view,
                    const std::vector<SummaryTable>& tables, const SummaryOptions& options) {
  const auto families = tuning_families(view, tables, options.baseline);
  if (families.empty()) return;
  out += "## Tuning: chosen on \"tune\" workloads, judged on \"holdout\" workloads\n\n";
  out += fmt::format(
      "Scores: mean balancedness of workload-group means of each split. The chosen point "
      "maximises the tune score; points with exactly its tune score are listed as tied. Δ on "
      "holdout: chosen minus {} over the holdout groups (bootstrap over workload groups).\n\n",
      code(options.baseline));
  for (const TuningFamily& f : families) {
    const TuningPoint& c = f.points[f.chosen];
    out += fmt::format("### {}: {} grid points\n\n", code(f.family), f.points.size());
    std::string tied;
    for (std::size_t i : f.tied) tied += (tied.empty() ? "" : "; ") + escape(f.points[i].setting);
    out += "| | setting | tune | holdout | rank on tune | rank on holdout |\n";
    out += "| --- | --- | ---: | ---: | ---: | ---: |\n";
    const int n = static_cast<int>(f.points.size());
    out += fmt::format("| chosen | {} | {} | {} | {} of {} | {} of {} |\n", escape(c.setting),
                       fixed(c.tune, 4), fixed(c.holdout, 4), c.rank_tune, n, c.rank_holdout, n);
    const TuningPoint& o = f.points[f.oracle];
    out += fmt::format("| best on holdout | {} | {} | {} | {} of {} | {} of {} |\n",
                       escape(o.setting), fixed(o.tune, 4), fixed(o.holdout, 4), o.rank_tune, n,
                       o.rank_holdout, n);
    out += fmt::format("| baseline {} | | {} | {} | | |\n\n", code(options.baseline),
                       fixed(f.baseline_tune, 4), fixed(f.baseline_holdout, 4));
    out += fmt::format(
        "Tied with the chosen point on tune: {}. Δ on holdout vs {}: {} (units: {} {}s; "
        "Wilcoxon p {}; W/T/L {}). Gain on tune: {}.\n\n",
        tied.empty() ? "none" : tied, code(options.baseline), md::delta_cell(f.holdout_delta, 4),
        f.holdout_delta.units, f.holdout_delta.unit_name, md::p_cell(f.holdout_delta),
        md::wtl_cell(f.holdout_delta), md::signed_fixed(c.tune - f.baseline_tune, 4));
    // Every grid point, best tune score first.
    std::vector<std::size_t> order(f.points.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return f.points[a].rank_tune < f.points[b].rank_tune;
    });
    out += "<details><summary>every grid point</summary>\n\n";
    out += "| setting | tune | rank | holdout | rank |\n| --- | ---: | ---: | ---: | ---: |\n";
    for (std::size_t i : order) {
      const TuningPoint& p = f.points[i];
      out += fmt::format("| {} | {} | {} | {} | {} |\n", escape(p.setting), fixed(p.tune, 4),
                         p.rank_tune, fixed(p.holdout, 4), p.rank_holdout);
    }
    out += "\n</details>\n\n";
  }
  figure_links(out, options, kTuningAnchor);
}

// Capped at 12 strategies: the baseline and the best by mean balancedness.
void win_rate_section(std::string& out, const ResultView& view, const Slice& slice,
                      const SummaryOptions& options) {
  const std::vector<std::string> keep = capped_strategies(view, slice, options.baseline, 12);
  std::vector<std::size_t> subset;
  for (const SummaryTable* t : slice.tables) {
    for (const StrategyGroup& g : t->strategies) {
      if (std::find(keep.begin(), keep.end(), g.strategy) == keep.end()) continue;
      subset.insert(subset.end(), g.rows.begin(), g.rows.end());
    }
  }
  const WinRates w = win_rates(view, "balancedness", &subset);
  const std::size_t n = w.strategies.size();
  if (n < 2) return;
  out += fmt::format("### Win rate (balancedness) · {}\n\n", slice.key());
  if (slice.strategies.size() > n) {
    out += fmt::format("The baseline and the {} best of {} strategies by mean balancedness. ",
                       n - 1, slice.strategies.size());
  }
  out +=
      "Share of paired instances where the row strategy beats the column strategy; ties count "
      "one half.\n\n|  |";
  for (std::size_t j = 0; j < n; ++j) out += fmt::format(" S{} |", j + 1);
  out += " mean |\n| --- |";
  for (std::size_t j = 0; j <= n; ++j) out += " ---: |";
  out += "\n";
  for (std::size_t i = 0; i < n; ++i) {
    out += fmt::format("| S{} {} |", i + 1, code(w.strategies[i]));
    double sum = 0.0;
    int count = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double r = w.rate(i, j);
      out += i == j || std::isnan(r) ? " — |" : fmt::format(" {:.0f}% |", 100.0 * r);
      if (i != j && !std::isnan(r)) {
        sum += r;
        ++count;
      }
    }
    out += count > 0 ? fmt::format(" {:.0f}% |\n", 100.0 * sum / count) : " — |\n";
  }
  out += "\n";
}

void error_section(std::string& out, const ResultView& view) {
  std::map<std::pair<std::string, std::string>, int> counts;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& r : view.rows()) {
    if (r.ok) continue;
    auto key = std::make_pair(r.strategy, r.error);
    if (counts[key]++ == 0) order.push_back(key);
  }
  if (order.empty()) return;
  out +=
      "## Errors\n\nRows whose strategy failed or whose placement the validator rejected "
      "(status=error in results.csv; they carry no metric):\n\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(order.size(), 10); ++i) {
    out += fmt::format("- {} × {}: {}\n", counts[order[i]], code(order[i].first),
                       escape(order[i].second));
  }
  if (order.size() > 10) out += fmt::format("- … {} more distinct errors\n", order.size() - 10);
  out += "\n";
}

}  // namespace

std::string slice_anchor(const std::string& topology, const std::string& protocol) {
  return "slice\n" + topology + "\n" + protocol;
}

std::string table_anchor(const std::string& group, const std::string& topology,
                         const std::string& protocol) {
  return "table\n" + group + "\n" + topology + "\n" + protocol;
}

std::string summarize(const CsvTable& results, const SummaryOptions& options) {
  // Rebalance rows have their own section (rebalance_report.hpp).
  const CsvTable generic = without_rebalance_rows(results);
  const std::string rebalance = rebalance_summary(results);
  const ResultView view(generic, options.source);
  const auto& rows = view.rows();
  std::string out = fmt::format("# {}\n\n", options.title.empty() ? "Results" : options.title);
  if (!options.description.empty()) out += options.description + "\n\n";
  if (rows.empty() && !rebalance.empty()) return out + rebalance + options.footer;
  std::set<int> runs;
  std::set<std::string> strategies, workloads;
  int errors = 0;
  for (const auto& r : rows) {
    runs.insert(r.run);
    strategies.insert(r.strategy);
    workloads.insert(r.workload);
    errors += r.ok ? 0 : 1;
  }
  out += fmt::format(
      "{} runs, {} rows{}, {} strategies, {} workloads. Cells: mean over seeds and steps (± 95% "
      "CI, Student t over rows, when there are >= 2; steps of one series are correlated, so read "
      "it as a spread). **Bold**: best in its column. Δ: paired difference in balancedness "
      "against {} on the same instances, 95% bootstrap CI resampling the unit named in the "
      "table (whole workloads within a group, plan workloads for cross pairs, workload groups "
      "overall; no interval with one unit); ✓: significant, i.e. the interval excludes 0 and "
      "the Wilcoxon signed-rank p over the units is < 0.05. W/T/L: paired instances won, tied, "
      "lost. Plan time: median [interquartile range] over the rows of each row's median timed "
      "call; bold only when its range clears every other row's.\n\n",
      runs.size(), rows.size(), errors > 0 ? fmt::format(" (**{} error rows**)", errors) : "",
      strategies.size(), workloads.size(), code(options.baseline));
  if (rows.empty()) return out + "No rows yet.\n" + options.footer;

  const auto tables = summary_tables(view);
  const GroupLabels labels(tables);
  if (!labels.key().empty()) {
    out += "Workload key:\n\n";
    for (const auto& [label, spec] : labels.key()) {
      out += fmt::format("- {}: {}\n", code(label), code(spec));
    }
    out += "\n";
  }
  const auto slices = slices_of(tables);
  for (const Slice& slice : slices) {
    out += fmt::format("## {}\n\n", slice.key());
    if (slice.tables.size() > 1) overview_section(out, view, slice, labels);
    overall_section(out, view, slice, options);
    figure_links(out, options, slice_anchor(slice.topology, slice.protocol));
  }
  out += "## Per workload group\n\n";
  for (const SummaryTable& t : tables) table_section(out, view, t, labels, options);
  tuning_section(out, view, tables, options);
  if (!slices.empty()) out += "## Win rates\n\n";
  for (const Slice& slice : slices) win_rate_section(out, view, slice, options);
  error_section(out, view);
  return out + rebalance + options.footer;
}

}  // namespace eplb
