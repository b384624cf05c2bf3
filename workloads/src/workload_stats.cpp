// Skew statistics (definitions in eplb/workload_stats.hpp).
#include "eplb/workload_stats.hpp"

#include <algorithm>

namespace eplb {

LayerSkew layer_skew(const LoadMatrix& load, Eigen::Index layer) {
  thread_local std::vector<double> sorted;
  const auto experts = static_cast<std::size_t>(load.cols());
  const std::size_t top = std::max<std::size_t>(1, (experts + 9) / 10);
  LayerSkew s;
  sorted.assign(load.row(layer).data(), load.row(layer).data() + experts);
  std::sort(sorted.begin(), sorted.end());
  // Sums in ascending order: deterministic, and small terms are not lost behind large ones.
  double total = 0.0;
  double weighted = 0.0;  // sum_i (2i - E - 1) x_(i), i = 1..E
  for (std::size_t i = 0; i < experts; ++i) {
    total += sorted[i];
    weighted += (2.0 * static_cast<double>(i + 1) - static_cast<double>(experts) - 1.0) * sorted[i];
  }
  double top_sum = 0.0;
  for (std::size_t i = experts - top; i < experts; ++i) top_sum += sorted[i];
  s.total = total;
  if (total <= 0.0) {
    s.top10_share = static_cast<double>(top) / static_cast<double>(experts);
    return s;
  }
  s.max_over_mean = sorted.back() * static_cast<double>(experts) / total;
  s.gini = weighted / (static_cast<double>(experts) * total);
  s.top10_share = top_sum / total;
  return s;
}

std::vector<LayerSkew> layer_skews(const LoadMatrix& load) {
  std::vector<LayerSkew> out;
  out.reserve(static_cast<std::size_t>(load.rows()));
  for (Eigen::Index l = 0; l < load.rows(); ++l) out.push_back(layer_skew(load, l));
  return out;
}

StepSkew step_skew(const LoadMatrix& load) {
  StepSkew s;
  if (load.rows() == 0 || load.cols() == 0) return s;
  double sum_mom = 0.0;
  double sum_gini = 0.0;
  double sum_top = 0.0;
  s.max_max_over_mean = 0.0;
  for (Eigen::Index l = 0; l < load.rows(); ++l) {
    const LayerSkew k = layer_skew(load, l);
    s.total += k.total;
    if (k.total <= 0.0) ++s.zero_layers;
    sum_mom += k.max_over_mean;
    sum_gini += k.gini;
    sum_top += k.top10_share;
    s.max_max_over_mean = std::max(s.max_max_over_mean, k.max_over_mean);
    s.max_gini = std::max(s.max_gini, k.gini);
    s.max_top10_share = std::max(s.max_top10_share, k.top10_share);
  }
  const auto layers = static_cast<double>(load.rows());
  s.mean_max_over_mean = sum_mom / layers;
  s.mean_gini = sum_gini / layers;
  s.mean_top10_share = sum_top / layers;
  return s;
}

}  // namespace eplb
