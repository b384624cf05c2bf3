// Shared building blocks of COMPOSITION.md sections 1.3 and 3.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

#include "argmax/first_extreme.hpp"
#include "argmax/first_extreme_avx512.hpp"
#include "argmax/winner_tree.hpp"
#include "eplb/kernel_isa.hpp"
#include "eplb/pipeline.hpp"

namespace eplb {

void pack_loads(std::span<const double> w, int m, const Packing& p, std::vector<double>& loads) {
  loads.assign(static_cast<std::size_t>(m), 0.0);
  for (std::size_t i = 0; i < w.size(); ++i) loads[static_cast<std::size_t>(p.pack[i])] += w[i];
}

void rerank(int pack, Packing& p) {
  thread_local std::vector<int> items;
  pack_members(pack, p, items);
  rerank_members(items, p);
}

void rerank_members(std::span<const int> items, Packing& p) {
  thread_local std::vector<int> sorted;
  thread_local std::vector<int> count;
  // Ranks are small non-negative positions (a swap leaves one pack with a gap and a duplicate),
  // so a stable counting sort by rank over the members in ascending index gives the
  // (rank, index) order without comparisons.
  int top = -1;
  bool small = true;
  for (const int i : items) {
    const int r = p.rank[static_cast<std::size_t>(i)];
    small = small && r >= 0;
    top = std::max(top, r);
  }
  if (!small || top >= 4 * static_cast<int>(items.size()) + 16) {
    sorted.assign(items.begin(), items.end());
    std::sort(sorted.begin(), sorted.end(), [&](int a, int b) {
      const int ra = p.rank[static_cast<std::size_t>(a)];
      const int rb = p.rank[static_cast<std::size_t>(b)];
      return ra < rb || (ra == rb && a < b);
    });
    for (std::size_t k = 0; k < sorted.size(); ++k)
      p.rank[static_cast<std::size_t>(sorted[k])] = static_cast<int>(k);
    return;
  }
  count.assign(static_cast<std::size_t>(top) + 2, 0);
  for (const int i : items)
    ++count[static_cast<std::size_t>(p.rank[static_cast<std::size_t>(i)]) + 1];
  for (std::size_t r = 1; r < count.size(); ++r) count[r] += count[r - 1];
  sorted.resize(items.size());
  for (const int i : items)
    sorted[static_cast<std::size_t>(
        count[static_cast<std::size_t>(p.rank[static_cast<std::size_t>(i)])]++)] = i;
  for (std::size_t k = 0; k < sorted.size(); ++k)
    p.rank[static_cast<std::size_t>(sorted[k])] = static_cast<int>(k);
}

void pack_members(int pack, const Packing& p, std::vector<int>& items) {
  // Branch-free: every index is written, the end advances only past members.
  const std::size_t n = p.pack.size();
  items.resize(n + 1);
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    items[k] = static_cast<int>(i);
    k += p.pack[i] == pack ? 1 : 0;
  }
  items.resize(k);
}

