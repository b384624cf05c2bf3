// Protocol rebalance: a placement lives for many steps and is replaced every K steps, paying for
// the replicas it moves.
//
// On a workload of steps x_0 .. x_{T-1} with a strategy, an estimator and a RebalanceConfig
// (plan.hpp):
//   - warm-up: steps 0 .. W-1 (W = warmup, >= 1) are only observed: no placement exists yet, so
//     they are neither planned for nor scored;
//   - decisions happen before steps t = W, W+K, W+2K, ... (t < T): the strategy plans on the
//     estimate over x_0 .. x_{t-1} (the load of step t is not known before it runs); with keep,
//     the plan is relabeled by keep_slots against the placement in force (never changes a GPU's
//     load, only the moves);
//   - at t = W the plan is deployed as is ("initial": nothing to move from, 0 moves counted);
//   - later, the candidate replaces the placement in force layer by layer. Predicted gain of
//     layer l: gain_l = b_l(candidate) - b_l(in force), b_l = per-layer balancedness (mean/max
//     GPU load) on the estimate. With skip_layer_below > 0, layers with gain_l < skip_layer_below
//     keep their placement; with max_layers > 0, only the max_layers layers of largest gain_l
//     (ties: lower layer) change. The rebalance's predicted gain is balancedness(new, estimate) -
//     balancedness(in force, estimate); with skip_below > 0 a rebalance whose gain is below it is
//     skipped ("skipped": nothing changes, 0 moves), as is one where no layer is selected.
//     Otherwise "rebalance": moves = migration(in force, new) (migration.hpp), counted at step t;
//   - every step t >= W is scored with the placement in force during it (compute_metrics on x_t).
// Every plan and every mixed placement passes the validator (PlacementError otherwise).
#pragma once

#include <string>
#include <vector>

#include "eplb/estimate.hpp"
#include "eplb/metrics.hpp"
#include "eplb/migration.hpp"
#include "eplb/plan_files/plan.hpp"
#include "eplb/strategy.hpp"

namespace eplb {

struct RebalanceStep {
  int step = 0;                 // t, the scored step
  int planned_at = 0;           // the decision step of the placement in force during t
  std::string event;            // "initial", "rebalance", "skipped" or "" (no decision at t)
  double predicted_gain = 0.0;  // of the decision at t (0 without one, and for "initial")
  Migration moves;              // made before step t ("rebalance" only)
  Policy policy = Policy::kGlobal;
  Metrics metrics;  // placement in force, scored on x_t
};

// Steps t = config.warmup .. last_step-1 (last_step <= steps.size()). Throws InputError for
// warmup >= last_step, PlacementError for an invalid plan.
std::vector<RebalanceStep> simulate_rebalance(const Strategy& strategy, const Estimator& estimator,
                                              const std::vector<LoadMatrix>& steps,
                                              const Topology& topology,
                                              const RebalanceConfig& config, int last_step);

}  // namespace eplb
