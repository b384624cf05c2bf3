// Markdown summary tables from results.csv; see summary.hpp.
#include "eplb/reporting/summary.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "eplb/reporting/analysis.hpp"
#include "eplb/reporting/rebalance_report.hpp"

namespace eplb {
namespace {

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

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out.push_back(c);
  }
  return out;
}

std::string code(std::string_view text) { return fmt::format("`{}`", escape(text)); }

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "—";
  return fmt::format("{:.{}f}", v, decimals);
}

std::string signed_fixed(double v, int decimals) {
  if (std::isnan(v)) return "—";
  // A difference that rounds to zero is shown as +0.0000, never -0.0000.
  const double shown = std::abs(v) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : v;
  return fmt::format("{:+.{}f}", shown, decimals);
}

std::string micros(double v) {
  if (std::isnan(v)) return "—";
  if (v < 10.0) return fmt::format("{:.2f}", v);
  if (v < 1000.0) return fmt::format("{:.1f}", v);
  return fmt::format("{:.0f}", v);
}

// A table column: display texts plus the numbers that decide which cell is best.
struct Column {
  std::string header;
  std::vector<std::string> cells;
  std::vector<double> values;     // NaN: never best
  int direction = 0;              // +1 higher is better, -1 lower is better, 0 not ranked
  std::vector<std::string> keys;  // text compared to find ties with the best (rounded value)
};

void mark_best(Column& column) {
  if (column.direction == 0) return;
  int best = -1;
  for (std::size_t i = 0; i < column.values.size(); ++i) {
    const double v = column.values[i];
    if (std::isnan(v)) continue;
    if (best < 0 || (column.direction > 0 ? v > column.values[static_cast<std::size_t>(best)]
                                          : v < column.values[static_cast<std::size_t>(best)])) {
      best = static_cast<int>(i);
    }
  }
  if (best < 0) return;
  // Only mark when the column separates the rows at the shown precision.
  const std::string& best_key = column.keys[static_cast<std::size_t>(best)];
  std::size_t ties = 0;
  for (const std::string& k : column.keys) ties += k == best_key ? 1 : 0;
  if (ties == column.cells.size() && column.cells.size() > 1) return;
  for (std::size_t i = 0; i < column.cells.size(); ++i) {
    if (!std::isnan(column.values[i]) && column.keys[i] == best_key) {
      column.cells[i] = "**" + column.cells[i] + "**";
    }
  }
}

void render(std::string& out, const std::vector<Column>& columns) {
  if (columns.empty()) return;
  out += "|";
  for (const Column& c : columns) out += " " + c.header + " |";
  out += "\n|";
  for (const Column& c : columns) out += c.direction == 0 ? " --- |" : " ---: |";
  out += "\n";
  for (std::size_t r = 0; r < columns.front().cells.size(); ++r) {
    out += "|";
    for (const Column& c : columns) out += " " + c.cells[r] + " |";
    out += "\n";
  }
  out += "\n";
}

// Value of swept key `key` for a strategy whose first row is `row`, or "·" if it does not sweep it.
std::string swept_value(const ResultView& view, std::size_t row, const std::string& key) {
  const auto keys = split_keys(view.rows()[row].swept);
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) return "·";
  return escape(view.strategy_param(row, key));
}

