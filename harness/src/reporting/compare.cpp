// Paired comparison of two result tables; see compare.hpp.
#include "eplb/reporting/compare.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "eplb/error.hpp"
#include "eplb/reporting/analysis.hpp"
#include "markdown_table.hpp"

namespace eplb {
namespace {

constexpr std::string_view kSep = " @ ";

// A's rows as "A @ strategy" and B's as "B @ strategy", in A's columns (missing: empty).
CsvTable combine(const CsvTable& a, const CsvTable& b, const CompareOptions& o) {
  CsvTable out;
  out.header = a.header;
  const int sa = a.column("strategy", o.label_a);
  for (const auto& row : a.rows) {
    out.rows.push_back(row);
    auto& s = out.rows.back()[static_cast<std::size_t>(sa)];
    s = fmt::format("{}{}{}", o.label_a, kSep, s);
  }
  std::vector<int> map;
  for (const std::string& h : a.header) map.push_back(b.find_column(h));
  for (const auto& row : b.rows) {
    std::vector<std::string> r;
    for (int c : map) r.push_back(c < 0 ? std::string() : row[static_cast<std::size_t>(c)]);
    r[static_cast<std::size_t>(sa)] = fmt::format("{}{}{}", o.label_b, kSep,
                                                  row[static_cast<std::size_t>(b.column("strategy", o.label_b))]);
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string compare_results(const CsvTable& a, const CsvTable& b, const CompareOptions& options) {
  CompareOptions o = options;
  CsvTable both;
  std::vector<std::pair<std::string, std::string>> pairs;  // (A side, B side) strategy names
  if (o.strategy_a) {
    both = a;
    pairs.emplace_back(*o.strategy_a, *o.strategy_b);
    o.label_a = *o.strategy_a;
    o.label_b = *o.strategy_b;
  } else {
    both = combine(a, b, o);
  }
  const ResultView view(both, "compared tables");
  const std::size_t m = view.metric_index(o.metric);
  const auto tables = summary_tables(view);
  const auto slices = slices_of(tables);
  if (!o.strategy_a) {
    for (const Slice& s : slices) {
      for (const std::string& name : s.strategies) {
        const std::string bare = name.substr(name.find(kSep) + kSep.size());
        const std::string a_name = fmt::format("{}{}{}", o.label_a, kSep, bare);
        const std::string b_name = fmt::format("{}{}{}", o.label_b, kSep, bare);
        if (name == a_name &&
            std::find(s.strategies.begin(), s.strategies.end(), b_name) != s.strategies.end() &&
            std::find(pairs.begin(), pairs.end(), std::pair{a_name, b_name}) == pairs.end()) {
          pairs.emplace_back(a_name, b_name);
        }
      }
    }
  }
  std::string out = fmt::format(
      "# Comparison of {}: {} (B) against {} (A)\n\nΔ = B - A on identical instances "
      "(positive: B better); 95% bootstrap CI resampling the named unit; ✓ when the CI excludes 0 "
      "and Wilcoxon p < 0.05; W/T/L: instances B wins, ties, loses.\n\n",
      o.metric, md::code(o.label_b), md::code(o.label_a));
  int paired = 0;
  for (const Slice& s : slices) {
    std::vector<md::Column> columns;
    md::Column name("strategy"), group("workload group"), ma("A", 0), mb("B", 0),
        delta("Δ [95% CI]"), unit("resampled unit (n)"), p("Wilcoxon p"), wtl("W/T/L");
    for (const auto& [sa, sb] : pairs) {
      auto add = [&](const std::string& g, const PairedStats& d, double va, double vb) {
        if (d.instances == 0) return;
        paired += d.instances;
        name.add(md::code(o.strategy_a ? sa + " -> " + sb : sa.substr(sa.find(kSep) + kSep.size())));
        group.add(g);
        ma.add(md::fixed(va, 4));
        mb.add(md::fixed(vb, 4));
        delta.add(md::delta_cell(d, 4));
        unit.add(fmt::format("{} ({})", d.unit_name, d.units));
        p.add(md::p_cell(d));
        wtl.add(md::wtl_cell(d));
      };
      for (const SummaryTable* t : s.tables) {
        const StrategyGroup* ga = find_strategy(*t, sa);
        const StrategyGroup* gb = find_strategy(*t, sb);
        if (ga == nullptr || gb == nullptr) continue;
        add(md::code(t->group), table_delta(view, *t, sb, sa, m), group_mean(view, *ga, m),
            group_mean(view, *gb, m));
      }
      if (s.tables.size() > 1) {
        add("**overall** (mean of groups)", overall_delta(view, s, sb, sa, m),
            mean_of_groups(view, s, sa, m), mean_of_groups(view, s, sb, m));
      }
    }
    if (name.cells.empty()) continue;
    out += fmt::format("## {}\n\n", s.key());
    for (md::Column* c : {&name, &group, &ma, &mb, &delta, &unit, &p, &wtl}) {
      columns.push_back(std::move(*c));
    }
    md::render(out, columns);
  }
  if (paired == 0) {
    throw InputError(fmt::format(
        "no paired instances: {} and {} share no (strategy, workload, topology, protocol, step)",
        o.label_a, o.label_b));
  }
  return out;
}

}  // namespace eplb
