// Skew statistics of expert loads: how unevenly one layer's tokens fall on its experts.
//
// For a layer with loads x_1..x_E (total T, mean T/E):
//   max_over_mean = max x / mean x         (1 = perfectly even; the bound EPLB must beat)
//   gini          = sum_i (2i - E - 1) x_(i) / (E T), x_(i) ascending, i = 1..E (0 even, ->1 hot)
//   top10_share   = share of T held by the ceil(E / 10) most-loaded experts (0.1 when even)
// An all-zero layer counts as even (1, 0, ceil(E/10)/E), as the metrics treat a zero layer.
// A step is summarised by the mean and maximum of these over its layers.
#pragma once

#include <vector>

#include "eplb/types.hpp"

namespace eplb {

struct LayerSkew {
  double total = 0.0;
  double max_over_mean = 1.0;
  double gini = 0.0;
  double top10_share = 0.0;
};

struct StepSkew {
  double total = 0.0;  // sum over layers and experts
  int zero_layers = 0;
  double mean_max_over_mean = 1.0;
  double max_max_over_mean = 1.0;
  double mean_gini = 0.0;
  double max_gini = 0.0;
  double mean_top10_share = 0.0;
  double max_top10_share = 0.0;
};

// Skew of layer `layer` of `load`. O(E log E); no allocation after the first call per thread.
LayerSkew layer_skew(const LoadMatrix& load, Eigen::Index layer);
// Per-layer skew of every layer.
std::vector<LayerSkew> layer_skews(const LoadMatrix& load);
// Summary over the layers of one step.
StepSkew step_skew(const LoadMatrix& load);

}  // namespace eplb
