// Shared building blocks of COMPOSITION.md sections 1.3 and 3.
#include <algorithm>
#include <numeric>

#include "eplb/pipeline.hpp"

namespace eplb {

void sort_desc(std::span<const double> v, std::vector<int>& order) {
  order.resize(v.size());
  std::iota(order.begin(), order.end(), 0);
  // Index tie-break makes std::sort produce exactly the stable order, without stable_sort's
  // temporary buffer allocation.
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const double x = v[static_cast<std::size_t>(a)];
    const double y = v[static_cast<std::size_t>(b)];
    return x > y || (x == y && a < b);
  });
}

void sort_asc(std::span<const double> v, std::vector<int>& order) {
  order.resize(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const double x = v[static_cast<std::size_t>(a)];
    const double y = v[static_cast<std::size_t>(b)];
    return x < y || (x == y && a < b);
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

void greedy_pack(std::span<const double> w, int m, Packing& out, std::vector<double>* loads_out) {
  const int n = static_cast<int>(w.size());
  const int cap = n / m;
  thread_local std::vector<int> order;
  thread_local std::vector<double> load;
  thread_local std::vector<int> used;
  sort_desc(w, order);
  load.assign(static_cast<std::size_t>(m), 0.0);
  used.assign(static_cast<std::size_t>(m), 0);
  out.pack.resize(static_cast<std::size_t>(n));
  out.rank.resize(static_cast<std::size_t>(n));
  for (const int i : order) {
    int best = -1;
    for (int p = 0; p < m; ++p) {
      if (used[static_cast<std::size_t>(p)] >= cap) continue;
      if (best < 0 || load[static_cast<std::size_t>(p)] < load[static_cast<std::size_t>(best)])
        best = p;
    }
    out.pack[static_cast<std::size_t>(i)] = best;
    out.rank[static_cast<std::size_t>(i)] = used[static_cast<std::size_t>(best)];
    load[static_cast<std::size_t>(best)] += w[static_cast<std::size_t>(i)];
    ++used[static_cast<std::size_t>(best)];
  }
  if (loads_out != nullptr) *loads_out = load;
}

}  // namespace eplb
