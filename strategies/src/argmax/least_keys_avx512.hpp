// The least of up to 64 keys, the lowest index holding it and the runner-up (Extremes), by
// AVX-512 from one pass over the keys: what the label-aware packers ask of their open packs at
// every item. The portable WinnerTree<false> answers the same questions by three walks of its
// tree plus one per update; here an update is one store.
//
// Only inside an EPLB_AVX512_FLATTEN function, after kernel_isa() said the CPU has AVX-512F.
#pragma once

#include "first_extreme_avx512.hpp"

namespace eplb::detail {
// Whether a packer's open-pack structure is WideLeastKeys (its fast paths differ).
template <class Open>
inline constexpr bool kWideLeastKeys = false;
}  // namespace eplb::detail

#if EPLB_HAVE_AVX512_KERNELS
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "winner_tree.hpp"

namespace eplb::detail {

EPLB_AVX512_WARNINGS_OFF

// kVectors vectors of eight keys. A compile-time count (1, 2, 4 or 8) unrolls every pass and keeps
// its vectors in registers, the keys inline; kVectors = 0 takes the count at run time (up to 8,
// passes that loop) and keeps the keys on the heap. On an Intel Xeon the near-tie packer's whole
// plans (seed000) measured 4-6% faster with the former; the diverse packer's (seed002) gained
// nothing (hierarchical 3% slower), and with inline keys but a run-time count its global plans
// were 14% slower, for reasons not found: it keeps the latter.
template <int kVectors>
class WideLeastKeys {
  static constexpr int kStored = kVectors == 0 ? 8 : kVectors;
  using Storage = std::conditional_t<kVectors == 0, std::vector<double>,
                                     std::array<double, static_cast<std::size_t>(8 * kStored)>>;

 public:
  // Keys key(j) for j in 0..n-1 (1 <= n <= 8 * kStored; never NaN, never -0.0: the packers'
  // loads start at +0.0 and grow by non-negative items). Padding lanes hold +inf.
  template <class Key>
  void build(int n, Key key) {
    n_ = n;
    vectors_ = kVectors == 0 ? (n + 7) / 8 : kVectors;
    if constexpr (kVectors == 0)
      key_.assign(static_cast<std::size_t>(8 * vectors_), kInf);
    else
      key_.fill(kInf);
    for (int j = 0; j < n; ++j) key_[static_cast<std::size_t>(j)] = key(j);
  }

  void update(int j, double key) { key_[static_cast<std::size_t>(j)] = key; }

  // As WinnerTree<false>::extremes(): the runner-up is the least key at another index, or the
  // least key itself when every other key is +inf.
  EPLB_AVX512_TARGET Extremes extremes() const {
    const Pass p = pass(0.0);
    const double runner_up = std::popcount(p.tied) >= 2 ? p.key : p.others;
    return {p.key, runner_up == kInf ? p.key : runner_up, std::countr_zero(p.tied)};
  }

  // The label-aware packers' fast exact paths (pack_near_tie.cpp scan(), pack_diverse.cpp
  // scan_projected()), with every key shifted: k + shift, the load after taking an item of
  // weight `shift` (0 for the loads themselves; adding 0 changes no key, none is -0.0). With
  // `least` the least shifted key and `others` the least shifted key not equal to it (+inf if
  // none): if least is finite, least + eps < others and not |others - least| <= eps, the indices
  // whose shifted key equals least (the packers choose among them); else 0. Shifting is
  // monotone, so least is the least key shifted. One pass, whether one or several indices tie.
  //
  // Both tests hold for `others` iff they hold for every untied key x: least + eps < x is
  // monotone in x, and so is x - least (>= 0, so it is |x - least|); with no untied key, others
  // = +inf and they say least + eps < +inf. So each untied lane is tested against the broadcast
  // least, with no second reduction for `others`: that reduction and the scalar tests after it
  // were the longest part of a packing step's dependency chain.
  //
  // With a run-time count (kVectors = 0, the diverse packer) the earlier form, the second
  // reduction and scalar tests, stays: there the per-lane tests measured 4% slower whole plans
  // (seed002 global, Intel Xeon), while the near-tie packer's gained 4-6% (seed000).
  EPLB_AVX512_TARGET std::uint64_t clear_least(double shift, double eps) const {
    if constexpr (kVectors == 0) {
      const Pass p = pass(shift);
      const bool clear =
          p.key < kInf && p.key + eps < p.others && !(std::abs(p.others - p.key) <= eps);
      return clear ? p.tied : 0;
    }
    __m512d x[kStored];
    const __m512d least = shifted(shift, x);
    const __m512d band = _mm512_set1_pd(eps);
    const __m512d bound = _mm512_add_pd(least, band);  // least + eps
    std::uint64_t tied = 0;
    unsigned unclear = 0;
    for (int q = 0; q < vectors(); ++q) {
      const __mmask8 here = _mm512_cmp_pd_mask(x[q], least, _CMP_EQ_OQ);
      tied |= std::uint64_t{here} << (8 * q);
      // least + eps < x and !(x - least <= eps), on the untied lanes.
      const __mmask8 above =
          _mm512_mask_cmp_pd_mask(static_cast<__mmask8>(~here), bound, x[q], _CMP_LT_OQ);
      const __mmask8 clear =
          _mm512_mask_cmp_pd_mask(above, _mm512_sub_pd(x[q], least), band, _CMP_NLE_UQ);
      unclear |= static_cast<__mmask8>(~here & ~clear);
    }
    // least finite and least + eps < +inf: a finite bound (least is never NaN).
    const bool finite = _mm512_cvtsd_f64(bound) < kInf;
    return finite && unclear == 0 ? tied : 0;
  }

