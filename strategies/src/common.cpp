// Shared building blocks of COMPOSITION.md sections 1.3 and 3.
#include <algorithm>
#include <numeric>

#include "eplb/pipeline.hpp"

namespace eplb {

namespace {

// Sorting contiguous (value, index) pairs avoids an indirect load per comparison; the index
// tie-break makes std::sort produce exactly the stable order, without stable_sort's buffer.
struct Keyed {
  double value;
  int index;
};

template <class Before>
void sort_indices(std::span<const double> v, std::vector<int>& order, Before before) {
  thread_local std::vector<Keyed> keyed;
  keyed.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) keyed[i] = {v[i], static_cast<int>(i)};
  std::sort(keyed.begin(), keyed.end(), before);
  order.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) order[i] = keyed[i].index;
}

}  // namespace

void sort_desc(std::span<const double> v, std::vector<int>& order) {
  sort_indices(v, order, [](const Keyed& a, const Keyed& b) {
    return a.value > b.value || (a.value == b.value && a.index < b.index);
  });
}

void sort_asc(std::span<const double> v, std::vector<int>& order) {
  sort_indices(v, order, [](const Keyed& a, const Keyed& b) {
    return a.value < b.value || (a.value == b.value && a.index < b.index);
  });
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

// A pack in greedy_pack's min-heap, ordered by (load, pack index).
struct PackKey {
  double load;
  int pack;
};

bool before(const PackKey& a, const PackKey& b) {
  return a.load < b.load || (a.load == b.load && a.pack < b.pack);
}

// Puts `key` at the root of heap[0..n) and sifts it down: one pass of about log2(n) levels,
// half the comparisons of pop_heap followed by push_heap.
void replace_top(std::vector<PackKey>& heap, PackKey key) {
  const std::size_t n = heap.size();
  std::size_t i = 0;
  while (true) {
    std::size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(heap[c + 1], heap[c])) ++c;
    if (!before(heap[c], key)) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = key;
}

}  // namespace

void greedy_pack(std::span<const double> w, int m, Packing& out, std::vector<double>* loads_out) {
  const int n = static_cast<int>(w.size());
  const int cap = n / m;
  // The non-full packs sit in a min-heap keyed by (load, pack index): its root is exactly the pack
  // eplb.py's linear scan picks (smallest load, lowest index on ties), in O(log m) instead of O(m).
  thread_local std::vector<int> order;
  thread_local std::vector<double> load;
  thread_local std::vector<int> used;
  thread_local std::vector<PackKey> heap;
  sort_desc(w, order);
  load.assign(static_cast<std::size_t>(m), 0.0);
  used.assign(static_cast<std::size_t>(m), 0);
  heap.clear();
  for (int p = 0; p < m; ++p) heap.push_back({0.0, p});  // sorted, hence already a heap
  out.pack.resize(static_cast<std::size_t>(n));
  out.rank.resize(static_cast<std::size_t>(n));
  for (const int i : order) {
    const int best = heap.front().pack;
    const auto b = static_cast<std::size_t>(best);
    out.pack[static_cast<std::size_t>(i)] = best;
    out.rank[static_cast<std::size_t>(i)] = used[b];
    load[b] += w[static_cast<std::size_t>(i)];
    if (++used[b] < cap) {
      replace_top(heap, {load[b], best});
    } else {
      const PackKey last = heap.back();
      heap.pop_back();
      if (!heap.empty()) replace_top(heap, last);
    }
  }
  if (loads_out != nullptr) *loads_out = load;
}

}  // namespace eplb
