#include "figure_redraw.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli_run.hpp"

namespace eplb::test {

std::string figure_kind(const std::string& stem) {
  // Longest prefixes first: "rebalance-pareto" must not count as "pareto".
  for (const char* kind : {"rebalance-pareto", "rebalance-timeline", "tuning-scatter",
                           "tuning-heatmap", "pareto", "delta", "heatmap", "winrate", "cross"}) {
    if (stem.rfind(std::string(kind) + "-", 0) == 0) return kind;
  }
  if (stem.rfind("ablation-", 0) == 0) {
    return stem.ends_with("-duplicate_replicas") ? "ablation-duplicate_replicas" : "ablation";
  }
  return "unknown";
}

std::set<std::string> expect_figures_redraw(const std::vector<std::filesystem::path>& pngs) {
  namespace fs = std::filesystem;
  std::set<std::string> kinds;
  for (const fs::path& png : pngs) {
    EXPECT_GT(fs::file_size(png), 1000u) << png;
    const std::string before = read_text(png.string());
    fs::remove(png);
    const std::string command = fmt::format(
        "cd '{}' && gnuplot '{}' 2>&1", png.parent_path().string(), png.stem().string() + ".gp");
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    if (!fs::exists(png)) {
      ADD_FAILURE() << png << " was not re-drawn by " << command;
      continue;
    }
    EXPECT_EQ(read_text(png.string()), before) << png << " differs after a re-draw";
    kinds.insert(figure_kind(png.stem().string()));
  }
  return kinds;
}

}  // namespace eplb::test
