// Shared steps of the heaviest-vs-lightest swap refiners (nearest, k_swap): find the two extreme
// packs from freshly computed loads, and apply one 1x1 swap with COMPOSITION.md's re-ranking.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "eplb/pipeline.hpp"

namespace eplb::detail {

struct ExtremePacks {
  int heavy;   // ARGMAX of the pack loads (lowest pack index on ties)
  int light;   // ARGMIN of the pack loads
  double gap;  // L[heavy] - L[light]
};

// PACKLOADS from scratch (section 3.2), then the heaviest and the lightest pack.
inline ExtremePacks extreme_packs(std::span<const double> w, int m, const Packing& p,
                                  std::vector<double>& loads) {
  pack_loads(w, m, p, loads);
  const auto h = std::max_element(loads.begin(), loads.end());
  const auto l = std::min_element(loads.begin(), loads.end());
  return {static_cast<int>(h - loads.begin()), static_cast<int>(l - loads.begin()), *h - *l};
}

// Swaps item a (of pack `e.heavy`) with item b (of pack `e.light`), then RERANK(heavy) and
// RERANK(light), in that order (section 3.3).
inline void swap_and_rerank(const ExtremePacks& e, int a, int b, Packing& p) {
  p.pack[static_cast<std::size_t>(a)] = e.light;
  p.pack[static_cast<std::size_t>(b)] = e.heavy;
  rerank(e.heavy, p);
  rerank(e.light, p);
}

}  // namespace eplb::detail
