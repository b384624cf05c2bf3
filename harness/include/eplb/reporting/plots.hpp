// Plots of a results directory, drawn by gnuplot from data derived from results.csv alone.
//
// For each plot the harness writes `plots/<name>.dat` (tab-separated data computed from the
// CSV) and `plots/<name>.gp` (a gnuplot script that reads it), then runs gnuplot, which renders
// `plots/<name>.png` (written to a temporary name and renamed, like every other file). Anyone
// can edit a script and re-run `gnuplot plots/<name>.gp`, or re-derive everything with
// `eplb report DIR`. Plots:
//   pareto-<k>      mean balancedness vs median plan time per strategy, with the Pareto front,
//                   one per (topology x protocol)
//   ablation-<k>    mean balancedness against each swept parameter of a strategy family, one
//                   line per workload group (other swept parameters averaged out)
//   heatmap-<k>     per-layer balancedness, strategies x layers, one per summary table (needs
//                   layers.csv: plan key "per_layer": true or `eplb run --per-layer`)
//   winrate         share of paired instances where the row strategy beats the column strategy
// gnuplot (Debian package gnuplot-nox) must be on PATH; without it the scripts and data are
// still written and the result says so (never a silent skip).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eplb/storage/csv.hpp"

namespace eplb {

struct PlotOptions {
  bool run_gnuplot = true;
  std::string source = "results.csv";  // for messages
};

struct PlotResult {
  std::vector<std::filesystem::path> images;   // rendered PNGs
  std::vector<std::filesystem::path> scripts;  // every .gp written
  std::vector<std::string> warnings;           // gnuplot missing or failed
};

// `layers` may have an empty header (no per-layer data). Writes into `plots_dir`.
PlotResult write_plots(const CsvTable& results, const CsvTable& layers,
                       const std::filesystem::path& plots_dir, const PlotOptions& options);

// Path of gnuplot on PATH, or empty.
std::filesystem::path find_gnuplot();

}  // namespace eplb
