// first_extreme (first_extreme.hpp) for a compile-time count of 8, 16, 32 or 64 values with
// AVX-512F: the extreme by a tree of 8-wide min (max) instructions, then one equality mask per
// eight values, the lowest set bit being the first index holding it. For 32 packs this is about
// a fifth of the winner tree's instructions per greedy item.
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

#include <bit>
#include <cstdint>

// flatten: every call inside the function is inlined into it, so the portable loops a wide
// kernel is instantiated in are compiled for AVX-512 too (a function without the target cannot
// inline the intrinsics).
#define EPLB_AVX512_TARGET __attribute__((target("avx512f")))
#define EPLB_AVX512_FLATTEN __attribute__((target("avx512f"), flatten))

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_pd(), which -Wmaybe-uninitialized
// reports (a known false positive, GCC bug 105593) wherever they are inlined: every translation
// unit that defines an EPLB_AVX512_* function brackets it with these.
#define EPLB_AVX512_WARNINGS_OFF \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
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

EPLB_AVX512_WARNINGS_ON

}  // namespace eplb::detail

#endif  // EPLB_HAVE_AVX512_KERNELS
