// Shared by the fuzz targets: plans a load matrix that passed check_load_matrix with every
// registered strategy (and deepseek:precision=float32) on a small topology chosen by `selector`,
// and aborts (a finding) on a crash, an invalid placement or a metric that is not finite.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "eplb/metrics.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"

namespace eplb::fuzz {

inline const std::vector<std::string>& every_strategy() {
  static const std::vector<std::string> specs = [] {
    std::vector<std::string> out;
    for (const auto& entry : strategy_registry().entries()) out.push_back(entry.name);
    out.emplace_back("deepseek:precision=float32");
    out.emplace_back("deepseek:policy=global");
    return out;
  }();
  return specs;
}

inline void plan_with_every_strategy(const LoadMatrix& load, std::uint8_t selector) {
  const int experts = static_cast<int>(load.cols());
  if (load.rows() > 8 || experts > 64) return;  // keep executions fast; sizes are not the point
  const int gpus = 1 + (selector & 1);
  const int nodes = (selector & 2) != 0 && gpus == 2 ? 2 : 1;
  const int groups = nodes == 2 && experts % 2 == 0 ? 2 : 1;
  const int wanted = experts + (selector >> 2) % 3;
  const Topology topo{(wanted + gpus - 1) / gpus * gpus, groups, nodes, gpus};
  for (const std::string& spec : every_strategy()) {
    const auto made = make_strategy(spec);
    const Placement p = made.product->plan(load, topo);
    if (find_violation(p, topo, static_cast<int>(load.rows()), experts)) std::abort();
    const Metrics m = compute_metrics(load, p, topo);
    for (const MetricInfo& info : metric_infos()) {
      if (!std::isfinite(metric_value(m, info.name))) std::abort();
    }
    for (const LayerMetrics& lm : m.layers) {
      if (!std::isfinite(lm.balancedness) || !std::isfinite(lm.max_gpu_load)) std::abort();
    }
  }
}

}  // namespace eplb::fuzz
