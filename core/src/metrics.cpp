#include "eplb/metrics.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "eplb/bounds.hpp"
#include "eplb/error.hpp"
#include "eplb/locality.hpp"

namespace eplb {
namespace {

double ratio_or_one(double num, double den) { return den > 0.0 ? num / den : 1.0; }

// Sums in ascending order of value, so a sum depends only on the multiset of its terms: keep_slots
// relabels slots, GPUs and nodes, and must not change a single bit of any metric. (Slot order is
// not enough: (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1 in doubles.)
double sorted_sum(std::vector<double>& terms) {
  std::sort(terms.begin(), terms.end());
  double sum = 0.0;
  for (double t : terms) sum += t;
  return sum;
}

}  // namespace

const std::vector<MetricInfo>& metric_infos() {
  static const std::vector<MetricInfo> infos = {
      {"balancedness", true, "sum_l mean GPU load / sum_l max GPU load (headline)"},
      {"balancedness_bound", true,
       "sum_l mean GPU load / sum_l lower bound on the max GPU load (no placement of the policy "
       "scores above it)"},
      {"gap", false, "balancedness_bound - balancedness: the room left"},
      {"balancedness_layer_mean", true, "mean over layers of mean/max GPU load (DeepSeek)"},
      {"balancedness_slot", true, "sum_l mean slot load / sum_l max slot load"},
      {"balancedness_node", true, "sum_l mean node load / sum_l max node load"},
      {"worst_layer_balancedness", true, "min over layers of mean/max GPU load"},
      {"duplicate_replicas", false, "replicas sharing a GPU with a replica of the same expert"},
      {"zero_load_layers", false, "layers whose load is all zero (ratio counted as 1.0)"},
      {"group_node_span", false, "mean number of nodes an expert group's replicas span"},
      {"off_node_load_share", false, "share of a group's load served off its home node"},
  };
  return infos;
}

double metric_value(const Metrics& m, const char* name) {
  if (std::strcmp(name, "balancedness") == 0) return m.balancedness;
  if (std::strcmp(name, "balancedness_bound") == 0) return m.balancedness_bound;
  if (std::strcmp(name, "gap") == 0) return m.gap;
  if (std::strcmp(name, "balancedness_layer_mean") == 0) return m.balancedness_layer_mean;
  if (std::strcmp(name, "balancedness_slot") == 0) return m.balancedness_slot;
  if (std::strcmp(name, "balancedness_node") == 0) return m.balancedness_node;
  if (std::strcmp(name, "worst_layer_balancedness") == 0) return m.worst_layer_balancedness;
  if (std::strcmp(name, "duplicate_replicas") == 0)
    return static_cast<double>(m.duplicate_replicas);
  if (std::strcmp(name, "zero_load_layers") == 0) return m.zero_load_layers;
  if (std::strcmp(name, "group_node_span") == 0) return m.group_node_span;
  if (std::strcmp(name, "off_node_load_share") == 0) return m.off_node_load_share;
  throw Error(fmt::format("unknown metric '{}'", name));
}

Metrics compute_metrics(const LoadMatrix& load, const Placement& p, const Topology& topo) {
  const int L = static_cast<int>(load.rows());
  const int E = static_cast<int>(load.cols());
  if (p.phy2log.rows() != L || p.logcnt.rows() != L || p.logcnt.cols() != E ||
      p.phy2log.cols() != topo.num_replicas) {
    throw Error(
        fmt::format("compute_metrics: placement {}x{} (logcnt {}x{}) does not fit load "
                    "{}x{} with {} replicas",
                    p.phy2log.rows(), p.phy2log.cols(), p.logcnt.rows(), p.logcnt.cols(), L, E,
                    topo.num_replicas));
  }
  const int R = topo.num_replicas;
  const int P = topo.num_gpus;
  const int N = topo.num_nodes;
  const int spg = topo.slots_per_gpu();

  Metrics m;
  m.layers.resize(static_cast<std::size_t>(L));
  std::vector<double> gpu(static_cast<std::size_t>(P));
  std::vector<double> node(static_cast<std::size_t>(N));
  std::vector<double> terms;
  std::vector<int> seen(static_cast<std::size_t>(E), 0);
  double sum_mean = 0.0, sum_max = 0.0, sum_slot_mean = 0.0, sum_slot_max = 0.0;
  double sum_node_mean = 0.0, sum_node_max = 0.0, sum_ratio = 0.0, sum_bound = 0.0;
  for (int l = 0; l < L; ++l) {
    // The layer total, in expert order, gives every mean: sum_s r_s = sum_e w[e] because every
    // expert has logcnt[e] >= 1 replicas of w[e] / logcnt[e]; it does not depend on the placement.
    double total = 0.0;
    for (int e = 0; e < E; ++e) total += load(l, e);
    double slot_max = 0.0;
    for (int q = 0; q < P; ++q) {
      terms.clear();
      for (int s = q * spg; s < (q + 1) * spg; ++s) {
        const int e = p.phy2log(l, s);
        const double r = load(l, e) / static_cast<double>(p.logcnt(l, e));
        terms.push_back(r);
        slot_max = std::max(slot_max, r);
      }
      gpu[static_cast<std::size_t>(q)] = sorted_sum(terms);
    }
    double gpu_max = 0.0;
    for (double g : gpu) gpu_max = std::max(gpu_max, g);
    double node_max = 0.0;
    for (int k = 0; k < N; ++k) {
      terms.clear();
      for (int q = 0; q < P; ++q)
        if (topo.node_of_gpu(q) == k) terms.push_back(gpu[static_cast<std::size_t>(q)]);
      node[static_cast<std::size_t>(k)] = sorted_sum(terms);
      node_max = std::max(node_max, node[static_cast<std::size_t>(k)]);
    }

    LayerMetrics& lm = m.layers[static_cast<std::size_t>(l)];
    lm.mean_gpu_load = total / P;
    lm.max_gpu_load = gpu_max;
    lm.balancedness = gpu_max > 0.0 ? lm.mean_gpu_load / gpu_max : 1.0;
    const LayerBound bound = layer_bound(
        std::span<const double>(load.row(l).data(), static_cast<std::size_t>(E)), topo, p.policy);
    lm.bound = bound.ratio;
    sum_bound += bound.max_load;
    if (gpu_max <= 0.0) ++m.zero_load_layers;
    sum_mean += lm.mean_gpu_load;
    sum_max += gpu_max;
    sum_slot_mean += total / R;
    sum_slot_max += slot_max;
    sum_node_mean += total / N;
    sum_node_max += node_max;
    sum_ratio += lm.balancedness;
    if (m.worst_layer < 0 || lm.balancedness < m.worst_layer_balancedness) {
      m.worst_layer_balancedness = lm.balancedness;
      m.worst_layer = l;
    }

    // Replicas of one expert on one GPU: count them per GPU with a seen-stamp array.
    for (int q = 0; q < P; ++q) {
      for (int s = q * spg; s < (q + 1) * spg; ++s)
        seen[static_cast<std::size_t>(p.phy2log(l, s))] = 0;
      for (int s = q * spg; s < (q + 1) * spg; ++s)
        ++seen[static_cast<std::size_t>(p.phy2log(l, s))];
      for (int s = q * spg; s < (q + 1) * spg; ++s) {
        const int k = seen[static_cast<std::size_t>(p.phy2log(l, s))];
        if (k >= 2) ++m.duplicate_replicas;
      }
    }
  }
  m.balancedness = ratio_or_one(sum_mean, sum_max);
  m.balancedness_bound = ratio_or_one(sum_mean, sum_bound);
  m.gap = m.balancedness_bound - m.balancedness;
  m.balancedness_slot = ratio_or_one(sum_slot_mean, sum_slot_max);
  m.balancedness_node = ratio_or_one(sum_node_mean, sum_node_max);
  m.balancedness_layer_mean = L > 0 ? sum_ratio / L : 1.0;
  const Locality locality = compute_locality(load, p, topo);
  m.group_node_span = locality.group_node_span;
  m.off_node_load_share = locality.off_node_load_share;
  return m;
}

}  // namespace eplb
