// The least of up to 64 keys, the lowest index holding it and the runner-up (Extremes), by
// AVX-512 from one pass over the keys: what the label-aware packers ask of their open packs at
// every item. The portable WinnerTree<false> answers the same questions by three walks of its
// tree plus one per update; here an update is one store.
//
// Only inside an EPLB_AVX512_FLATTEN function, after kernel_isa() said the CPU has AVX-512F.
#pragma once

#include "first_extreme_avx512.hpp"

#if EPLB_HAVE_AVX512_KERNELS
#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "winner_tree.hpp"

namespace eplb::detail {

EPLB_AVX512_WARNINGS_OFF

class WideLeastKeys {
 public:
  static constexpr bool fits(int n) { return n <= 64; }

  // Keys key(j) for j in 0..n-1 (1 <= n <= 64; never NaN, never -0.0: the packers' loads start
  // at +0.0 and grow by non-negative items). Padding lanes hold +inf.
  template <class Key>
  void build(int n, Key key) {
    vectors_ = (n + 7) / 8;
    key_.assign(static_cast<std::size_t>(8 * vectors_), kInf);
    for (int j = 0; j < n; ++j) key_[static_cast<std::size_t>(j)] = key(j);
  }

  void update(int j, double key) { key_[static_cast<std::size_t>(j)] = key; }

  // As WinnerTree<false>::extremes(): the runner-up is the least key at another index, or the
  // least key itself when every other key is +inf.
  EPLB_AVX512_TARGET Extremes extremes() const {
    const double* k = key_.data();
    __m512d x[8];
    __m512d least = _mm512_loadu_pd(k);
    x[0] = least;
    for (int q = 1; q < vectors_; ++q) {
      x[q] = _mm512_loadu_pd(k + 8 * q);
      least = _mm512_min_pd(least, x[q]);
    }
    least = spread_extreme_avx512<false>(least);
    // The tied lanes, and the least of the others (beside the search for the first tied lane,
    // not after it): the runner-up is the least itself when two or more lanes hold it.
    std::uint64_t tied = 0;
    __m512d rest = _mm512_set1_pd(kInf);
    for (int q = 0; q < vectors_; ++q) {
      const __mmask8 here = _mm512_cmp_pd_mask(x[q], least, _CMP_EQ_OQ);
      tied |= std::uint64_t{here} << (8 * q);
      rest = _mm512_mask_min_pd(rest, static_cast<__mmask8>(~here), rest, x[q]);
    }
    const double key = _mm512_cvtsd_f64(least);
    const double others = _mm512_cvtsd_f64(spread_extreme_avx512<false>(rest));
    const double runner_up = std::popcount(tied) >= 2 ? key : others;
    return {key, runner_up == kInf ? key : runner_up, std::countr_zero(tied)};
  }

 private:
  static constexpr double kInf = std::numeric_limits<double>::infinity();
  int vectors_ = 0;
  std::vector<double> key_;  // [8 * vectors_]
};

EPLB_AVX512_WARNINGS_ON

}  // namespace eplb::detail

#endif  // EPLB_HAVE_AVX512_KERNELS
