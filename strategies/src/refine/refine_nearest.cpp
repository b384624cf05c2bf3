// nearest refiner: up to `steps` single swaps between the heaviest and the lightest pack, each
// exchanging the pair whose weight difference is nearest to half the load gap.
//
// Each step recomputes the pack loads L, takes h = ARGMAX(L), l = ARGMIN(L), gap D = L[h] - L[l]
// (stop if D <= 1e-9). For every item a of h (ascending index) a binary search in the weights of
// l's items (sorted ascending, stable) finds the first weight >= w[a] - D/2; that position and the
// one before it are the candidates, scored by |D - 2(w[a] - w[b])|, the gap after the swap. The
// first minimum is swapped if it beats D - 1e-9; both packs are then re-ranked (RERANK, heavy
// first). Cost: O(n) once per call (loads and every pack's items, refine_swap.hpp), then
// O(m + cap^2) per step (the search is a branch-free count: packs hold a handful of items).
//
// Options: `steps`; with `adapt`, one extra step when the initial imbalance is large: mean0 > 0
// and (max(L0) - min(L0)) / mean0 > adapt_threshold (and no refinement at all when steps == 0).
//
// Origin: seed003 "hybrid_sainte_lague_tail_and_stage_refine" (steps 1 for nodes, 2 for GPUs;
// COMPOSITION.md section 4.2 NEAREST_REFINE) and seed001 "adaptive_tail_and_refine_fixup"
// (ADAPTIVE_NEAREST, section 4.4, threshold 0.03).
//
// Known weaknesses:
// * Only swaps between the heaviest and the lightest pack; a pack in the middle never moves, and
//   a step stops as soon as that one pair cannot improve, even if other pairs could.
// * The score is the gap of the pair (h, l), not the global max - min: a swap can make l the new
//   heaviest pack, though never heavier than L[h] was.
// * Each heavy item looks at only the two light items around its ideal partner, so a swap of
//   equal score elsewhere is not found; only 1x1 swaps.
#include <algorithm>
#include <cmath>

#include "components.hpp"
#include "refine_swap.hpp"

namespace eplb::detail {
namespace {

class NearestRefiner final : public Refiner {
 public:
  explicit NearestRefiner(const StageOptions& options) : options_(options) {}

  void refine(std::span<const double> w, int m, Packing& p) const override {
    thread_local SwapState state;
    int steps = options_.steps;
    if (steps <= 0) return;
    state.build(w, m, p);
    if (options_.adapt) {
      const std::vector<double>& loads = state.loads();
      const auto [lo, hi] = std::minmax_element(loads.begin(), loads.end());
      const double delta0 = *hi - *lo;
      double sum = 0.0;
      for (const double x : loads) sum += x;
      const double mean0 = sum / m;
      if (mean0 > 0.0 && delta0 / mean0 > options_.adapt_threshold) ++steps;
    }
    for (int step = 0; step < steps; ++step) {
      if (!step_once(w, p, state)) break;
    }
  }

 private:
  // One NEAREST_REFINE iteration; false when it stops (gap too small or no improving swap).
  static bool step_once(std::span<const double> w, Packing& p, SwapState& state) {
    thread_local std::vector<int> light;
    thread_local std::vector<double> light_w;
    const ExtremePacks e = state.extremes();
    const double delta = e.gap;
    if (delta <= 1e-9) return false;
    const std::span<const int> heavy = state.members(e.heavy);
    const std::span<const int> light_items = state.members(e.light);
    // SORT_ASC of the light items by weight, equal weights by ascending item index: the members
    // come in ascending index, so a stable insertion sort (a pack holds a handful of items).
    light.resize(light_items.size());
    light_w.resize(light_items.size());
    for (std::size_t k = 0; k < light_items.size(); ++k) {
      const int item = light_items[k];
      const double x = w[static_cast<std::size_t>(item)];
      std::size_t j = k;
      for (; j > 0 && x < light_w[j - 1]; --j) {
        light_w[j] = light_w[j - 1];
        light[j] = light[j - 1];
      }
      light_w[j] = x;
      light[j] = item;
    }
    const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(light_w.size()) - 1;
    double best = 0.0;
    int best_a = -1;
    std::ptrdiff_t best_k = -1;
    for (const int a : heavy) {
      const double wa = w[static_cast<std::size_t>(a)];
      const double target = wa - (delta / 2.0);
      // lower_bound in the sorted weights, as the number of weights below target: a count
      // without branches (a binary search's halvings mispredict on random weights).
      std::ptrdiff_t pos = 0;
      for (const double y : light_w) pos += y < target ? 1 : 0;
      pos = std::min(pos, last);
      for (const std::ptrdiff_t k : {pos, std::max<std::ptrdiff_t>(pos - 1, 0)}) {
        const double resid = std::abs(delta - 2.0 * (wa - light_w[static_cast<std::size_t>(k)]));
        if (best_a < 0 || resid < best) {
          best = resid;
          best_a = a;
          best_k = k;
        }
      }
    }
    if (!(best < delta - 1e-9)) return false;
    state.swap_and_rerank(e, best_a, light[static_cast<std::size_t>(best_k)], p);
    return true;
  }

  StageOptions options_;
};

}  // namespace

std::unique_ptr<Refiner> make_nearest_refiner(const StageOptions& options) {
  return std::make_unique<NearestRefiner>(options);
}

}  // namespace eplb::detail