namespace {

// The first min(k, |items|) of `items` under the strict total order `before`; the index tie-break
// inside `before` makes partial_sort give exactly the prefix of the stable sort.
template <class Before>
void first_k(std::span<const int> items, int k, std::vector<int>& out, Before before) {
  if (k == 2 && items.size() >= 2) {
    // The refiners' common case, in one pass of selects: partial_sort's heap branches on every
    // item's weight, which mispredicts on random weights.
    int first = items[0];
    int second = items[1];
    if (before(second, first)) std::swap(first, second);
    for (std::size_t j = 2; j < items.size(); ++j) {
      const int i = items[j];
      const bool over_first = before(i, first);
      const bool over_second = before(i, second);
      second = over_first ? first : (over_second ? i : second);
      first = over_first ? i : first;
    }
    out.assign({first, second});
    return;
  }
  out.assign(items.begin(), items.end());
  const auto kk = std::min(out.size(), static_cast<std::size_t>(std::max(k, 0)));
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(kk), out.end(), before);
  out.resize(kk);
}

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
// The first two of 2..16 distinct items (any order) by weight, descending (kTop) or ascending,
// equal weights by ascending index: each is the least index among the lanes holding the extreme of
// the lanes still in play. The refiners ask this of a pack's items (nine per GPU on the V3 config)
// at every step, where the scalar pass of selects is a chain of dependent loads and compares.
template <bool kTop>
EPLB_AVX512_TARGET std::array<int, 2> first_two_items_avx512(const double* w, const int* items,
                                                             int n) {
  const __m512d none = _mm512_set1_pd(kTop ? -std::numeric_limits<double>::infinity()
                                           : std::numeric_limits<double>::infinity());
  const auto valid = static_cast<__mmask16>((1U << n) - 1U);
  const __m512i index = _mm512_maskz_loadu_epi32(valid, items);
  const __m512d lo = _mm512_mask_i32gather_pd(none, static_cast<__mmask8>(valid),
                                              _mm512_castsi512_si256(index), w, 8);
  const __m512d hi = _mm512_mask_i32gather_pd(none, static_cast<__mmask8>(valid >> 8),
                                              _mm512_extracti64x4_epi64(index, 1), w, 8);
  const __m512i never = _mm512_set1_epi32(std::numeric_limits<int>::max());
  std::array<int, 2> first{};
  __mmask16 in_play = valid;
  for (int& pick : first) {
    const auto in_lo = static_cast<__mmask8>(in_play);
    const auto in_hi = static_cast<__mmask8>(in_play >> 8);
    const __m512d e = detail::spread_extreme_avx512<kTop>(detail::pick_avx512<kTop>(
        _mm512_mask_mov_pd(none, in_lo, lo), _mm512_mask_mov_pd(none, in_hi, hi)));
    const auto at = static_cast<__mmask16>(
        _mm512_mask_cmp_pd_mask(in_lo, lo, e, _CMP_EQ_OQ) |
        (static_cast<unsigned>(_mm512_mask_cmp_pd_mask(in_hi, hi, e, _CMP_EQ_OQ)) << 8));
    if (at == 0) return {-1, -1};  // a NaN weight: the caller's scalar pass decides
    pick = _mm512_reduce_min_epi32(_mm512_mask_mov_epi32(never, at, index));
    in_play =
        static_cast<__mmask16>(in_play & ~_mm512_cmpeq_epi32_mask(index, _mm512_set1_epi32(pick)));
  }
  return first;
}
EPLB_AVX512_WARNINGS_ON
#endif

// TOPK / BOTTOMK with k = 2 of 2..16 items by the wide kernel when the CPU has it.
template <bool kTop>
bool first_two_wide(std::span<const double> w, std::span<const int> items, int k,
                    std::vector<int>& out) {
#if EPLB_HAVE_AVX512_KERNELS
  if (k == 2 && items.size() >= 2 && items.size() <= 16 && kernel_isa() == KernelIsa::kAvx512) {
    const std::array<int, 2> two =
        first_two_items_avx512<kTop>(w.data(), items.data(), static_cast<int>(items.size()));
    if (two[0] < 0) return false;
    out.assign(two.begin(), two.end());
    return true;
  }
#endif
  (void)w, (void)items, (void)k, (void)out;
  return false;
}

}  // namespace

void top_k(std::span<const double> w, std::span<const int> items, int k, std::vector<int>& out) {
  if (first_two_wide<true>(w, items, k, out)) return;
  first_k(items, k, out, [&](int a, int b) {
    const double x = w[static_cast<std::size_t>(a)];
    const double y = w[static_cast<std::size_t>(b)];
    return x > y || (x == y && a < b);
  });
}

