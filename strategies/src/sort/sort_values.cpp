// SORT_DESC / SORT_ASC (COMPOSITION.md 1.3): the stable orderings of a row that every packer and
// refiner starts from, 10-35% of a whole plan.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "argmax/first_extreme_avx512.hpp"
#include "eplb/kernel_isa.hpp"
#include "eplb/pipeline.hpp"

namespace eplb {
namespace {

// Order-preserving map of a double onto an unsigned integer: a < b as doubles iff key(a) <
// key(b), and -0.0 gets the key of +0.0 (they compare equal). Undefined for NaN, like the
// comparison sorts it replaces.
std::uint64_t ascending_key(double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x + 0.0);  // -0.0 + 0.0 == +0.0
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// Insertion sort of key[0, n) (and order alongside), stable: equal keys keep their order.
// The sorted prefix's greatest key stays in a register: an element already in place (most of
// them after the bucket pass) costs one compare, not a reload of the key just stored, whose
// store-to-load forwarding would chain every element to the previous one.
void insertion_sort(std::uint64_t* key, int* order, std::size_t n) {
  if (n == 0) return;
  std::uint64_t last = key[0];
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t k = key[i];
    if (k >= last) {
      last = k;
      continue;
    }
    const int o = order[i];
    std::size_t j = i;
    do {
      key[j] = key[j - 1];
      order[j] = order[j - 1];
      --j;
    } while (j > 0 && k < key[j - 1]);
    key[j] = k;
    order[j] = o;
  }
}

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF

// Lanes i..min(i + 8, n) of a pass over n 64-bit values.
inline __mmask8 lanes8(std::size_t i, std::size_t n) {
  return n - i >= 8 ? __mmask8{0xFF} : static_cast<__mmask8>((1U << (n - i)) - 1U);
}

// key[i] = (~)ascending_key(v[i]) for i < n, and their least and greatest.
template <bool kDescending>
EPLB_AVX512_TARGET inline void keys_avx512(const double* v, std::size_t n, std::uint64_t* key,
                                           std::uint64_t& lo, std::uint64_t& hi) {
  const __m512i top = _mm512_set1_epi64(std::numeric_limits<std::int64_t>::min());
  const __m512i all = _mm512_set1_epi64(-1);
  __m512i least = all;
  __m512i most = _mm512_setzero_si512();
  for (std::size_t i = 0; i < n; i += 8) {
    const __mmask8 m = lanes8(i, n);
    const __m512d x = _mm512_add_pd(_mm512_maskz_loadu_pd(m, v + i), _mm512_setzero_pd());
    const __m512i bits = _mm512_castpd_si512(x);
    // Negative: all bits flipped; otherwise the sign bit set (ascending_key).
    __m512i k = _mm512_xor_si512(bits, _mm512_or_si512(_mm512_srai_epi64(bits, 63), top));
    if constexpr (kDescending) k = _mm512_xor_si512(k, all);
    _mm512_mask_storeu_epi64(key + i, m, k);
    least = _mm512_mask_min_epu64(least, m, least, k);
    most = _mm512_mask_max_epu64(most, m, most, k);
  }
  lo = _mm512_reduce_min_epu64(least);
  hi = _mm512_reduce_max_epu64(most);
}

// The least key other than lo and the greatest other than hi (lo2 = hi, hi2 = lo when there is
// none), as the scalar pass computes them.
EPLB_AVX512_TARGET inline void second_extremes_avx512(const std::uint64_t* key, std::size_t n,
                                                      std::uint64_t lo, std::uint64_t hi,
                                                      std::uint64_t& lo2, std::uint64_t& hi2) {
  const __m512i vlo = _mm512_set1_epi64(static_cast<std::int64_t>(lo));
  const __m512i vhi = _mm512_set1_epi64(static_cast<std::int64_t>(hi));
  __m512i least = vhi;
  __m512i most = vlo;
  for (std::size_t i = 0; i < n; i += 8) {
    const __mmask8 m = lanes8(i, n);
    const __m512i k = _mm512_maskz_loadu_epi64(m, key + i);
    least = _mm512_mask_min_epu64(least, m & ~_mm512_cmpeq_epu64_mask(k, vlo), least, k);
    most = _mm512_mask_max_epu64(most, m & ~_mm512_cmpeq_epu64_mask(k, vhi), most, k);
  }
  lo2 = _mm512_reduce_min_epu64(least);
  hi2 = _mm512_reduce_max_epu64(most);
}

// bucket[i] = bucket_of(key[i]): 0 for lo, `last` for hi, 1 + ((k - lo2) >> shift) otherwise.
EPLB_AVX512_TARGET inline void buckets_avx512(const std::uint64_t* key, std::size_t n,
                                              std::uint64_t lo, std::uint64_t hi, std::uint64_t lo2,
                                              int shift, std::size_t last, std::uint32_t* bucket) {
  const __m512i vlo = _mm512_set1_epi64(static_cast<std::int64_t>(lo));
  const __m512i vhi = _mm512_set1_epi64(static_cast<std::int64_t>(hi));
  const __m512i vlo2 = _mm512_set1_epi64(static_cast<std::int64_t>(lo2));
  const __m512i one = _mm512_set1_epi64(1);
  const __m512i vlast = _mm512_set1_epi64(static_cast<std::int64_t>(last));
  const __m128i count = _mm_cvtsi32_si128(shift);
  for (std::size_t i = 0; i < n; i += 8) {
    const __mmask8 m = lanes8(i, n);
    const __m512i k = _mm512_maskz_loadu_epi64(m, key + i);
    __m512i b = _mm512_add_epi64(_mm512_srl_epi64(_mm512_sub_epi64(k, vlo2), count), one);
    b = _mm512_mask_mov_epi64(b, _mm512_cmpeq_epu64_mask(k, vlo), _mm512_setzero_si512());
    b = _mm512_mask_mov_epi64(b, _mm512_cmpeq_epu64_mask(k, vhi), vlast);
    _mm512_mask_cvtepi64_storeu_epi32(bucket + i, m, b);
  }
}

// c[0..n) replaced by its exclusive prefix sums, sixteen at a time: the in-register inclusive
// sum by four shifted adds, plus the running total of the previous sixteen.
EPLB_AVX512_TARGET inline void exclusive_prefix_avx512(std::uint32_t* c, std::size_t n) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i last_lane = _mm512_set1_epi32(15);
  __m512i carry = zero;
  for (std::size_t i = 0; i < n; i += 16) {
    const auto m = static_cast<__mmask16>(n - i >= 16 ? 0xFFFFU : (1U << (n - i)) - 1U);
    const __m512i x = _mm512_maskz_loadu_epi32(m, c + i);
    __m512i s = x;  // alignr(s, 0, 16 - k) is s shifted up by k lanes, zeros below
    s = _mm512_add_epi32(s, _mm512_alignr_epi32(s, zero, 15));
    s = _mm512_add_epi32(s, _mm512_alignr_epi32(s, zero, 14));
    s = _mm512_add_epi32(s, _mm512_alignr_epi32(s, zero, 12));
    s = _mm512_add_epi32(s, _mm512_alignr_epi32(s, zero, 8));
    const __m512i inclusive = _mm512_add_epi32(s, carry);
    _mm512_mask_storeu_epi32(c + i, m, _mm512_sub_epi32(inclusive, x));
    carry = _mm512_permutexvar_epi32(last_lane, inclusive);
  }
}

