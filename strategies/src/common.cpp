// Shared building blocks of COMPOSITION.md sections 1.3 and 3.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

#include "eplb/pipeline.hpp"
#include "first_least.hpp"
#include "winner_tree.hpp"

namespace eplb {

namespace {

// Order-preserving map of a double onto an unsigned integer: a < b as doubles iff key(a) <
// key(b), and -0.0 gets the key of +0.0 (they compare equal). Undefined for NaN, like the
// comparison sorts it replaces.
std::uint64_t ascending_key(double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x + 0.0);  // -0.0 + 0.0 == +0.0
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// Insertion sort of key[first, last) (and order alongside), stable: equal keys keep their order.
void insertion_sort(std::uint64_t* key, int* order, std::size_t first, std::size_t last) {
  for (std::size_t i = first + 1; i < last; ++i) {
    const std::uint64_t k = key[i];
    const int o = order[i];
    std::size_t j = i;
    for (; j > first && k < key[j - 1]; --j) {
      key[j] = key[j - 1];
      order[j] = order[j - 1];
    }
    key[j] = k;
    order[j] = o;
  }
}

// Stable ascending sort of the indices 0..n-1 by `key[i]` into `order`: equal keys keep
// ascending index order, which is exactly section 1.3's tie rule. Comparison sorts of random
// doubles are bound by branch mispredictions (about one per two comparisons), so this is an LSD
// radix sort, which has no data-dependent branch and is stable by construction, over the 24 most
// significant bits in which the keys differ (four passes of 6-bit digits, whose 64-bucket prefix
// sums stay cheap next to rows of 72 items; a digit in which all keys agree is skipped). Keys that
// agree on those 24 bits (relative differences below about 2^-13, or exact duplicates) end up next
// to each other in ascending index order; each such run is finished by a stable insertion sort (a
// std::sort with the index tie-break if it is long). Tiny rows use the insertion sort alone.
void stable_sort_by_key(std::vector<std::uint64_t>& key, std::vector<int>& order) {
  const std::size_t n = key.size();
  order.resize(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<int>(i);
  if (n <= 16) {
    insertion_sort(key.data(), order.data(), 0, n);
    return;
  }
  std::uint64_t differ = 0;
  for (std::size_t i = 1; i < n; ++i) differ |= key[i] ^ key[0];
  if (differ == 0) return;
  const int high = 63 - std::countl_zero(differ);
  const int shift = std::max(0, high - 23);
  constexpr int kDigitBits = 6;
  constexpr int kPasses = 4;
  constexpr std::uint64_t kMask = (1U << kDigitBits) - 1;
  thread_local std::array<std::array<std::uint32_t, kMask + 1>, kPasses> count;
  thread_local std::vector<std::uint64_t> key_tmp;
  thread_local std::vector<int> order_tmp;
  int digits[kPasses];
  int num_digits = 0;
  for (int d = 0; d < kPasses; ++d) {
    if (((differ >> (shift + kDigitBits * d)) & kMask) == 0) continue;
    digits[num_digits++] = d;
    count[static_cast<std::size_t>(d)].fill(0);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t k = key[i] >> shift;
    for (int t = 0; t < num_digits; ++t) {
      const int d = digits[t];
      ++count[static_cast<std::size_t>(d)][(k >> (kDigitBits * d)) & kMask];
    }
  }
  key_tmp.resize(n);
  order_tmp.resize(n);
  std::uint64_t* src_key = key.data();
  int* src_order = order.data();
  std::uint64_t* dst_key = key_tmp.data();
  int* dst_order = order_tmp.data();
  for (int t = 0; t < num_digits; ++t) {
    const int d = digits[t];
    auto& c = count[static_cast<std::size_t>(d)];
    std::uint32_t sum = 0;
    for (std::uint32_t& x : c) {
      const std::uint32_t here = x;
      x = sum;
      sum += here;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t k = src_key[i];
      const std::uint32_t pos = c[((k >> shift) >> (kDigitBits * d)) & kMask]++;
      dst_key[pos] = k;
      dst_order[pos] = src_order[i];
    }
    std::swap(src_key, dst_key);
    std::swap(src_order, dst_order);
  }
  if (src_order != order.data()) {
    std::copy(src_key, src_key + n, key.data());
    std::copy(src_order, src_order + n, order.data());
  }
  if (shift == 0) return;
  // Runs that agree on the sorted bits: finish them on the full key.
  constexpr std::size_t kMaxInsertionRun = 16;
  std::size_t first = 0;
  while (first < n) {
    const std::uint64_t top = key[first] >> shift;
    std::size_t last = first + 1;
    while (last < n && (key[last] >> shift) == top) ++last;
    if (last - first <= kMaxInsertionRun) {
      insertion_sort(key.data(), order.data(), first, last);
    } else {
      thread_local std::vector<std::pair<std::uint64_t, int>> run;
      run.clear();
      for (std::size_t i = first; i < last; ++i) run.emplace_back(key[i], order[i]);
      std::sort(run.begin(), run.end());  // (key, index): the stable order
      for (std::size_t i = first; i < last; ++i) {
        key[i] = run[i - first].first;
        order[i] = run[i - first].second;
      }
    }
    first = last;
  }
}

}  // namespace

void sort_desc(std::span<const double> v, std::vector<int>& order) {
  thread_local std::vector<std::uint64_t> key;
  key.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) key[i] = ~ascending_key(v[i]);
  stable_sort_by_key(key, order);
}

void sort_asc(std::span<const double> v, std::vector<int>& order) {
  thread_local std::vector<std::uint64_t> key;
  key.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) key[i] = ascending_key(v[i]);
  stable_sort_by_key(key, order);
}