void table_section(std::string& out, const ResultView& view, const SummaryTable& table,
                   const SummaryOptions& options) {
  const auto& rows = view.rows();
  const std::size_t bal = view.metric_index("balancedness");
  if (table.protocol == "cross") {
    out += fmt::format("### cross · {} · plan on A, score on B\n\n", table.topology);
    out += fmt::format("{} pairs (A -> B): ", table.workloads.size());
  } else {
    out += fmt::format("### {} · {} · {}\n\n", code(table.group), table.topology, table.protocol);
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

  // Baseline values by instance, for the paired delta.
  std::map<std::string, double> baseline;
  for (const StrategyGroup& g : table.strategies) {
    if (g.strategy != options.baseline) continue;
    for (std::size_t r : g.rows) {
      if (rows[r].ok) baseline[instance_key(rows[r])] = view.metric(r, bal);
    }
  }
  const bool has_baseline = !baseline.empty();
  bool any_errors = false;
  for (const StrategyGroup& g : table.strategies) {
    for (std::size_t r : g.rows) any_errors = any_errors || !rows[r].ok;
  }

  std::vector<Column> columns;
  Column name{"strategy", {}, {}, 0, {}};
  for (const StrategyGroup& g : table.strategies) {
    name.cells.push_back(code(g.strategy));
    name.values.push_back(kNaN);
    name.keys.emplace_back();
  }
  columns.push_back(std::move(name));
  for (const std::string& key : table.swept) {
    Column c{code(key), {}, {}, 0, {}};
    for (const StrategyGroup& g : table.strategies) {
      c.cells.push_back(swept_value(view, g.rows.front(), key));
      c.values.push_back(kNaN);
      c.keys.emplace_back();
    }
    columns.push_back(std::move(c));
  }
  Column headline{"balancedness (mean ± 95% CI)", {}, {}, 1, {}};
  std::vector<Column> extra;
  for (const KeyMetric& km : kKeyMetrics) {
    const auto& names = view.metrics();
    const auto it = std::find(names.begin(), names.end(), km.name);
    if (it == names.end()) continue;
    const std::size_t m = static_cast<std::size_t>(it - names.begin());
    extra.push_back({km.header, {}, {}, view.higher_is_better(m) ? 1 : -1, {}});
  }
  Column delta{fmt::format("Δ bal. vs {}", code(options.baseline)), {}, {}, 1, {}};
  Column time{"plan µs (median)", {}, {}, -1, {}};
  Column count{any_errors ? "rows (errors)" : "rows", {}, {}, 0, {}};

  for (const StrategyGroup& g : table.strategies) {
    std::vector<double> values, diffs, times;
    int errors = 0;
    for (std::size_t r : g.rows) {
      if (!rows[r].ok) {
        ++errors;
        continue;
      }
      const double v = view.metric(r, bal);
      values.push_back(v);
      times.push_back(rows[r].plan_us);
      if (auto it = baseline.find(instance_key(rows[r])); it != baseline.end()) {
        diffs.push_back(v - it->second);
      }
    }
    const Stats s = stats_of(values);
    headline.cells.push_back(std::isnan(s.ci95) ? fixed(s.mean, 4)
                                                : fixed(s.mean, 4) + " ± " + fixed(s.ci95, 4));
    headline.values.push_back(s.mean);
    headline.keys.push_back(fixed(s.mean, 4));

    std::size_t e = 0;
    for (const KeyMetric& km : kKeyMetrics) {
      const auto& names = view.metrics();
      const auto it = std::find(names.begin(), names.end(), km.name);
      if (it == names.end()) continue;
      const std::size_t m = static_cast<std::size_t>(it - names.begin());
      std::vector<double> mv;
      for (std::size_t r : g.rows) mv.push_back(view.metric(r, m));
      const double mean = stats_of(mv).mean;
      extra[e].cells.push_back(fixed(mean, km.decimals));
      extra[e].values.push_back(mean);
      extra[e].keys.push_back(fixed(mean, km.decimals));
      ++e;
    }
    const Stats d = stats_of(diffs);
    const bool is_baseline = g.strategy == options.baseline;
    delta.cells.push_back(is_baseline ? "(baseline)"
                          : std::isnan(d.ci95)
                              ? signed_fixed(d.mean, 4)
                              : signed_fixed(d.mean, 4) + " ± " + fixed(d.ci95, 4));
    delta.values.push_back(is_baseline ? kNaN : d.mean);
    delta.keys.push_back(signed_fixed(d.mean, 4));
    const double t = median_of(times);
    time.cells.push_back(micros(t));
    time.values.push_back(t);
    time.keys.push_back(micros(t));
    count.cells.push_back(errors > 0 ? fmt::format("{} (**{}**)", g.rows.size(), errors)
                                     : std::to_string(g.rows.size()));
    count.values.push_back(kNaN);
    count.keys.emplace_back();
  }
  columns.push_back(std::move(headline));
  for (Column& c : extra) columns.push_back(std::move(c));
  if (has_baseline) columns.push_back(std::move(delta));
  columns.push_back(std::move(time));
  columns.push_back(std::move(count));
  for (Column& c : columns) mark_best(c);
  render(out, columns);
}

// Mean balancedness of every strategy across the workload groups of one topology x protocol.
void overview_section(std::string& out, const ResultView& view,
                      const std::vector<const SummaryTable*>& tables) {
  const std::size_t bal = view.metric_index("balancedness");
  std::vector<std::string> strategies;
  std::map<std::string, std::size_t> first_row;
  std::vector<std::string> swept;
  for (const SummaryTable* t : tables) {
    for (const StrategyGroup& g : t->strategies) {
      if (first_row.emplace(g.strategy, g.rows.front()).second) strategies.push_back(g.strategy);
    }
    for (const std::string& k : t->swept) {
      if (std::find(swept.begin(), swept.end(), k) == swept.end()) swept.push_back(k);
    }
  }
  out += fmt::format("### Overview · {} · {}: mean balancedness per workload group\n\n",
                     tables.front()->topology, tables.front()->protocol);
  std::vector<Column> columns;
  Column name{"strategy", {}, {}, 0, {}};
  for (const std::string& s : strategies) {
    name.cells.push_back(code(s));
    name.values.push_back(kNaN);
    name.keys.emplace_back();
  }
  columns.push_back(std::move(name));
  for (const std::string& key : swept) {
    Column c{code(key), {}, {}, 0, {}};
    for (const std::string& s : strategies) {
      c.cells.push_back(swept_value(view, first_row[s], key));
      c.values.push_back(kNaN);
      c.keys.emplace_back();
    }
    columns.push_back(std::move(c));
  }
  std::vector<std::vector<double>> means(strategies.size());
  for (const SummaryTable* t : tables) {
    Column c{code(t->group), {}, {}, 1, {}};
    for (std::size_t si = 0; si < strategies.size(); ++si) {
      const auto g =
          std::find_if(t->strategies.begin(), t->strategies.end(),
                       [&](const StrategyGroup& x) { return x.strategy == strategies[si]; });
      double mean = kNaN;
      if (g != t->strategies.end()) {
        std::vector<double> v;
        for (std::size_t r : g->rows) v.push_back(view.metric(r, bal));
        mean = stats_of(v).mean;
      }
      means[si].push_back(mean);
      c.cells.push_back(fixed(mean, 4));
      c.values.push_back(mean);
      c.keys.push_back(fixed(mean, 4));
    }
    columns.push_back(std::move(c));
  }
  Column avg{"mean of groups", {}, {}, 1, {}};
  for (const auto& m : means) {
    double sum = 0.0;
    bool complete = true;
    for (double v : m) {
      complete = complete && !std::isnan(v);
      sum += v;
    }
    const double mean = complete ? sum / static_cast<double>(m.size()) : kNaN;
    avg.cells.push_back(fixed(mean, 4));
    avg.values.push_back(mean);
    avg.keys.push_back(fixed(mean, 4));
  }
  columns.push_back(std::move(avg));
  for (Column& c : columns) mark_best(c);
  render(out, columns);
}

void tuning_section(std::string& out, const ResultView& view, const SummaryOptions& options) {
  const auto& rows = view.rows();
  bool tune = false, holdout = false;
  for (const auto& r : rows) {
    tune = tune || r.split == "tune";
    holdout = holdout || r.split == "holdout";
  }
  if (!tune || !holdout) return;
  const std::size_t bal = view.metric_index("balancedness");
  // family -> strategy -> (tune values, holdout values), in first-appearance order
  struct Acc {
    std::string strategy;
    std::size_t first_row;
    std::vector<double> tune, holdout;
  };
  std::vector<std::string> families;
  std::map<std::string, std::vector<Acc>> by_family;
  std::vector<double> baseline_holdout;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.strategy == options.baseline && r.split == "holdout") {
      baseline_holdout.push_back(view.metric(i, bal));
    }
    if (r.swept.empty()) continue;
    if (!by_family.count(r.family)) families.push_back(r.family);
    auto& list = by_family[r.family];
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Acc& a) { return a.strategy == r.strategy; });
    if (it == list.end()) {
      list.push_back({r.strategy, i, {}, {}});
      it = list.end() - 1;
    }
    if (r.split == "tune") it->tune.push_back(view.metric(i, bal));
    if (r.split == "holdout") it->holdout.push_back(view.metric(i, bal));
  }
  if (families.empty()) return;
  out += "## Tuning: chosen on \"tune\" workloads, reported on \"holdout\" workloads\n\n";
  out +=
      "Mean balancedness over all rows of each split. *chosen* maximises the tune mean; "
      "*best on holdout* is the oracle choice, shown to measure what tuning leaves on the "
      "table.\n\n";
  out += fmt::format(
      "| family | chosen on tune | tune | holdout (chosen) | holdout (family as written) | "
      "best on holdout | holdout (best) | holdout ({}) |\n",
      code(options.baseline));
  out += "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |\n";
  auto describe = [&](const Acc& a) {
    std::string text;
    for (const std::string& k : split_keys(rows[a.first_row].swept)) {
      text +=
          fmt::format("{}{}={}", text.empty() ? "" : ", ", k, view.strategy_param(a.first_row, k));
    }
    return escape(text);
  };
  for (const std::string& family : families) {
    const auto& list = by_family[family];
    const Acc* chosen = nullptr;
    const Acc* oracle = nullptr;
    const Acc* as_written = nullptr;
    for (const Acc& a : list) {
      const double t = stats_of(a.tune).mean, h = stats_of(a.holdout).mean;
      if (!std::isnan(t) && (!chosen || t > stats_of(chosen->tune).mean)) chosen = &a;
      if (!std::isnan(h) && (!oracle || h > stats_of(oracle->holdout).mean)) oracle = &a;
      if (a.strategy == family) as_written = &a;
    }
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n", code(family),
        chosen ? describe(*chosen) : "—", chosen ? fixed(stats_of(chosen->tune).mean, 4) : "—",
        chosen ? fixed(stats_of(chosen->holdout).mean, 4) : "—",
        as_written ? fixed(stats_of(as_written->holdout).mean, 4) : "—",
        oracle ? describe(*oracle) : "—", oracle ? fixed(stats_of(oracle->holdout).mean, 4) : "—",
        fixed(stats_of(baseline_holdout).mean, 4));
  }
  out += "\n";
}

