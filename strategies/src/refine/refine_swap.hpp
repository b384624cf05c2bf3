// Shared state of the 1x1 swap refiners (nearest, k_swap, adaptive_swap): the items of every pack,
// and for the heaviest-vs-lightest refiners the pack loads, kept exact through swaps.
//
// Why: a refiner step reads the items of two or three packs and changes two. Listing a pack's
// items (pack_members), re-ranking it (rerank) and recomputing PACKLOADS each pass over all n
// items, four or five passes per step; one counting pass per refine() call, then work on the
// touched packs only, gives the same lists, ranks and loads.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "eplb/pipeline.hpp"

namespace eplb::detail {

// The items of every pack in ascending item index (pack_members for all packs at once), kept
// current through 1x1 swaps, which leave every pack's size unchanged.
class PackMembers {
 public:
  void build(const Packing& p, int m) {
    start_.assign(static_cast<std::size_t>(m) + 1, 0);
    for (const int q : p.pack) ++start_[static_cast<std::size_t>(q) + 1];
    for (std::size_t q = 1; q < start_.size(); ++q) start_[q] += start_[q - 1];
    cursor_.assign(start_.begin(), start_.end() - 1);
    items_.resize(p.pack.size());
    for (std::size_t i = 0; i < p.pack.size(); ++i)
      items_[static_cast<std::size_t>(cursor_[static_cast<std::size_t>(p.pack[i])]++)] =
          static_cast<int>(i);
  }

  std::span<const int> of(int pack) const {
    const auto q = static_cast<std::size_t>(pack);
    return {items_.data() + start_[q], items_.data() + start_[q + 1]};
  }

  // Item a moves from pack `from` to pack `to`, item b the other way.
  void swap(int a, int from, int b, int to) {
    replace(from, a, b);
    replace(to, b, a);
  }

 private:
  // `out` leaves the pack's list and `in` takes its place, moved to keep the list ascending.
  void replace(int pack, int out, int in) {
    const auto q = static_cast<std::size_t>(pack);
    int* first = items_.data() + start_[q];
    int* last = items_.data() + start_[q + 1];
    int* pos = std::find(first, last, out);
    *pos = in;
    for (; pos > first && pos[-1] > in; --pos) std::swap(pos[-1], pos[0]);
    for (; pos + 1 < last && pos[1] < in; ++pos) std::swap(pos[0], pos[1]);
  }

  std::vector<int> start_;   // [m + 1] offsets into items_
  std::vector<int> cursor_;  // build scratch
  std::vector<int> items_;   // grouped by pack, ascending within a pack
};

struct ExtremePacks {
  int heavy;   // ARGMAX of the pack loads (lowest pack index on ties)
  int light;   // ARGMIN of the pack loads
  double gap;  // L[heavy] - L[light]
};

// The heaviest-vs-lightest refiners (nearest, k_swap) recompute PACKLOADS from scratch before
// every step (section 3.2). A pack's from-scratch load is the sum of its own items in ascending
// index from 0.0, so after a swap only the two touched packs' sums are redone, in that order.
class SwapState {
 public:
  void build(std::span<const double> w, int m, const Packing& p) {
    w_ = w;
    pack_loads(w, m, p, loads_);
    members_.build(p, m);
  }

  const std::vector<double>& loads() const { return loads_; }
  std::span<const int> members(int pack) const { return members_.of(pack); }

  // The heaviest and the lightest pack.
  ExtremePacks extremes() const {
    const auto h = std::max_element(loads_.begin(), loads_.end());
    const auto l = std::min_element(loads_.begin(), loads_.end());
    return {static_cast<int>(h - loads_.begin()), static_cast<int>(l - loads_.begin()), *h - *l};
  }

  // Swaps item a (of pack `e.heavy`) with item b (of pack `e.light`), then RERANK(heavy) and
  // RERANK(light), in that order (section 3.3).
  void swap_and_rerank(const ExtremePacks& e, int a, int b, Packing& p) {
    p.pack[static_cast<std::size_t>(a)] = e.light;
    p.pack[static_cast<std::size_t>(b)] = e.heavy;
    members_.swap(a, e.heavy, b, e.light);
    rerank_members(members_.of(e.heavy), p);
    rerank_members(members_.of(e.light), p);
    resum(e.heavy);
    resum(e.light);
  }

 private:
  void resum(int pack) {
    double sum = 0.0;
    for (const int i : members_.of(pack)) sum += w_[static_cast<std::size_t>(i)];
    loads_[static_cast<std::size_t>(pack)] = sum;
  }

  std::span<const double> w_;
  std::vector<double> loads_;
  PackMembers members_;
};

}  // namespace eplb::detail
