// Reading results.csv back: typed rows, grouping into summary tables, statistics, win rates.
//
// Shared by the Markdown summary and the plots, which are both derived from the tidy CSV alone
// (so `eplb report DIR` re-draws them later, after the binary or the plan has changed).
// Statistics: mean and 95% confidence interval (Student t) over the rows of a group, i.e. over
// seeds and steps. Steps of one time series are correlated, so the interval is optimistic for
// time-series workloads; treat it as a spread indicator, not a significance test.
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/reporting/statistics.hpp"
#include "eplb/storage/csv.hpp"

namespace eplb {

struct Stats {
  int n = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();
  double ci95 = std::numeric_limits<double>::quiet_NaN();  // half-width; NaN when n < 2
};
Stats stats_of(std::span<const double> values);
// Median of the non-NaN values (NaN if none).
double median_of(std::vector<double> values);
// Two-sided 95% quantile of Student's t with `df` >= 1 degrees of freedom.
double t_quantile_975(int df);

// Typed view of results.csv (the table must outlive the view).
class ResultView {
 public:
  struct Row {
    int run = 0;
    std::string strategy, family, swept, workload, group, split, score_workload;
    std::string topology;  // "R=288,G=8,N=4,P=32"
    std::string protocol;
    int plan_step = 0;
    bool ok = false;
    std::string error;
    double plan_us = std::numeric_limits<double>::quiet_NaN();  // median of the timed calls
  };

  ResultView(const CsvTable& table, std::string_view where);

  const std::vector<Row>& rows() const { return rows_; }
  // Metric names present in the table, in metric_infos() order, and their directions.
  const std::vector<std::string>& metrics() const { return metrics_; }
  bool higher_is_better(std::size_t metric) const { return higher_[metric] != 0; }
  // Value of metric `metric` (index into metrics()) in row `row`; NaN for error rows.
  double metric(std::size_t row, std::size_t metric) const;
  // Index of metric `name` in metrics(), or throws InputError naming the table.
  std::size_t metric_index(std::string_view name) const;
  const CsvTable& table() const { return table_; }
  // Number in column `column` (an index into table().header) of row `row`; NaN if empty/bad.
  double number(std::size_t row, int column) const;
  // Value of column `strategy.<key>` in row `row` ("" if absent).
  std::string strategy_param(std::size_t row, std::string_view key) const;

 private:
  const CsvTable& table_;
  std::string where_;
  std::vector<Row> rows_;
  std::vector<std::string> metrics_;
  std::vector<char> higher_;
  std::vector<std::size_t> metric_columns_;
};

// Rows of one strategy inside a summary table.
struct StrategyGroup {
  std::string strategy;
  std::string family;
  std::vector<std::size_t> rows;  // indices into ResultView::rows() (ok and error rows)
};

// One summary table: a (workload group x topology x protocol); protocol cross gathers all its
// (plan workload, score workload) pairs of one topology into one table.
struct SummaryTable {
  std::string group;  // workload group, or "A -> B, ..." pairs description for cross
  std::string topology;
  std::string protocol;
  std::vector<std::string> workloads;     // distinct workloads (seeds) or pairs in this table
  std::vector<std::string> swept;         // union of the strategies' swept keys, first-seen order
  std::vector<StrategyGroup> strategies;  // first-appearance order
};
std::vector<SummaryTable> summary_tables(const ResultView& view);

// The instance a row scored: rows of different strategies with equal keys are paired.
std::string instance_key(const ResultView::Row& row);

// Pairwise comparison on one metric over paired instances (both rows ok).
struct WinRates {
  std::vector<std::string> strategies;     // first-appearance order
  std::vector<std::vector<double>> wins;   // [i][j]: instances where i beats j (+0.5 per tie)
  std::vector<std::vector<int>> compared;  // [i][j]: paired instances
  double rate(std::size_t i, std::size_t j) const;  // NaN if never compared
};
WinRates win_rates(const ResultView& view, std::string_view metric);

// Rows of one table restricted to what a win-rate matrix compares (nullptr: all rows).
WinRates win_rates(const ResultView& view, std::string_view metric,
                   const std::vector<std::size_t>* rows);

// The tables of one (topology x protocol), in first-appearance order: the tables an overview,
// an overall row, a Pareto plot or a win-rate matrix gathers.
struct Slice {
  std::string topology, protocol;
  std::vector<const SummaryTable*> tables;
  std::vector<std::string> strategies;  // first-appearance order over its tables
  std::string key() const { return topology + " · " + protocol; }
};
std::vector<Slice> slices_of(const std::vector<SummaryTable>& tables);

// The resampling unit of a row: its plan workload (a whole series, or for cross the plan that
// all pairs A -> * share).
std::string unit_of(const ResultView::Row& row);
std::string unit_name_of(std::string_view protocol);  // "workload" or "plan workload"

// Mean of metric `m` over the ok rows of `group` (NaN if none): a summary table cell.
double group_mean(const ResultView& view, const StrategyGroup& group, std::size_t m);
const StrategyGroup* find_strategy(const SummaryTable& table, std::string_view strategy);
// Mean over the slice's tables of group_mean (NaN unless the strategy is in every table): the
// "mean of groups" every overview, plot and README claim uses.
double mean_of_groups(const ResultView& view, const Slice& slice, std::string_view strategy,
                      std::size_t m);

// Paired delta (strategy - baseline, positive = better) on the instances of one table; units
// are workloads (series) or, for cross, plan workloads.
PairedStats table_delta(const ResultView& view, const SummaryTable& table,
                        std::string_view strategy, std::string_view baseline, std::size_t m);
// The overall row: one unit per workload group of the slice, each group weighted equally.
PairedStats overall_delta(const ResultView& view, const Slice& slice, std::string_view strategy,
                          std::string_view baseline, std::size_t m);

// At most `cap` strategies of a slice: the baseline first (if present), then the best by mean
// of groups, in slice order otherwise (no cap needed: all, in slice order).
std::vector<std::string> capped_strategies(const ResultView& view, const Slice& slice,
                                           std::string_view baseline, std::size_t cap);

// Short labels for workload groups: `recorded:name=X` -> X; a label longer than 24 characters
// becomes W1, W2, ... with a key, so tables and plot axes stay narrow.
class GroupLabels {
 public:
  explicit GroupLabels(const std::vector<SummaryTable>& tables);
  const std::string& label(const std::string& group) const;
  // (label, full spec) of every abbreviated group, in order.
  const std::vector<std::pair<std::string, std::string>>& key() const { return key_; }

 private:
  std::vector<std::pair<std::string, std::string>> labels_;  // group -> label
  std::vector<std::pair<std::string, std::string>> key_;
};

// "R=288,G=8,N=4,P=32" -> "R288-G8-N4-P32"; any text -> a file-name-safe slug.
std::string topology_slug(std::string_view topology);
std::string slug(std::string_view text);

// Splits "a;b;c" (the swept column) into keys.
std::vector<std::string> split_keys(std::string_view text, char sep = ';');

}  // namespace eplb
