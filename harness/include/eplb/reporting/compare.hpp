// `eplb compare`: two result tables (or two strategies of one) side by side, paired on identical
// instances (same workload, score workload, topology, protocol and step), with the statistics of
// statistics.hpp: per workload group and overall, Δ = B - A (positive: B is better) with a
// bootstrap CI over the right unit, the Wilcoxon p and wins/ties/losses. Like google/benchmark's
// compare.py, for "did my change help?" between two sweeps of one plan.
#pragma once

#include <optional>
#include <string>

#include "eplb/storage/csv.hpp"

namespace eplb {

struct CompareOptions {
  std::string metric = "balancedness";
  std::string label_a = "A", label_b = "B";
  // Two strategies of one table: compare strategy_b against strategy_a within `a` (b unused).
  std::optional<std::string> strategy_a, strategy_b;
};

// Markdown report. Throws InputError when nothing pairs (naming the tables) or the metric is absent.
std::string compare_results(const CsvTable& a, const CsvTable& b, const CompareOptions& options);

}  // namespace eplb
