// k_swap refiner: up to `steps` single swaps between the heaviest and the lightest pack, each the
// best of the k x k pairs (k heaviest items of the heavy pack, k lightest of the light pack).
//
// Each step recomputes the pack loads L, takes h = ARGMAX(L), l = ARGMIN(L), gap D = L[h] - L[l]
// (stop if D <= 1e-9), T = TOPK of h's items by weight, B = BOTTOMK of l's items (ties to the
// lower item index). Over a in T (largest first), then b in B (smallest first), the pair with the
// first minimum of |D - 2(w[a] - w[b])| is swapped if that beats D - 1e-9; both packs are then
// re-ranked (RERANK, heavy first). Cost: O(n) once per call (loads and every pack's items,
// refine_swap.hpp), then O(m + cap log k + k^2) per step.
//
// Origin: seed004 "k2_refine_and_stronger_replication_fix" (K2_REFINE, k = 2, steps = 2, both
// stages; COMPOSITION.md section 4.3), generalised to any k >= 1.
//
// Known weaknesses:
// * Only swaps between the heaviest and the lightest pack; stops at the first step where that
//   pair cannot improve.
// * Only the extreme items are candidates: with small k the ideal partner (difference D/2) is
//   usually among the middle items, which the nearest refiner would find.
// * Only 1x1 swaps; the score is the pair's gap, not the global max - min.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "components.hpp"
#include "eplb/error.hpp"
#include "refine_swap.hpp"

namespace eplb::detail {
namespace {

class KSwapRefiner final : public Refiner {
 public:
  explicit KSwapRefiner(const StageOptions& options) : options_(options) {}

  void refine(std::span<const double> w, int m, Packing& p) const override {
    thread_local SwapState state;
    if (options_.steps <= 0) return;
    state.build(w, m, p);
    for (int step = 0; step < options_.steps; ++step) {
      if (!step_once(w, p, state)) break;
    }
  }

 private:
  bool step_once(std::span<const double> w, Packing& p, SwapState& state) const {
    thread_local std::vector<int> top;
    thread_local std::vector<int> bottom;
    const ExtremePacks e = state.extremes();
    const double delta = e.gap;
    if (delta <= 1e-9) return false;
    top_k(w, state.members(e.heavy), options_.k, top);
    bottom_k(w, state.members(e.light), options_.k, bottom);
    double best = 0.0;
    int best_a = -1;
    int best_b = -1;
    for (const int a : top) {
      for (const int b : bottom) {
        const double t = w[static_cast<std::size_t>(a)] - w[static_cast<std::size_t>(b)];
        const double nd = std::abs(delta - 2.0 * t);
        if (best_a < 0 || nd < best) {
          best = nd;
          best_a = a;
          best_b = b;
        }
      }
    }
    if (best_a < 0 || !(best < delta - 1e-9)) return false;
    state.swap_and_rerank(e, best_a, best_b, p);
    return true;
  }

  StageOptions options_;
};

}  // namespace

std::unique_ptr<Refiner> make_k_swap_refiner(const StageOptions& options) {
  if (options.k < 1)
    throw InputError(fmt::format("refine=k_swap: k={} must be at least 1", options.k));
  return std::make_unique<KSwapRefiner>(options);
}

}  // namespace eplb::detail