void bottom_k(std::span<const double> w, std::span<const int> items, int k, std::vector<int>& out) {
  if (first_two_wide<false>(w, items, k, out)) return;
  first_k(items, k, out, [&](int a, int b) {
    const double x = w[static_cast<std::size_t>(a)];
    const double y = w[static_cast<std::size_t>(b)];
    return x < y || (x == y && a < b);
  });
}

namespace {

// Up to this many packs, the lightest is found by first_least; beyond, by a winner tree. At 32
// packs (the global policy's GPUs) the tree's five-level path update, overlapped across the
// lanes, measured 0-13% faster than the 32-wide scan across the presets, with 8% fewer
// instructions.
constexpr int kMaxScanPacks = 16;

}  // namespace

namespace {

// Up to this many greedy chains run side by side: enough to cover the latency of one item's
// choice (it waits for the previous item's load update).
constexpr std::size_t kGreedyLanes = 8;

std::size_t at(int i) { return static_cast<std::size_t>(i); }

// greedy_pack on up to kGreedyLanes jobs of one size (cap > 1), item by item side by side;
// `loads_out` receives the first job's loads. kM > 0 fixes m at compile time (the common pack
// counts), which unrolls the search for the lightest pack; kWide searches with AVX-512 (kM of
// 8, 16, 32 or 64; instantiated only inside greedy_lanes_avx512).
template <int kM, bool kWide = false>
void greedy_lanes(std::span<const PackJob> jobs, int m_arg, std::vector<double>* loads_out) {
  const int m = kM > 0 ? kM : m_arg;
  const std::size_t n = jobs.front().w.size();
  const std::size_t lanes = jobs.size();
  const int cap = static_cast<int>(n) / m;
  const auto um = static_cast<std::size_t>(m);
  // Every pack is keyed by its load, a full pack by +inf: the least key at the lowest index is
  // exactly the pack eplb.py's linear scan picks (least load among the non-full packs, lowest
  // index on ties; loads are finite, so a full pack never wins while items remain).
  const bool scan = !kWide && m <= kMaxScanPacks;
  thread_local std::array<std::vector<int>, kGreedyLanes> order;
  thread_local std::vector<double> load;
  thread_local std::vector<double> key;
  thread_local std::vector<int> used;
  thread_local std::array<detail::WinnerTree<false>, kGreedyLanes> lightest;
  // Each lane's arrays as raw pointers, so the item loop does not reload them through the jobs.
  std::array<const int*, kGreedyLanes> item_of{};
  std::array<const double*, kGreedyLanes> weight{};
  std::array<int*, kGreedyLanes> pack_of{};
  std::array<int*, kGreedyLanes> rank_of{};
  load.assign(lanes * um, 0.0);
  key.assign(lanes * um, 0.0);
  used.assign(lanes * um, 0);
  // The first m items go to packs 0..m-1 in order when each of the first m - 1 is positive: item
  // t then meets packs 0..t-1 loaded (> 0) and packs t.. empty, the first of which is pack t.
  // Placed directly when this holds in every lane (the lanes step through the items together).
  bool opening = true;
  for (std::size_t k = 0; k < lanes; ++k) {
    sort_desc(jobs[k].w, order[k]);
    jobs[k].out->pack.resize(n);
    jobs[k].out->rank.resize(n);
    item_of[k] = order[k].data();
    weight[k] = jobs[k].w.data();
    pack_of[k] = jobs[k].out->pack.data();
    rank_of[k] = jobs[k].out->rank.data();
    opening = opening && (m < 2 || weight[k][at(item_of[k][m - 2])] > 0.0);
  }
  const std::size_t first = opening ? um : 0;
  for (std::size_t k = 0; k < lanes && opening; ++k) {
    for (std::size_t t = 0; t < um; ++t) {
      const auto i = at(item_of[k][t]);
      pack_of[k][i] = static_cast<int>(t);
      rank_of[k][i] = 0;
      load[k * um + t] = 0.0 + weight[k][i];  // as the search's sum (a -0.0 item gives +0.0)
      used[k * um + t] = 1;
      key[k * um + t] = 1 < cap ? load[k * um + t] : std::numeric_limits<double>::infinity();
    }
  }
  for (std::size_t k = 0; k < lanes; ++k)
    if (!kWide && !scan) lightest[k].build(m, [&](int p) { return key[k * um + at(p)]; });
  for (std::size_t t = first; t < n; ++t) {
    for (std::size_t k = 0; k < lanes; ++k) {
      const auto i = static_cast<std::size_t>(item_of[k][t]);
      int best = 0;
#if EPLB_HAVE_AVX512_KERNELS
      if constexpr (kWide) best = detail::first_extreme_avx512<false, kM>(key.data() + k * um);
#endif
      if constexpr (!kWide)
        best = scan ? detail::first_least(key.data() + k * um, m) : lightest[k].top();
      const std::size_t b = k * um + static_cast<std::size_t>(best);
      pack_of[k][i] = best;
      rank_of[k][i] = used[b];
      load[b] += weight[k][i];
      key[b] = ++used[b] < cap ? load[b] : std::numeric_limits<double>::infinity();
      if constexpr (kWide) {
        // the keys are all there is
      } else if constexpr (kM == 32) {
        lightest[k].template update_sized<32>(best, key[b]);
      } else {
        if (!scan) lightest[k].update(best, key[b]);
      }
    }
  }
  if (loads_out != nullptr) loads_out->assign(load.begin(), load.begin() + m);
}

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
template <int kM>
EPLB_AVX512_FLATTEN void greedy_lanes_avx512(std::span<const PackJob> jobs,
                                             std::vector<double>* loads_out) {
  greedy_lanes<kM, true>(jobs, kM, loads_out);
}
EPLB_AVX512_WARNINGS_ON
#endif

void greedy_lanes_any(std::span<const PackJob> jobs, int m, std::vector<double>* loads_out) {
#if EPLB_HAVE_AVX512_KERNELS
  // Beyond 8 packs the wide search replaces the winner tree or a scan of two values per
  // instruction; at 4 packs there is nothing to gain.
  if (kernel_isa() == KernelIsa::kAvx512) {
    switch (m) {
      case 8:
        greedy_lanes_avx512<8>(jobs, loads_out);
        return;
      case 16:
        greedy_lanes_avx512<16>(jobs, loads_out);
        return;
      case 32:
        greedy_lanes_avx512<32>(jobs, loads_out);
        return;
      case 64:
        greedy_lanes_avx512<64>(jobs, loads_out);
        return;
      default:
        break;
    }
  }
#endif
  switch (m) {
    case 4:
      greedy_lanes<4>(jobs, m, loads_out);
      break;
    case 8:
      greedy_lanes<8>(jobs, m, loads_out);
      break;
    case 32:  // the global policy's GPUs on V3: the tree's path unrolls
      greedy_lanes<32>(jobs, m, loads_out);
      break;
    default:
      greedy_lanes<0>(jobs, m, loads_out);
      break;
  }
}

}  // namespace

void greedy_pack(std::span<const double> w, int m, Packing& out, std::vector<double>* loads_out) {
  const PackJob job{w, {}, &out};
  greedy_lanes_any({&job, 1}, m, loads_out);
}

void greedy_pack_many(std::span<const PackJob> jobs, int m) {
  const std::size_t n = jobs.empty() ? 0 : jobs.front().w.size();
  const bool same_size =
      std::all_of(jobs.begin(), jobs.end(), [&](const PackJob& j) { return j.w.size() == n; });
  if (!same_size) {  // lanes step through items together
    for (const PackJob& job : jobs) greedy_pack(job.w, m, *job.out);
    return;
  }
  for (std::size_t first = 0; first < jobs.size(); first += kGreedyLanes)
    greedy_lanes_any(jobs.subspan(first, std::min(kGreedyLanes, jobs.size() - first)), m, nullptr);
}

}  // namespace eplb