  // The first index in `tied` (non-empty) of least count[j] among those.
  EPLB_AVX512_TARGET int first_of_fewest(std::uint64_t tied, const int* count) const {
    // AVX-512F only: each vector's 8 counts in the low half of a 16-lane vector.
    __m512i fewest = _mm512_set1_epi32(std::numeric_limits<int>::max());
    for (int q = 0; q < vectors(); ++q) {
      const __m512i c = _mm512_maskz_loadu_epi32(lanes_of(q), count + 8 * q);
      fewest = _mm512_mask_min_epi32(fewest, static_cast<__mmask16>((tied >> (8 * q)) & 0xFF),
                                     fewest, c);
    }
    fewest = _mm512_set1_epi32(_mm512_reduce_min_epi32(fewest));
    std::uint64_t hits = 0;
    for (int q = 0; q < vectors(); ++q) {
      const __m512i c = _mm512_maskz_loadu_epi32(lanes_of(q), count + 8 * q);
      hits |= std::uint64_t{static_cast<__mmask8>(_mm512_cmpeq_epi32_mask(c, fewest))} << (8 * q);
    }
    return std::countr_zero(hits & tied);
  }

 private:
  static constexpr double kInf = std::numeric_limits<double>::infinity();

  struct Pass {          // of the keys shifted
    double key;          // the least key
    double others;       // the least key not equal to it (+inf if none)
    std::uint64_t tied;  // the indices holding the least key
  };

  // x[q] = the keys of vector q + shift; returns the least of them in every lane.
  EPLB_AVX512_TARGET __m512d shifted(double shift, __m512d* x) const {
    const double* k = key_.data();
    const __m512d by = _mm512_set1_pd(shift);
    __m512d least = _mm512_add_pd(_mm512_loadu_pd(k), by);
    x[0] = least;
    for (int q = 1; q < vectors(); ++q) {
      x[q] = _mm512_add_pd(_mm512_loadu_pd(k + 8 * q), by);
      least = _mm512_min_pd(least, x[q]);
    }
    return spread_extreme_avx512<false>(least);
  }

  // The tied lanes and the least of the others come from the same pass (beside the search for
  // the first tied lane, not after it).
  EPLB_AVX512_TARGET Pass pass(double shift) const {
    __m512d x[kStored];
    const __m512d least = shifted(shift, x);
    std::uint64_t tied = 0;
    __m512d rest = _mm512_set1_pd(kInf);
    for (int q = 0; q < vectors(); ++q) {
      const __mmask8 here = _mm512_cmp_pd_mask(x[q], least, _CMP_EQ_OQ);
      tied |= std::uint64_t{here} << (8 * q);
      rest = _mm512_mask_min_pd(rest, static_cast<__mmask8>(~here), rest, x[q]);
    }
    return {_mm512_cvtsd_f64(least), _mm512_cvtsd_f64(spread_extreme_avx512<false>(rest)), tied};
  }

  int vectors() const { return kVectors == 0 ? vectors_ : kVectors; }

  // The lanes of vector q that hold keys (none in a compile-time count's padding vectors).
  __mmask8 lanes_of(int q) const { return 8 * q < n_ ? lanes_without(8 * q, n_, -1) : 0; }

  int n_ = 0;
  int vectors_ = 0;
  alignas(kVectors == 0 ? alignof(Storage) : 64) Storage key_{};
};

template <int kVectors>
inline constexpr bool kWideLeastKeys<WideLeastKeys<kVectors>> = true;

// Calls f.template operator()<Keys>() with the least of WideLeastKeys<1, 2, 4 or 8> that holds n
// <= kMaxWideKeys keys (the extra lanes hold +inf, which never ties with or undercuts an open
// pack's load).
inline constexpr int kMaxWideKeys = 64;
template <class F>
decltype(auto) with_wide_least_keys(int n, F&& f) {
  if (n <= 8) return f.template operator()<WideLeastKeys<1>>();
  if (n <= 16) return f.template operator()<WideLeastKeys<2>>();
  if (n <= 32) return f.template operator()<WideLeastKeys<4>>();
  return f.template operator()<WideLeastKeys<8>>();
}

EPLB_AVX512_WARNINGS_ON

}  // namespace eplb::detail

#endif  // EPLB_HAVE_AVX512_KERNELS
