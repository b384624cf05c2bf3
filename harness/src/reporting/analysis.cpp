// Typed view of results.csv, grouping and statistics; see analysis.hpp.
#include "eplb/reporting/analysis.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "eplb/error.hpp"
#include "eplb/metrics.hpp"

namespace eplb {
namespace {

double parse_number(const std::string& text) {
  if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() ? v : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

double t_quantile_975(int df) {
  static constexpr double kTable[] = {
      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
      2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
      2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df < 1) return std::numeric_limits<double>::quiet_NaN();
  if (df <= 30) return kTable[df - 1];
  // Cornish-Fisher expansion around the normal quantile; error < 1e-4 for df > 30.
  const double z = 1.959964;
  const double n = df;
  return z + (z * z * z + z) / (4.0 * n) +
         (5.0 * std::pow(z, 5) + 16.0 * z * z * z + 3.0 * z) / (96.0 * n * n);
}

Stats stats_of(std::span<const double> values) {
  Stats s;
  double sum = 0.0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++s.n;
  }
  if (s.n == 0) return s;
  s.mean = sum / s.n;
  if (s.n < 2) return s;
  double sq = 0.0;
  for (double v : values) {
    if (!std::isnan(v)) sq += (v - s.mean) * (v - s.mean);
  }
  const double sd = std::sqrt(sq / (s.n - 1));
  s.ci95 = t_quantile_975(s.n - 1) * sd / std::sqrt(static_cast<double>(s.n));
  return s;
}

double median_of(std::vector<double> v) {
  std::erase_if(v, [](double x) { return std::isnan(x); });
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<std::string> split_keys(std::string_view text, char sep) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const std::size_t end = text.find(sep, start);
    const std::string_view key =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!key.empty()) keys.emplace_back(key);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return keys;
}

ResultView::ResultView(const CsvTable& table, std::string_view where)
    : table_(table), where_(where) {
  auto col = [&](const char* name) { return static_cast<std::size_t>(table.column(name, where_)); };
  const std::size_t run = col("run"), strategy = col("strategy"), family = col("family"),
                    swept = col("swept"), workload = col("workload"), group = col("workload_group"),
                    split = col("split"), score = col("score_workload"), r = col("replicas"),
                    g = col("groups"), n = col("nodes"), p = col("gpus"),
                    protocol = col("protocol"), step = col("plan_step"), status = col("status"),
                    error = col("error"), plan_us = col("plan_us_median");
  for (const MetricInfo& info : metric_infos()) {
    const int c = table.find_column(info.name);
    if (c < 0) continue;
    metrics_.emplace_back(info.name);
    higher_.push_back(info.higher_is_better ? 1 : 0);
    metric_columns_.push_back(static_cast<std::size_t>(c));
  }
  rows_.reserve(table.rows.size());
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& t = table.rows[i];
    Row row;
    row.run = std::atoi(t[run].c_str());
    row.strategy = t[strategy];
    row.family = t[family];
    row.swept = t[swept];
    row.workload = t[workload];
    row.group = t[group];
    row.split = t[split];
    row.score_workload = t[score];
    row.topology = fmt::format("R={},G={},N={},P={}", t[r], t[g], t[n], t[p]);
    row.protocol = t[protocol];
    row.plan_step = std::atoi(t[step].c_str());
    if (t[status] != "ok" && t[status] != "error") {
      throw InputError(
          fmt::format("{}:{}: status '{}' (expected ok or error)", where_, i + 2, t[status]));
    }
    row.ok = t[status] == "ok";
    row.error = t[error];
    row.plan_us = parse_number(t[plan_us]);
    rows_.push_back(std::move(row));
  }
}

double ResultView::metric(std::size_t row, std::size_t m) const {
  if (!rows_[row].ok) return std::numeric_limits<double>::quiet_NaN();
  return parse_number(table_.rows[row][metric_columns_[m]]);
}

double ResultView::number(std::size_t row, int column) const {
  if (column < 0) return std::numeric_limits<double>::quiet_NaN();
  return parse_number(table_.rows[row][static_cast<std::size_t>(column)]);
}

std::size_t ResultView::metric_index(std::string_view name) const {
  for (std::size_t m = 0; m < metrics_.size(); ++m) {
    if (metrics_[m] == name) return m;
  }
  throw InputError(fmt::format("{}: no metric column '{}'", where_, name));
}

std::string ResultView::strategy_param(std::size_t row, std::string_view key) const {
  const int c = table_.find_column(fmt::format("strategy.{}", key));
  return c < 0 ? std::string() : table_.rows[row][static_cast<std::size_t>(c)];
}

