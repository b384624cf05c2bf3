// The Markdown summary of a results table (summary.md, also printed by `eplb run`).
//
// Per (topology x protocol) slice: an overview of mean balancedness per workload group (mean of
// groups weighted by group, as every plot and README claim weights), and the overall paired
// comparison of each strategy against the baseline (Δ with a bootstrap CI resampling workload
// groups, Wilcoxon p, wins/ties/losses, significance), followed by links to the slice's figures.
// Then one table per (workload group x topology x protocol; cross gathers its pairs): strategies
// as rows in plan order, the swept parameters, balancedness, key metrics, the paired Δ against
// the baseline (units: workloads, or plan workloads for cross), and plan time as median [IQR]
// over the rows (bolded only when the fastest row's IQR clears every other row's IQR, i.e. the
// difference exceeds the noise measured in the same run). Then the tuning section (splits
// "tune" and "holdout"), win-rate matrices per slice (at most 12 strategies: the baseline and
// the best by mean balancedness) and the errors. Long workload names are abbreviated W1, W2, ...
// with a key.
#pragma once

#include <string>
#include <vector>

#include "eplb/storage/csv.hpp"

namespace eplb {

// A figure the summary links to (plots/<name>.png), placed under the section `anchor` names.
struct FigureRef {
  std::string name;
  std::string anchor;
  std::string caption;
};
// Anchors: a slice's sections, one summary table's section, the tuning section.
std::string slice_anchor(const std::string& topology, const std::string& protocol);
std::string table_anchor(const std::string& group, const std::string& topology,
                         const std::string& protocol);
inline constexpr const char* kTuningAnchor = "tuning";

struct SummaryOptions {
  std::string title;        // e.g. the plan name
  std::string description;  // the plan's description (the question it answers)
  std::string baseline = "deepseek";
  std::string source = "results.csv";  // for messages
  std::vector<FigureRef> figures;      // linked from their sections (empty: no links)
  std::string footer;                  // appended verbatim (e.g. an "incomplete" note)
};

std::string summarize(const CsvTable& results, const SummaryOptions& options);

}  // namespace eplb
