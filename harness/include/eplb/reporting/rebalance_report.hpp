// Reports of protocol rebalance rows (results.csv rows whose protocol starts with "rebalance"):
// a Markdown run summary and two plots, appended to summary.md and plots/ by the shared report
// code. Nothing is produced when the table has no rebalance rows.
//
// Per run (one strategy x rebalance grid point x workload x topology): time-averaged
// balancedness = mean over the scored steps of each step's balancedness (steps are equally
// long); rebalances = steps with event "rebalance" (the initial placement and skipped decisions
// do not count); replicas moved and bytes moved = sums over the run's steps.
//   summary          one table per topology: strategy x grid point, means over workloads
//   rebalance-pareto-<k>  per topology: time-averaged balancedness vs replicas moved per scored
//                    step, one point per strategy x grid point (mean over workloads), each
//                    strategy's Pareto front
//   rebalance-timeline-<k>  balancedness per step on one workload (the first 4 of the table),
//                    one line per strategy at its best grid point there, rebalances marked
#pragma once

#include <string>
#include <vector>

#include "eplb/storage/csv.hpp"

namespace eplb {

std::string rebalance_summary(const CsvTable& results);

// One row per rebalance run, the numbers every rebalance finding is made of (written beside
// results.csv as rebalance_runs.csv; empty without rebalance rows): run_id, strategy, workload,
// replicas, groups, nodes, gpus, protocol (the grid point), status ("error" when any step
// failed: then every number is empty), scored_steps, time_avg_balancedness, rebalances,
// skipped, replicas_moved, bytes_moved (sums over the run) and max_moves_per_gpu (largest of
// any step).
CsvTable rebalance_runs(const CsvTable& results);

// `results` without its rebalance rows: the generic summary tables and plots pool rows per
// strategy and protocol, which would give one table per rebalance grid point.
CsvTable without_rebalance_rows(const CsvTable& results);

struct PlotSpec {
  std::string name;    // file stem under plots/
  std::string data;    // tab-separated, gnuplot blocks
  std::string script;  // reads the data file through the variable DATA
  int width = 1100;
  int height = 750;
};
std::vector<PlotSpec> rebalance_plots(const CsvTable& results);

}  // namespace eplb
