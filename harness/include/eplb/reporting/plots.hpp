// Figures of a results directory, drawn by gnuplot from data derived from results.csv alone.
//
// Every figure is three files in plots/: `<name>.dat` (tab-separated data computed from the
// CSV), `<name>.gp` (the gnuplot script, relative paths only) and `<name>.png`. Running
// `gnuplot <name>.gp` inside plots/ re-draws `<name>.png` in place; the harness runs the same
// script with OUT set to a temporary name and renames it (atomic like every other file).
// Names say what a figure shows (`pareto-R288-G8-N4-P32-in-sample`). Kinds:
//   pareto-<slice>            mean balancedness (mean of workload-group means) vs median plan
//                             time, one colour+marker per strategy in a legend, Pareto front,
//                             the upper-bound line when results.csv has `balancedness_bound`
//   delta-<slice>             Δ balancedness vs the baseline per workload group (or per plan
//                             workload), one panel per strategy, 95% bootstrap intervals, the
//                             overall Δ as the last point
//   ablation-<key>[-<metric>][-<slice>]  a metric against each swept parameter (duplicate
//                             replicas too when they vary, e.g. the diversity ablation); one
//                             figure per topology x protocol when the sweep spans several
//   heatmap-<group>-<slice>   per-layer balancedness, strategies x layers (needs layers.csv)
//   winrate-<slice>           row beats column on paired instances (at most 12 strategies)
//   cross-<baseline>-<topology>  the baseline's balancedness planning on A, scoring on B
//   tuning-scatter-<family>   tune vs holdout score of every grid point (overfitting at a glance)
//   tuning-heatmap-<family>-<split>  tune or holdout score over a two-parameter grid
// Series styles: 10 colours x 13 markers, so up to 20 series never share colour and marker.
// gnuplot (Debian package gnuplot-nox) must be on PATH; without it the scripts and data are
// still written and the result says so (never a silent skip).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eplb/reporting/summary.hpp"
#include "eplb/storage/csv.hpp"

namespace eplb {

struct Figure {
  std::string name;  // file stem
  std::string anchor;
  std::string caption;
  std::string data;
  std::string script;  // after the common header
  int width = 1100;
  int height = 750;
};

struct FigureOptions {
  std::string baseline = "deepseek";
  std::string source = "results.csv";  // for messages
};

// Pure: the figures a results table (and optional per-layer table) gives. Notes say what was
// capped or could not be drawn.
std::vector<Figure> plan_figures(const CsvTable& results, const CsvTable& layers,
                                 const FigureOptions& options, std::vector<std::string>& notes);

// The complete .gp text of a figure (header with relative paths + body).
std::string figure_script(const Figure& figure);

struct PlotResult {
  std::vector<std::filesystem::path> images;   // rendered PNGs
  std::vector<std::filesystem::path> scripts;  // every .gp written
  std::vector<std::string> warnings;           // gnuplot missing or failed, notes
};

// Writes every figure into `plots_dir` (removing figures of an earlier report) and renders them.
PlotResult render_figures(const std::vector<Figure>& figures,
                          const std::filesystem::path& plots_dir, bool run_gnuplot);

// Path of gnuplot on PATH, or empty.
std::filesystem::path find_gnuplot();

}  // namespace eplb
