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
// With AVX-512, light packs of up to 16 items are ranked and searched by vector compares
// (nearest_pair_avx512): the same pair, without the insertion sort's mispredicted shifts.
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
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "argmax/first_extreme_avx512.hpp"
#include "components.hpp"
#include "eplb/kernel_isa.hpp"
#include "refine_swap.hpp"

namespace eplb::detail {
namespace {

// The first minimum of the candidate residuals |D - 2(w[a] - w[b])| over the heavy items a (in
// their order), each trying its lower-bound position first: the swap a <-> b it names.
struct NearestPair {
  double resid;
  int a;
  int b;
};

// Packs hold a handful of items (nodes x GPUs per node): nine per GPU on the V3 config.
constexpr std::size_t kWideLight = 16;
constexpr double kInf = std::numeric_limits<double>::infinity();

NearestPair nearest_pair(std::span<const double> w, std::span<const int> heavy,
                         std::span<const int> light_items, double delta) {
  thread_local std::vector<int> light;
  thread_local std::vector<double> light_w;
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
  NearestPair best{0.0, -1, -1};
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
      if (best.a < 0 || resid < best.resid) {
        best.resid = resid;
        best.a = a;
        best_k = k;
      }
    }
  }
  best.b = light[static_cast<std::size_t>(best_k)];
  return best;
}

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
// nearest_pair for up to 16 light items, eight heavy items per vector. The stable ascending ranks
// of the light weights come from one compare per pair (no insertion sort, whose shifts
// mispredict), a scatter by rank gives the sorted weights, each heavy lane counts the weights
// below its target and looks its two candidates up with one permute each.
EPLB_AVX512_TARGET NearestPair nearest_pair_avx512(std::span<const double> w,
                                                   std::span<const int> heavy,
                                                   std::span<const int> light_items, double delta) {
  const int n = static_cast<int>(light_items.size());  // 1..16
  const auto valid = static_cast<__mmask16>((1u << n) - 1u);
  const auto lo_valid = static_cast<__mmask8>(valid);
  const auto hi_valid = static_cast<__mmask8>(valid >> 8);
  const __m256i items_lo =
      _mm512_castsi512_si256(_mm512_maskz_loadu_epi32(lo_valid, light_items.data()));
  const __m256i items_hi =
      n > 8 ? _mm512_castsi512_si256(_mm512_maskz_loadu_epi32(hi_valid, light_items.data() + 8))
            : _mm256_setzero_si256();
  const __m512d v0 = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), lo_valid, items_lo, w.data(), 8);
  const __m512d v1 = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), hi_valid, items_hi, w.data(), 8);
  // rank[k] = #{j : w_j < w_k} + #{j < k : w_j == w_k}, the position in the stable sort.
  __m512i rank0 = _mm512_setzero_si512();
  __m512i rank1 = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi64(1);
  for (int j = 0; j < n; ++j) {
    const __m512d y =
        _mm512_set1_pd(w[static_cast<std::size_t>(light_items[static_cast<std::size_t>(j)])]);
    const auto after = static_cast<__mmask16>(~((2u << j) - 1u));  // lanes k > j
    const __mmask8 lo =
        _mm512_mask_cmp_pd_mask(lo_valid, y, v0, _CMP_LT_OQ) |
        (_mm512_mask_cmp_pd_mask(lo_valid, y, v0, _CMP_EQ_OQ) & static_cast<__mmask8>(after));
    const __mmask8 hi =
        _mm512_mask_cmp_pd_mask(hi_valid, y, v1, _CMP_LT_OQ) |
        (_mm512_mask_cmp_pd_mask(hi_valid, y, v1, _CMP_EQ_OQ) & static_cast<__mmask8>(after >> 8));
    rank0 = _mm512_mask_add_epi64(rank0, lo, rank0, one);
    rank1 = _mm512_mask_add_epi64(rank1, hi, rank1, one);
  }
  alignas(64) std::array<double, kWideLight> sorted{};
  _mm512_mask_i64scatter_pd(sorted.data(), lo_valid, rank0, v0, 8);
  _mm512_mask_i64scatter_pd(sorted.data(), hi_valid, rank1, v1, 8);
  const __m512d s0 = _mm512_load_pd(sorted.data());
  const __m512d s1 = _mm512_load_pd(sorted.data() + 8);

  const __m512d half_gap = _mm512_set1_pd(delta / 2.0);
  const __m512d gap = _mm512_set1_pd(delta);
  const __m512d two = _mm512_set1_pd(2.0);
  const __m512i last = _mm512_set1_epi64(n - 1);
  const __m512i zero = _mm512_setzero_si512();
  NearestPair best{0.0, -1, -1};
  int best_rank = -1;
  const int heavy_n = static_cast<int>(heavy.size());
  for (int base = 0; base < heavy_n; base += 8) {
    const int lanes = std::min(8, heavy_n - base);
    const auto in = static_cast<__mmask8>((1u << lanes) - 1u);
    const __m256i ia = _mm512_castsi512_si256(
        _mm512_maskz_loadu_epi32(static_cast<__mmask16>(in), heavy.data() + base));
    const __m512d wa = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), in, ia, w.data(), 8);
    const __m512d target = _mm512_sub_pd(wa, half_gap);
    __m512i pos = zero;
    for (int j = 0; j < n; ++j) {
      // The count needs no order: the weights straight from w, not the scattered copy.
      const __m512d y =
          _mm512_set1_pd(w[static_cast<std::size_t>(light_items[static_cast<std::size_t>(j)])]);
      pos = _mm512_mask_add_epi64(pos, _mm512_cmp_pd_mask(y, target, _CMP_LT_OQ), pos, one);
    }
    pos = _mm512_min_epi64(pos, last);
    const __m512i prev = _mm512_max_epi64(_mm512_sub_epi64(pos, one), zero);
    const __m512d at = _mm512_permutex2var_pd(s0, pos, s1);
    const __m512d below = _mm512_permutex2var_pd(s0, prev, s1);
    const __m512d r_at =
        _mm512_abs_pd(_mm512_sub_pd(gap, _mm512_mul_pd(two, _mm512_sub_pd(wa, at))));
    const __m512d r_below =
        _mm512_abs_pd(_mm512_sub_pd(gap, _mm512_mul_pd(two, _mm512_sub_pd(wa, below))));
    const __m512d m = spread_extreme_avx512<false>(
        _mm512_mask_blend_pd(in, _mm512_set1_pd(kInf), _mm512_min_pd(r_at, r_below)));
    const double least = _mm512_cvtsd_f64(m);
    if (best.a >= 0 && !(least < best.resid)) continue;  // an earlier heavy item keeps it
    const __mmask8 hit_at = _mm512_mask_cmp_pd_mask(in, r_at, m, _CMP_EQ_OQ);
    const __mmask8 hit = hit_at | _mm512_mask_cmp_pd_mask(in, r_below, m, _CMP_EQ_OQ);
    const int lane = std::countr_zero(static_cast<unsigned>(hit));
    const __m512i chosen = ((hit_at >> lane) & 1u) != 0 ? pos : prev;
    best.resid = least;
    best.a = heavy[static_cast<std::size_t>(base + lane)];
    best_rank = static_cast<int>(_mm_cvtsi128_si64(
        _mm512_castsi512_si128(_mm512_permutexvar_epi64(_mm512_set1_epi64(lane), chosen))));
  }
  // The light item at that sorted position: the lane holding that rank.
  const __m512i want = _mm512_set1_epi64(best_rank);
  const unsigned at_rank =
      static_cast<unsigned>(_mm512_mask_cmpeq_epi64_mask(lo_valid, rank0, want)) |
      (static_cast<unsigned>(_mm512_mask_cmpeq_epi64_mask(hi_valid, rank1, want)) << 8);
  best.b = light_items[static_cast<std::size_t>(std::countr_zero(at_rank))];
  return best;
}
EPLB_AVX512_WARNINGS_ON
#endif

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
    const ExtremePacks e = state.extremes();
    const double delta = e.gap;
    // A gap that is not finite (pack sums that overflowed) makes every residual +inf or NaN,
    // which never beats it: no swap, as the scan below would conclude (the wide search assumes
    // a finite gap, where some residual is the least).
    if (delta <= 1e-9 || !(delta < kInf)) return false;
    const std::span<const int> heavy = state.members(e.heavy);
    const std::span<const int> light = state.members(e.light);
#if EPLB_HAVE_AVX512_KERNELS
    const NearestPair best = light.size() <= kWideLight && kernel_isa() == KernelIsa::kAvx512
                                 ? nearest_pair_avx512(w, heavy, light, delta)
                                 : nearest_pair(w, heavy, light, delta);
#else
    const NearestPair best = nearest_pair(w, heavy, light, delta);
#endif
    if (!(best.resid < delta - 1e-9)) return false;
    state.swap_and_rerank(e, best.a, best.b, p);
    return true;
  }

  StageOptions options_;
};

}  // namespace

std::unique_ptr<Refiner> make_nearest_refiner(const StageOptions& options) {
  return std::make_unique<NearestRefiner>(options);
}

}  // namespace eplb::detail