void pack_loads(std::span<const double> w, int m, const Packing& p, std::vector<double>& loads) {
  loads.assign(static_cast<std::size_t>(m), 0.0);
  for (std::size_t i = 0; i < w.size(); ++i) loads[static_cast<std::size_t>(p.pack[i])] += w[i];
}

void rerank(int pack, Packing& p) {
  thread_local std::vector<int> items;
  items.clear();
  for (std::size_t i = 0; i < p.pack.size(); ++i) {
    if (p.pack[i] == pack) items.push_back(static_cast<int>(i));
  }
  std::sort(items.begin(), items.end(), [&](int a, int b) {
    const int ra = p.rank[static_cast<std::size_t>(a)];
    const int rb = p.rank[static_cast<std::size_t>(b)];
    return ra < rb || (ra == rb && a < b);
  });
  for (std::size_t k = 0; k < items.size(); ++k)
    p.rank[static_cast<std::size_t>(items[k])] = static_cast<int>(k);
}

void pack_members(int pack, const Packing& p, std::vector<int>& items) {
  items.clear();
  for (std::size_t i = 0; i < p.pack.size(); ++i) {
    if (p.pack[i] == pack) items.push_back(static_cast<int>(i));
  }
}

namespace {

// The first min(k, |items|) of `items` under the strict total order `before`; the index tie-break
// inside `before` makes partial_sort give exactly the prefix of the stable sort.
template <class Before>
void first_k(std::span<const int> items, int k, std::vector<int>& out, Before before) {
  out.assign(items.begin(), items.end());
  const auto kk = std::min(out.size(), static_cast<std::size_t>(std::max(k, 0)));
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(kk), out.end(), before);
  out.resize(kk);
}

}  // namespace

void top_k(std::span<const double> w, std::span<const int> items, int k, std::vector<int>& out) {
  first_k(items, k, out, [&](int a, int b) {
    const double x = w[static_cast<std::size_t>(a)];
    const double y = w[static_cast<std::size_t>(b)];
    return x > y || (x == y && a < b);
  });
}

void bottom_k(std::span<const double> w, std::span<const int> items, int k, std::vector<int>& out) {
  first_k(items, k, out, [&](int a, int b) {
    const double x = w[static_cast<std::size_t>(a)];
    const double y = w[static_cast<std::size_t>(b)];
    return x < y || (x == y && a < b);
  });
}

namespace {

// Up to this many packs, the lightest is found by first_least; beyond, by a winner tree.
constexpr int kMaxScanPacks = 16;

}  // namespace

void greedy_pack(std::span<const double> w, int m, Packing& out, std::vector<double>* loads_out) {
  const int n = static_cast<int>(w.size());
  const int cap = n / m;
  // Every pack is keyed by its load, a full pack by +inf: the least key at the lowest index is
  // exactly the pack eplb.py's linear scan picks (least load among the non-full packs, lowest
  // index on ties; loads are finite, so a full pack never wins while items remain).
  thread_local std::vector<int> order;
  thread_local std::vector<double> load;
  thread_local std::vector<double> key;
  thread_local std::vector<int> used;
  thread_local detail::WinnerTree<false> lightest;
  sort_desc(w, order);
  load.assign(static_cast<std::size_t>(m), 0.0);
  key.assign(static_cast<std::size_t>(m), 0.0);
  used.assign(static_cast<std::size_t>(m), 0);
  const bool scan = m <= kMaxScanPacks;
  if (!scan) lightest.build(m, [](int) { return 0.0; });
  out.pack.resize(static_cast<std::size_t>(n));
  out.rank.resize(static_cast<std::size_t>(n));
  for (const int i : order) {
    const int best = scan ? detail::first_least(key.data(), m) : lightest.top();
    const auto b = static_cast<std::size_t>(best);
    out.pack[static_cast<std::size_t>(i)] = best;
    out.rank[static_cast<std::size_t>(i)] = used[b];
    load[b] += w[static_cast<std::size_t>(i)];
    key[b] = ++used[b] < cap ? load[b] : std::numeric_limits<double>::infinity();
    if (!scan) lightest.update(best, key[b]);
  }
  if (loads_out != nullptr) *loads_out = load;
}

}  // namespace eplb
