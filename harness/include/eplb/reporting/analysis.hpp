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

// Splits "a;b;c" (the swept column) into keys.
std::vector<std::string> split_keys(std::string_view text, char sep = ';');

}  // namespace eplb
