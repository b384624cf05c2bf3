// ARGMIN / ARGMAX of a short array without a loop-carried compare-select chain (greedy packing and
// the label-aware packers call it once per item, D'Hondt once per extra slot).
#pragma once

#include <algorithm>
#include <bit>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eplb::detail {

// The lowest index of the least (kMost = false) or greatest value of v[0..n) (n >= 1; no NaN).
// Equal values, -0.0 and +0.0 included, count as the extreme, exactly as a left-to-right scan
// with a strict comparison picks the first of them.
template <bool kMost>
inline int first_extreme(const double* v, int n) {
#if defined(__SSE2__)
  // Two values per instruction (SSE2 is part of x86-64): the extreme by two independent chains,
  // then one equality mask over all positions. About half the instructions of the scalar form.
  if (n >= 2 && n <= 32) {
    const auto pick = [](__m128d a, __m128d b) {
      return kMost ? _mm_max_pd(a, b) : _mm_min_pd(a, b);
    };
    __m128d a = _mm_loadu_pd(v);
    __m128d b = a;
    int k = 2;
    for (; k + 4 <= n; k += 4) {
      a = pick(a, _mm_loadu_pd(v + k));
      b = pick(b, _mm_loadu_pd(v + k + 2));
    }
    if (k + 2 <= n) {
      a = pick(a, _mm_loadu_pd(v + k));
      k += 2;
    }
    if (k < n) {  // the lower lane takes the last value, the upper lane keeps its own
      const __m128d last = _mm_load_sd(v + k);
      a = kMost ? _mm_max_sd(a, last) : _mm_min_sd(a, last);
    }
    a = pick(a, b);
    const __m128d extreme = pick(a, _mm_shuffle_pd(a, a, 1));  // in both lanes
    unsigned mask = 0;
    for (k = 0; k + 2 <= n; k += 2)
      mask |= static_cast<unsigned>(_mm_movemask_pd(_mm_cmpeq_pd(_mm_loadu_pd(v + k), extreme)))
              << k;
    if (k < n) mask |= (v[k] == _mm_cvtsd_f64(extreme) ? 1U : 0U) << k;
    return std::countr_zero(mask);
  }
#endif
  // The extreme by four independent chains, then the first index holding it, branch-free from the
  // back: about a quarter of a compare-select scan's critical path.
  const auto pick = [](double a, double b) { return kMost ? std::max(a, b) : std::min(a, b); };
  double a0 = v[0];
  double a1 = a0;
  double a2 = a0;
  double a3 = a0;
  int k = 1;
  for (; k + 4 <= n; k += 4) {
    a0 = pick(a0, v[k]);
    a1 = pick(a1, v[k + 1]);
    a2 = pick(a2, v[k + 2]);
    a3 = pick(a3, v[k + 3]);
  }
  for (; k < n; ++k) a0 = pick(a0, v[k]);
  const double extreme = pick(pick(a0, a1), pick(a2, a3));
  int best = n - 1;
  for (int q = n - 2; q >= 0; --q) best = v[q] == extreme ? q : best;
  return best;
}

inline int first_least(const double* v, int n) { return first_extreme<false>(v, n); }
inline int first_most(const double* v, int n) { return first_extreme<true>(v, n); }

}  // namespace eplb::detail
