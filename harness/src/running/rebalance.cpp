// The rebalance protocol's simulation; see rebalance.hpp.
#include "eplb/running/rebalance.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include "eplb/error.hpp"
#include "eplb/keep_slots.hpp"
#include "eplb/validator.hpp"

namespace eplb {
namespace {

// `current` with the layers where `take` is set copied from `candidate`.
Placement mix(const Placement& current, const Placement& candidate, const std::vector<char>& take) {
  Placement out = current;
  for (std::size_t l = 0; l < take.size(); ++l) {
    if (!take[l]) continue;
    const auto row = static_cast<Eigen::Index>(l);
    out.phy2log.row(row) = candidate.phy2log.row(row);
    out.logcnt.row(row) = candidate.logcnt.row(row);
    // Ranks travel with their layer; a side without ranks leaves log2phy in slot order.
    if (out.phyrank.size() == out.phy2log.size() &&
        candidate.phyrank.size() == candidate.phy2log.size()) {
      out.phyrank.row(row) = candidate.phyrank.row(row);
    } else {
      out.phyrank.resize(0, 0);
    }
  }
  return out;
}

}  // namespace

std::vector<RebalanceStep> simulate_rebalance(const Strategy& strategy, const Estimator& estimator,
                                              const std::vector<LoadMatrix>& steps,
                                              const Topology& topo, const RebalanceConfig& config,
                                              int last_step) {
  if (config.warmup < 1 || config.every < 1) {
    throw InputError("rebalance: warmup and every must be >= 1");
  }
  if (last_step > static_cast<int>(steps.size()) || config.warmup >= last_step) {
    throw InputError(fmt::format("rebalance: {} warm-up step(s) leave nothing to score in {} steps",
                                 config.warmup, last_step));
  }
  const int L = static_cast<int>(steps.front().rows());
  const int E = static_cast<int>(steps.front().cols());
  std::vector<RebalanceStep> out;
  std::optional<Placement> current;
  int planned_at = config.warmup;
  for (int t = config.warmup; t < last_step; ++t) {
    RebalanceStep row;
    row.step = t;
    if ((t - config.warmup) % config.every == 0) {
      const LoadMatrix estimate = estimator.estimate(steps, t);
      Placement candidate = strategy.plan(estimate, topo);
      require_valid(candidate, topo, L, E, "rebalance plan");
      if (!current) {
        current = std::move(candidate);
        row.event = "initial";
        planned_at = t;
      } else {
        if (config.keep) candidate = keep_slots(candidate, *current, topo);
        const Metrics before = compute_metrics(estimate, *current, topo);
        const Metrics after = compute_metrics(estimate, candidate, topo);
        std::vector<double> gain(static_cast<std::size_t>(L));
        std::vector<char> take(static_cast<std::size_t>(L), 1);
        for (std::size_t l = 0; l < gain.size(); ++l) {
          gain[l] = after.layers[l].balancedness - before.layers[l].balancedness;
          if (config.skip_layer_below > 0.0 && gain[l] < config.skip_layer_below) take[l] = 0;
        }
        if (config.max_layers > 0 && config.max_layers < L) {
          std::vector<int> order(static_cast<std::size_t>(L));
          std::iota(order.begin(), order.end(), 0);
          std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return gain[static_cast<std::size_t>(a)] > gain[static_cast<std::size_t>(b)];
          });
          int kept = 0;
          for (int l : order) {
            if (!take[static_cast<std::size_t>(l)]) continue;
            if (kept < config.max_layers) {
              ++kept;
            } else {
              take[static_cast<std::size_t>(l)] = 0;
            }
          }
        }
        Placement next = mix(*current, candidate, take);
        require_valid(next, topo, L, E, "rebalance placement");
        row.predicted_gain =
            compute_metrics(estimate, next, topo).balancedness - before.balancedness;
        const bool none =
            std::none_of(take.begin(), take.end(), [](char taken) { return taken != 0; });
        if (none || (config.skip_below > 0.0 && row.predicted_gain < config.skip_below)) {
          row.event = "skipped";
        } else {
          row.event = "rebalance";
          row.moves = migration(*current, next, topo, config.expert_bytes);
          current = std::move(next);
          planned_at = t;
        }
      }
    }
    row.planned_at = planned_at;
    row.policy = current->policy;
    row.metrics = compute_metrics(steps[static_cast<std::size_t>(t)], *current, topo);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace eplb
