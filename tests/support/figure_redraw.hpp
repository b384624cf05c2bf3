// Re-drawing a results directory's figures from their own folder, as a reader would.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace eplb::test {

// The figure kind of a plot file stem (`pareto-R12-G4-N2-P4-in-sample` -> "pareto"; an ablation
// of another metric, `ablation-gpu_pack-duplicate_replicas`, -> "ablation-duplicate_replicas").
std::string figure_kind(const std::string& stem);

// Removes each PNG, runs `gnuplot NAME.gp` inside its folder and expects the same bytes back (a
// figure that cannot be re-drawn from its folder is not reproducible). Returns the kinds re-drawn.
std::set<std::string> expect_figures_redraw(const std::vector<std::filesystem::path>& pngs);

}  // namespace eplb::test