EPLB_AVX512_WARNINGS_ON
#endif

// Stable sort of the indices 0..n-1 of `v` into `order`, ascending (kDescending = false) or
// descending: equal values keep ascending index order, which is exactly section 1.3's tie rule.
// Comparison sorts of random doubles are bound by branch mispredictions (about one per two
// comparisons), so this sorts order-preserving integer images of the values by one stable
// counting pass into about n buckets, followed by an insertion sort that only has to undo the
// inversions inside a bucket. Equal-width buckets of key space are roughly logarithmic in the
// value: loads spread over a few octaves land about one per bucket. The bucket range runs from the
// second-least to the second-greatest distinct key (the extremes get a bucket of their own), so
// that one outlier value, typically a zero load, does not squeeze all other keys into a few
// buckets. Every step is monotone in the key and stable, so the result is exact whatever the
// distribution; a crowded bucket only costs time.
//
// kWide runs the passes over the keys (making them with the extremes, the second extremes, the
// buckets) and the prefix sum of the counts eight keys or sixteen counts per instruction
// (AVX-512); only inside an EPLB_AVX512_FLATTEN function. The counting, the scatter and the
// insertion pass stay scalar; every intermediate value is the scalar one.
template <bool kDescending, bool kWide = false>
void stable_sort_values(std::span<const double> v, std::vector<int>& order) {
  const std::size_t n = v.size();
  thread_local std::vector<std::uint64_t> key;
  thread_local std::vector<std::uint64_t> sorted_key;
  thread_local std::vector<std::uint32_t> count;
  thread_local std::vector<std::uint32_t> bucket;
  key.resize(n);
  order.resize(n);
  if (n == 0) return;
  const auto key_of = [](double x) { return kDescending ? ~ascending_key(x) : ascending_key(x); };
  if (n <= 16) {
    for (std::size_t i = 0; i < n; ++i) {
      key[i] = key_of(v[i]);
      order[i] = static_cast<int>(i);
    }
    insertion_sort(key.data(), order.data(), n);
    return;
  }
  std::uint64_t lo = key_of(v[0]);
  std::uint64_t hi = lo;
#if EPLB_HAVE_AVX512_KERNELS
  if constexpr (kWide) keys_avx512<kDescending>(v.data(), n, key.data(), lo, hi);
#endif
  if constexpr (!kWide) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t k = key_of(v[i]);
      key[i] = k;
      lo = std::min(lo, k);
      hi = std::max(hi, k);
    }
  }
  if (lo == hi) {
    std::iota(order.begin(), order.end(), 0);
    return;
  }
  // The second-least and second-greatest distinct keys (lo2 <= hi2 unless only two values exist).
  std::uint64_t lo2 = hi;
  std::uint64_t hi2 = lo;
