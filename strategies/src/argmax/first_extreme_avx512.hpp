// first_extreme (first_extreme.hpp) for a compile-time count of 8, 16, 32 or 64 values with
// AVX-512F: the extreme by a tree of 8-wide min (max) instructions, then one equality mask per
// eight values, the lowest set bit being the first index holding it. For 32 packs this is about
// a quarter of the winner tree's instructions per greedy item.
//
// Only functions marked EPLB_AVX512_TARGET (or inlined into one) may call these, and only after
// kernel_isa() said the CPU has AVX-512F (eplb/kernel_isa.hpp).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#define EPLB_HAVE_AVX512_KERNELS 1
#else
#define EPLB_HAVE_AVX512_KERNELS 0
#endif

#if EPLB_HAVE_AVX512_KERNELS
#include <immintrin.h>

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

// flatten: every call inside the function is inlined into it, so the portable loops a wide
// kernel is instantiated in are compiled for AVX-512 too (a function without the target cannot
// inline the intrinsics).
#define EPLB_AVX512_TARGET __attribute__((target("avx512f")))
#define EPLB_AVX512_FLATTEN __attribute__((target("avx512f"), flatten))

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_pd(), which -Wmaybe-uninitialized
// (and, for _mm512_castsi512_si256 of a value chosen by a branch, -Wuninitialized) reports: a
// known false positive, GCC bug 105593, wherever they are inlined. Every translation unit that
// defines an EPLB_AVX512_* function brackets it with these.
#define EPLB_AVX512_WARNINGS_OFF                                                             \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define EPLB_AVX512_WARNINGS_ON _Pragma("GCC diagnostic pop")

namespace eplb::detail {

EPLB_AVX512_WARNINGS_OFF

template <bool kMost>
EPLB_AVX512_TARGET inline __m512d pick_avx512(__m512d a, __m512d b) {
  return kMost ? _mm512_max_pd(a, b) : _mm512_min_pd(a, b);
}

// The extreme of the eight lanes of e, in every lane: swap 256-bit halves, then 128-bit quarters,
// then neighbours.
template <bool kMost>
EPLB_AVX512_TARGET inline __m512d spread_extreme_avx512(__m512d e) {
  e = pick_avx512<kMost>(e, _mm512_shuffle_f64x2(e, e, 0x4E));
  e = pick_avx512<kMost>(e, _mm512_shuffle_f64x2(e, e, 0xB1));
  return pick_avx512<kMost>(e, _mm512_shuffle_pd(e, e, 0x55));
}

// The lowest index of the least (kMost = false) or greatest of v[0..kN) (no NaN; -0.0 and +0.0
// count as equal, as in first_extreme).
template <bool kMost, int kN>
EPLB_AVX512_TARGET inline int first_extreme_avx512(const double* v) {
  static_assert(kN == 8 || kN == 16 || kN == 32 || kN == 64, "kN: 8, 16, 32 or 64");
  constexpr int kVectors = kN / 8;
  constexpr auto pick = pick_avx512<kMost>;
  __m512d x[kVectors];
  for (int q = 0; q < kVectors; ++q) x[q] = _mm512_loadu_pd(v + 8 * q);
  __m512d e = x[0];
  if constexpr (kVectors == 2) e = pick(x[0], x[1]);
  if constexpr (kVectors == 4) e = pick(pick(x[0], x[1]), pick(x[2], x[3]));
  if constexpr (kVectors == 8)
    e = pick(pick(pick(x[0], x[1]), pick(x[2], x[3])), pick(pick(x[4], x[5]), pick(x[6], x[7])));
  e = spread_extreme_avx512<kMost>(e);
  std::uint64_t mask = 0;
  for (int q = 0; q < kVectors; ++q)
    mask |= std::uint64_t{_mm512_cmp_pd_mask(x[q], e, _CMP_EQ_OQ)} << (8 * q);
  return std::countr_zero(mask);
}

// Lanes i .. min(i + 8, n) of a pass over v[0..n), without index `skip` (-1: none).
inline __mmask8 lanes_without(int i, int n, int skip) {
  auto m = n - i >= 8 ? 0xFFU : (1U << (n - i)) - 1U;
  if (skip >= i && skip < i + 8) m &= ~(1U << (skip - i));
  return static_cast<__mmask8>(m);
}

// The greatest (kMost) or least of v[j] over j in 0..n-1 other than `skip` (-1: none), and the
// lowest such j holding it (n >= 1 counted without skip; no NaN; -inf (kMost) / +inf values are
// allowed but then the index is the lowest such, as for any value). Two passes.
struct ExtremeAt {
  double value;
  int index;
};
template <bool kMost>
EPLB_AVX512_TARGET inline ExtremeAt extreme_except_avx512(const double* v, int n, int skip) {
  constexpr double kNever =
      kMost ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  const __m512d never = _mm512_set1_pd(kNever);
  __m512d e = never;
  for (int i = 0; i < n; i += 8)
    e = pick_avx512<kMost>(e, _mm512_mask_loadu_pd(never, lanes_without(i, n, skip), v + i));
  e = spread_extreme_avx512<kMost>(e);
  for (int i = 0; i < n; i += 8) {
    const __mmask8 m = lanes_without(i, n, skip);
    const __mmask8 hit = _mm512_mask_cmp_pd_mask(m, _mm512_maskz_loadu_pd(m, v + i), e, _CMP_EQ_OQ);
    if (hit != 0) return {_mm512_cvtsd_f64(e), i + std::countr_zero(static_cast<unsigned>(hit))};
  }
  return {_mm512_cvtsd_f64(e), skip == 0 ? 1 : 0};  // unreachable without NaN
}

// The first two indices of the stable order of v[0..n) by value, descending for kMost (n >= 2;
// no NaN): TOPK / BOTTOMK with k = 2 over all of 0..n-1 (COMPOSITION.md 1.3). The second is the
// lowest index other than the first holding the extreme of the others.
template <bool kMost>
EPLB_AVX512_TARGET inline std::array<int, 2> first_two_avx512(const double* v, int n) {
  const int a = extreme_except_avx512<kMost>(v, n, -1).index;
  return {a, extreme_except_avx512<kMost>(v, n, a).index};
}

EPLB_AVX512_WARNINGS_ON

}  // namespace eplb::detail

#endif  // EPLB_HAVE_AVX512_KERNELS
