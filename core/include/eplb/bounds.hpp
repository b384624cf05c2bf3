// Upper bounds on balancedness: how good any placement a policy allows can be.
//
// For one layer with weights w (E experts, S = sum w), a bound is a lower bound LB on the max GPU
// load of *every* placement the policy allows (any replica counts c >= 1 with sum c = R, any
// assignment of the R replicas to P GPUs of s = R/P slots), so mean/LB >= balancedness of every
// such placement. The bounds combined (largest wins):
//   mean        S / P.
//   pigeonhole  level k = 0..s-1: if more than k*P replicas are larger than T/(k+1), some GPU holds
//               k+1 of them and carries more than T. LB_k = min over counts of the smallest such T,
//               found by bisection on T; for a given T the best counts clear (split below the
//               threshold) as many experts as possible, cheapest first. Level 0 is t*, D'Hondt's
//               optimum of the largest replica. A level is only bisected when it beats the mean.
//   hierarchical  G/N whole groups per node, R/N slots and P/N GPUs per node: LB = min over the
//               group -> node assignments of the max over nodes of the node's (global) bound.
//               Assignments are enumerated when there are at most kMaxEnumeratedAssignments; else
//               a relaxation (the global bound, and the node holding the heaviest group carrying at
//               least that group plus the lightest G/N-1 others) is used and recorded.
// Aggregate over layers in the headline's ratio-of-sums form:
//   balancedness_bound = sum_l mean_l / sum_l LB_l   (1.0 when the denominator is 0).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "eplb/types.hpp"

namespace eplb {

// Which bound set the layer's LB (the largest one; ties resolve in this order).
enum class BoundKind { kMean, kReplica, kPigeonhole, kNodeAssignment, kNodeRelaxation };
const char* to_string(BoundKind kind);

inline constexpr long kMaxEnumeratedAssignments = 20000;

struct LayerBound {
  double mean = 0.0;      // S / P
  double max_load = 0.0;  // LB: no allowed placement has a smaller max GPU load
  double ratio = 1.0;     // mean / max_load (1.0 for an all-zero layer)
  BoundKind kind = BoundKind::kMean;
  // Hierarchical only: the assignment attaining the min (node of each group), empty otherwise or
  // when the relaxation was used.
  std::vector<int> group_node;
};

// LB on the max GPU load for `weights` on `num_replicas` slots over `num_gpus` GPUs, any counts
// and any packing (the global policy). Sets kind to kMean, kReplica (t*) or kPigeonhole.
LayerBound flat_bound(std::span<const double> weights, int num_replicas, int num_gpus);

// The bound of one layer under `policy` (kGlobal or kHierarchical; kAuto resolves first).
LayerBound layer_bound(std::span<const double> weights, const Topology& topology, Policy policy);

// Number of ways to split `groups` labelled groups into `nodes` unlabelled blocks of equal size
// (saturates at INT64_MAX).
std::int64_t count_group_assignments(int groups, int nodes);

// Per-layer bounds of a load matrix and the aggregate ratio of sums.
struct Bounds {
  std::vector<LayerBound> layers;
  double balancedness_bound = 1.0;
  int relaxed_layers = 0;  // layers where the hierarchical relaxation replaced the enumeration
};
Bounds compute_bounds(const LoadMatrix& load, const Topology& topology, Policy policy);

}  // namespace eplb
