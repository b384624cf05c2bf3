// Tuning on a "tune" split and judging on a "holdout" split, as data for the summary's tuning
// section and the tuning figures.
//
// Scores are means of workload-group means over the rows of one split (weighted as every table
// weights), so a split with many seeds of one generator does not outweigh a recorded trace.
// The chosen point maximises the tune score; every point with exactly the same tune score is
// reported as tied with it (a silent pick among ties would hide that the data did not decide).
#pragma once

#include <string>
#include <vector>

#include "eplb/reporting/analysis.hpp"

namespace eplb {

struct TuningPoint {
  std::string strategy;
  std::size_t first_row = 0;
  std::string setting;  // "tail=0.1, gpu_steps=2"
  double tune = 0.0, holdout = 0.0;
  int rank_tune = 0, rank_holdout = 0;  // 1 = best; equal scores share the better rank
};

struct TuningFamily {
  std::string family;
  std::vector<std::string> keys;  // swept keys
  std::vector<TuningPoint> points;
  std::size_t chosen = 0;             // index into points
  std::vector<std::size_t> tied;      // other points with the chosen tune score
  std::size_t oracle = 0;             // best holdout score
  double baseline_tune = 0.0, baseline_holdout = 0.0;  // NaN when the baseline is absent
  PairedStats holdout_delta;          // chosen - baseline on holdout, unit workload group
  int tune_groups = 0, holdout_groups = 0;
};

// Empty unless rows carry both splits and some strategy is swept.
std::vector<TuningFamily> tuning_families(const ResultView& view,
                                          const std::vector<SummaryTable>& tables,
                                          const std::string& baseline);

}  // namespace eplb
