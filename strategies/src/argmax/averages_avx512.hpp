// Every expert's average load per replica, w[j] / cnt[j], eight experts per instruction: the
// pipeline's replica loads and the fix-ups' averages. The quotients are correctly rounded, so
// they are the scalar loop's (w / 1 == w, which the scalar avg_of skips dividing for).
//
// Only inside an EPLB_AVX512_TARGET function, after kernel_isa() said the CPU has AVX-512F.
#pragma once

#include "first_extreme_avx512.hpp"

#if EPLB_HAVE_AVX512_KERNELS
namespace eplb::detail {

EPLB_AVX512_WARNINGS_OFF

// avg[j] = w[j] / cnt[j] for j < n; `many` (if not null) gets the mask of cnt[j] > 1 of each
// vector of eight, bit k of many[i / 8] for expert i + k.
EPLB_AVX512_TARGET inline void averages_avx512(const double* w, const int* cnt, int n, double* avg,
                                               __mmask8* many = nullptr) {
  for (int i = 0; i < n; i += 8) {
    const __mmask8 m = lanes_without(i, n, -1);
    const __m512i c = _mm512_maskz_loadu_epi32(static_cast<__mmask16>(m), cnt + i);
    const __m512d quotient = _mm512_maskz_div_pd(m, _mm512_maskz_loadu_pd(m, w + i),
                                                 _mm512_cvtepi32_pd(_mm512_castsi512_si256(c)));
    _mm512_mask_storeu_pd(avg + i, m, quotient);
    if (many != nullptr)
      many[i / 8] = static_cast<__mmask8>(m & _mm512_cmpgt_epi32_mask(c, _mm512_set1_epi32(1)));
  }
}

EPLB_AVX512_WARNINGS_ON

}  // namespace eplb::detail
#endif  // EPLB_HAVE_AVX512_KERNELS