void win_rate_section(std::string& out, const ResultView& view) {
  const WinRates w = win_rates(view, "balancedness");
  const std::size_t n = w.strategies.size();
  if (n < 2 || n > 12) return;
  out += "## Win rate (balancedness)\n\n";
  out +=
      "Share of paired instances (same workload, topology, protocol and step) where the row "
      "strategy beats the column strategy; ties count one half.\n\n|  |";
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

std::string summarize(const CsvTable& results, const SummaryOptions& options) {
  // Rebalance rows have their own section (rebalance_report.hpp).
  const CsvTable generic = without_rebalance_rows(results);
  const std::string rebalance = rebalance_summary(results);
  const ResultView view(generic, options.source);
  const auto& rows = view.rows();
  std::string out = fmt::format("# {}\n\n", options.title.empty() ? "Results" : options.title);
  if (!options.description.empty()) out += options.description + "\n\n";
  if (rows.empty() && !rebalance.empty()) return out + rebalance;
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
      "{} runs, {} rows{}, {} strategies, {} workloads. Cells: mean over seeds and steps "
      "(± 95% CI when there are >= 2 rows); **bold**: best in its column; Δ: paired difference "
      "in balancedness against {} on the same instances.\n\n",
      runs.size(), rows.size(), errors > 0 ? fmt::format(" (**{} error rows**)", errors) : "",
      strategies.size(), workloads.size(), code(options.baseline));
  if (rows.empty()) return out + "No rows yet.\n";

  const auto tables = summary_tables(view);
  // Overview first when a (topology x protocol) spans several workload groups.
  std::vector<std::pair<std::string, std::vector<const SummaryTable*>>> slices;
  for (const SummaryTable& t : tables) {
    const std::string key = t.topology + " " + t.protocol;
    auto it =
        std::find_if(slices.begin(), slices.end(), [&](const auto& s) { return s.first == key; });
    if (it == slices.end()) {
      slices.push_back({key, {}});
      it = slices.end() - 1;
    }
    it->second.push_back(&t);
  }
  for (const auto& [key, list] : slices) {
    if (list.size() > 1) overview_section(out, view, list);
  }
  out += "## Per workload group\n\n";
  for (const SummaryTable& t : tables) table_section(out, view, t, options);
  tuning_section(out, view, options);
  win_rate_section(out, view);
  error_section(out, view);
  return out + rebalance;
}

}  // namespace eplb
