// Metrics, each defined once (formulas also in README.md, "Metrics").
//
// For a layer l with weights w (the *scored* window) and a placement (phy2log, logcnt):
//   replica load   r_s   = w[phy2log[s]] / logcnt[phy2log[s]]
//   GPU load       g_q   = sum of r_s over the slots of GPU q
//   node load      n_k   = sum of g_q over the GPUs of node k (physical node, whatever the policy)
//   layer total    W     = sum_e w[e] (expert order); mean_q g_q = W / P, mean_s r_s = W / R,
//                          mean_k n_k = W / N (equal in exact arithmetic, as every expert has a
//                          replica, and independent of the placement)
// GPU and node loads add their terms in ascending order of value, from 0.0: a load is a function
// of the multiset of replicas (of GPU loads), so relabeling slots, GPUs or nodes (keep_slots.hpp)
// never changes a bit of any metric.
// Aggregates over layers (ratio of sums: layers run one after another and each waits for its
// slowest GPU, so this is ideal time / actual time):
//   balancedness             = sum_l mean_q g_q / sum_l max_q g_q             (headline)
//   balancedness_slot        = sum_l mean_s r_s / sum_l max_s r_s
//   balancedness_node        = sum_l mean_k n_k / sum_l max_k n_k
//   balancedness_layer_mean  = mean_l (mean_q g_q / max_q g_q)   (DeepSeek's "balance factor")
//   worst_layer_balancedness = min_l (mean_q g_q / max_q g_q)
//   balancedness_bound       = sum_l mean_q g_q / sum_l LB_l, LB_l the layer's lower bound on the
//                              max GPU load of every placement the placement's policy allows
//                              (eplb/bounds.hpp); no placement of that policy scores above it
//   gap                      = balancedness_bound - balancedness (the room left)
// A layer with max GPU load 0 has per-layer ratio 1.0 (counted in zero_load_layers); a ratio of
// sums whose denominator is 0 is 1.0.
//   duplicate_replicas       = number of replicas that share a GPU with at least one other replica
//                              of the same logical expert (an expert with k >= 2 replicas on one
//                              GPU contributes k)
//   group_node_span, off_node_load_share: locality, see locality.hpp
#pragma once

#include <vector>

#include "eplb/types.hpp"

namespace eplb {

struct LayerMetrics {
  double mean_gpu_load = 0.0;
  double max_gpu_load = 0.0;
  double balancedness = 1.0;  // mean / max, 1.0 for an all-zero layer
  double bound = 1.0;         // mean / LB (eplb/bounds.hpp): no placement of the policy exceeds it
};

struct Metrics {
  double balancedness = 1.0;
  double balancedness_bound = 1.0;  // sum_l mean_l / sum_l LB_l
  double gap = 0.0;                 // balancedness_bound - balancedness
  double balancedness_layer_mean = 1.0;
  double balancedness_slot = 1.0;
  double balancedness_node = 1.0;
  double worst_layer_balancedness = 1.0;
  int worst_layer = -1;  // index of the layer attaining worst_layer_balancedness (-1: no layers)
  int zero_load_layers = 0;
  long duplicate_replicas = 0;
  double group_node_span = 1.0;      // locality.hpp
  double off_node_load_share = 0.0;  // locality.hpp
  std::vector<LayerMetrics> layers;  // one per layer
};

// Names of the scalar metrics in output order, and whether larger is better.
struct MetricInfo {
  const char* name;
  bool higher_is_better;
  const char* doc;
};
const std::vector<MetricInfo>& metric_infos();
// The scalar value of `name` (one of metric_infos()); throws Error for an unknown name.
double metric_value(const Metrics& metrics, const char* name);

// `load` is the window being scored ([layers x E]); the placement must have been validated for
// this topology and shape (see validator.hpp). Throws Error on a shape mismatch.
Metrics compute_metrics(const LoadMatrix& load, const Placement& placement,
                        const Topology& topology);

}  // namespace eplb
