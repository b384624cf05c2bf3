// The Markdown summary of a results table (summary.md, also printed by `eplb run`).
//
// One table per (workload group x topology x protocol): strategies as rows (in plan order);
// columns: the parameters the plan swept (so an ablation reads as parameter | metrics), the
// headline balancedness as mean ± 95% CI over seeds and steps, other key metrics, the paired
// difference in balancedness against the baseline strategy, the median plan time in µs, and
// the row count. The best value of each column is bold. When the plan has several workload
// groups, an overview table per (topology x protocol) puts their mean balancedness side by
// side. A tuning section appears when workloads carry the splits "tune" and "holdout": for each
// swept strategy family it picks the grid point with the best mean balancedness on "tune" rows
// and reports it on "holdout" rows. A win-rate table (share of paired instances where the row
// strategy beats the column strategy) closes the summary when there are at most 12 strategies.
#pragma once

#include <string>

#include "eplb/storage/csv.hpp"

namespace eplb {

struct SummaryOptions {
  std::string title;        // e.g. the plan name
  std::string description;  // the plan's description (the question it answers)
  std::string baseline = "deepseek";
  std::string source = "results.csv";  // for messages
};

std::string summarize(const CsvTable& results, const SummaryOptions& options);

}  // namespace eplb