#if EPLB_HAVE_AVX512_KERNELS
  if constexpr (kWide) second_extremes_avx512(key.data(), n, lo, hi, lo2, hi2);
#endif
  if constexpr (!kWide) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t k = key[i];
      lo2 = std::min(lo2, k == lo ? hi : k);
      hi2 = std::max(hi2, k == hi ? lo : k);
    }
  }
  // 2^inner_bits > n inner buckets (slightly faster than 2n: fewer counts to clear and sum).
  // The wide path takes twice as many: its clearing and prefix sum go sixteen counts per
  // instruction, and replica loads crowd a few octaves, so fewer keys share a bucket and the
  // insertion pass mispredicts less (SORT_DESC of 288 replica loads: -25%).
  const int inner_bits = static_cast<int>(std::bit_width(n)) + (kWide ? 1 : 0);
  const std::uint64_t range = hi2 >= lo2 ? hi2 - lo2 : 0;
  const int shift = std::max(0, static_cast<int>(std::bit_width(range)) - inner_bits);
  const std::size_t buckets = (std::size_t{1} << inner_bits) + 2;
  // Bucket 0: the least key; 1 .. 2^inner_bits: the inner keys; the last: the greatest key.
  const auto bucket_of = [&](std::uint64_t k) -> std::size_t {
    if (k == lo) return 0;
    if (k == hi) return buckets - 1;
    return 1 + static_cast<std::size_t>((k - lo2) >> shift);
  };
  count.assign(buckets, 0);
  bucket.resize(n);
#if EPLB_HAVE_AVX512_KERNELS
  if constexpr (kWide) {
    buckets_avx512(key.data(), n, lo, hi, lo2, shift, buckets - 1, bucket.data());
    for (std::size_t i = 0; i < n; ++i) ++count[bucket[i]];
    exclusive_prefix_avx512(count.data(), buckets);
  }
#endif
  if constexpr (!kWide) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<std::uint32_t>(bucket_of(key[i]));
      bucket[i] = b;
      ++count[b];
    }
    std::uint32_t sum = 0;
    for (std::uint32_t& c : count) {
      const std::uint32_t here = c;
      c = sum;
      sum += here;
    }
  }
  sorted_key.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t pos = count[bucket[i]]++;
    sorted_key[pos] = key[i];
    order[pos] = static_cast<int>(i);
  }
  insertion_sort(sorted_key.data(), order.data(), n);
}

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
template <bool kDescending>
EPLB_AVX512_FLATTEN void stable_sort_values_avx512(std::span<const double> v,
                                                   std::vector<int>& order) {
  stable_sort_values<kDescending, true>(v, order);
}
EPLB_AVX512_WARNINGS_ON
#endif

template <bool kDescending>
void sort_values(std::span<const double> v, std::vector<int>& order) {
#if EPLB_HAVE_AVX512_KERNELS
  // Short rows take the insertion sort alone, the same in both.
  if (v.size() > 16 && kernel_isa() == KernelIsa::kAvx512) {
    stable_sort_values_avx512<kDescending>(v, order);
    return;
  }
#endif
  stable_sort_values<kDescending>(v, order);
}

}  // namespace

void sort_desc(std::span<const double> v, std::vector<int>& order) { sort_values<true>(v, order); }

void sort_asc(std::span<const double> v, std::vector<int>& order) { sort_values<false>(v, order); }

}  // namespace eplb