std::string instance_key(const ResultView::Row& row) {
  return fmt::format("{}\n{}\n{}\n{}\n{}", row.workload, row.score_workload, row.topology,
                     row.protocol, row.plan_step);
}

std::vector<SummaryTable> summary_tables(const ResultView& view) {
  std::vector<SummaryTable> tables;
  std::map<std::string, std::size_t> by_key;
  const auto& rows = view.rows();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const bool cross = row.protocol == "cross";
    const std::string group = cross ? std::string("cross") : row.group;
    const std::string key = fmt::format("{}\n{}\n{}", group, row.topology, row.protocol);
    auto [it, inserted] = by_key.emplace(key, tables.size());
    if (inserted) {
      SummaryTable t;
      t.group = group;
      t.topology = row.topology;
      t.protocol = row.protocol;
      tables.push_back(std::move(t));
    }
    SummaryTable& table = tables[it->second];
    const std::string workload =
        cross ? fmt::format("{} -> {}", row.workload, row.score_workload) : row.workload;
    if (std::find(table.workloads.begin(), table.workloads.end(), workload) ==
        table.workloads.end()) {
      table.workloads.push_back(workload);
    }
    for (const std::string& k : split_keys(row.swept)) {
      if (std::find(table.swept.begin(), table.swept.end(), k) == table.swept.end()) {
        table.swept.push_back(k);
      }
    }
    auto s = std::find_if(table.strategies.begin(), table.strategies.end(),
                          [&](const StrategyGroup& g) { return g.strategy == row.strategy; });
    if (s == table.strategies.end()) {
      table.strategies.push_back({row.strategy, row.family, {}});
      s = table.strategies.end() - 1;
    }
    s->rows.push_back(i);
  }
  return tables;
}

double WinRates::rate(std::size_t i, std::size_t j) const {
  return compared[i][j] > 0 ? wins[i][j] / compared[i][j]
                            : std::numeric_limits<double>::quiet_NaN();
}

WinRates win_rates(const ResultView& view, std::string_view metric) {
  return win_rates(view, metric, nullptr);
}

WinRates win_rates(const ResultView& view, std::string_view metric,
                   const std::vector<std::size_t>* subset) {
  const std::size_t m = view.metric_index(metric);
  const bool higher = view.higher_is_better(m);
  WinRates out;
  std::map<std::string, std::size_t> index;
  // instance -> (strategy index, value) of ok rows
  std::map<std::string, std::vector<std::pair<std::size_t, double>>> instances;
  const auto& rows = view.rows();
  std::vector<std::size_t> all;
  if (subset == nullptr) {
    for (std::size_t i = 0; i < rows.size(); ++i) all.push_back(i);
    subset = &all;
  }
  for (std::size_t i : *subset) {
    auto [it, inserted] = index.emplace(rows[i].strategy, out.strategies.size());
    if (inserted) out.strategies.push_back(rows[i].strategy);
    if (!rows[i].ok) continue;
    instances[instance_key(rows[i])].emplace_back(it->second, view.metric(i, m));
  }
  const std::size_t n = out.strategies.size();
  out.wins.assign(n, std::vector<double>(n, 0.0));
  out.compared.assign(n, std::vector<int>(n, 0));
  for (const auto& [key, values] : instances) {
    for (const auto& [a, va] : values) {
      for (const auto& [b, vb] : values) {
        if (a == b) continue;
        ++out.compared[a][b];
        if (va == vb) {
          out.wins[a][b] += 0.5;
        } else if ((va > vb) == higher) {
          out.wins[a][b] += 1.0;
        }
      }
    }
  }
  return out;
}

std::vector<Slice> slices_of(const std::vector<SummaryTable>& tables) {
  std::vector<Slice> slices;
  for (const SummaryTable& t : tables) {
    auto it = std::find_if(slices.begin(), slices.end(), [&](const Slice& s) {
      return s.topology == t.topology && s.protocol == t.protocol;
    });
    if (it == slices.end()) {
      slices.push_back({t.topology, t.protocol, {}, {}});
      it = slices.end() - 1;
    }
    it->tables.push_back(&t);
    for (const StrategyGroup& g : t.strategies) {
      if (std::find(it->strategies.begin(), it->strategies.end(), g.strategy) ==
          it->strategies.end()) {
        it->strategies.push_back(g.strategy);
      }
    }
  }
  return slices;
}

std::string unit_of(const ResultView::Row& row) { return row.workload; }

std::string unit_name_of(std::string_view protocol) {
  return protocol == "cross" ? "plan workload" : "workload";
}

double group_mean(const ResultView& view, const StrategyGroup& group, std::size_t m) {
  std::vector<double> v;
  for (std::size_t r : group.rows) v.push_back(view.metric(r, m));
  return stats_of(v).mean;
}

const StrategyGroup* find_strategy(const SummaryTable& table, std::string_view strategy) {
  for (const StrategyGroup& g : table.strategies) {
    if (g.strategy == strategy) return &g;
  }
  return nullptr;
}

double mean_of_groups(const ResultView& view, const Slice& slice, std::string_view strategy,
                      std::size_t m) {
  double sum = 0.0;
  for (const SummaryTable* t : slice.tables) {
    const StrategyGroup* g = find_strategy(*t, strategy);
    if (g == nullptr) return std::numeric_limits<double>::quiet_NaN();
    sum += group_mean(view, *g, m);
  }
  return sum / static_cast<double>(slice.tables.size());
}

namespace {

// Paired deltas of `strategy` against `baseline` on the instances of `table`.
std::vector<PairedSample> table_samples(const ResultView& view, const SummaryTable& table,
                                        std::string_view strategy, std::string_view baseline,
                                        std::size_t m) {
  std::vector<PairedSample> out;
  const StrategyGroup* s = find_strategy(table, strategy);
  const StrategyGroup* b = find_strategy(table, baseline);
  if (s == nullptr || b == nullptr) return out;
  const auto& rows = view.rows();
  std::map<std::string, double> base;
  for (std::size_t r : b->rows) {
    if (rows[r].ok) base[instance_key(rows[r])] = view.metric(r, m);
  }
  const double sign = view.higher_is_better(m) ? 1.0 : -1.0;
  for (std::size_t r : s->rows) {
    if (!rows[r].ok) continue;
    const auto it = base.find(instance_key(rows[r]));
    if (it == base.end()) continue;
    out.push_back({unit_of(rows[r]), sign * (view.metric(r, m) - it->second), 1.0});
  }
  return out;
}

}  // namespace

PairedStats table_delta(const ResultView& view, const SummaryTable& table,
                        std::string_view strategy, std::string_view baseline, std::size_t m) {
  const auto samples = table_samples(view, table, strategy, baseline, m);
  return paired_stats(samples, unit_name_of(table.protocol));
}

PairedStats overall_delta(const ResultView& view, const Slice& slice, std::string_view strategy,
                          std::string_view baseline, std::size_t m) {
  std::vector<PairedSample> all;
  for (const SummaryTable* t : slice.tables) {
    auto samples = table_samples(view, *t, strategy, baseline, m);
    for (PairedSample& x : samples) {
      x.unit = t->group;
      x.weight = 1.0 / static_cast<double>(samples.size());
      all.push_back(std::move(x));
    }
  }
  return paired_stats(all, "workload group");
}

std::vector<std::string> capped_strategies(const ResultView& view, const Slice& slice,
                                           std::string_view baseline, std::size_t cap) {
  std::vector<std::string> keep = slice.strategies;
  if (keep.size() <= cap) return keep;
  const std::size_t bal = view.metric_index("balancedness");
  std::vector<double> score;
  for (const std::string& s : keep) score.push_back(mean_of_groups(view, slice, s, bal));
  std::vector<std::size_t> order(keep.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if ((keep[a] == baseline) != (keep[b] == baseline)) return keep[a] == baseline;
    const double x = std::isnan(score[a]) ? -1.0 : score[a], y = std::isnan(score[b]) ? -1.0 : score[b];
    return x > y;
  });
  order.resize(cap);
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  for (std::size_t i : order) out.push_back(keep[i]);
  return out;
}

GroupLabels::GroupLabels(const std::vector<SummaryTable>& tables) {
  constexpr std::string_view kRecorded = "recorded:name=";
  for (const SummaryTable& t : tables) {
    if (std::any_of(labels_.begin(), labels_.end(),
                    [&](const auto& x) { return x.first == t.group; })) {
      continue;
    }
    std::string label = t.group;
    if (label.rfind(kRecorded, 0) == 0 && label.find(',') == std::string::npos) {
      label = label.substr(kRecorded.size());
    }
    if (label.size() > 24) {
      label = fmt::format("W{}", key_.size() + 1);
      key_.emplace_back(label, t.group);
    }
    labels_.emplace_back(t.group, label);
  }
}

const std::string& GroupLabels::label(const std::string& group) const {
  for (const auto& [g, l] : labels_) {
    if (g == group) return l;
  }
  return group;
}

std::string topology_slug(std::string_view topology) {
  std::string out;
  for (char c : topology) {
    if (c == '=') continue;
    out.push_back(c == ',' ? '-' : c);
  }
  return out;
}

std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
    if (keep) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.size() > 60 ? out.substr(0, 60) : out;
}

}  // namespace eplb
