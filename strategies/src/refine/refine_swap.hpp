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

#include "argmax/first_extreme.hpp"
#include "eplb/pipeline.hpp"
#include "pack_members.hpp"

namespace eplb::detail {

// RERANK of a pack after a 1x1 swap (section 3.3): `items` are its members, `in` the item that
// arrived with the rank it had in its old pack, and `gap` the rank of the item that left; the
// other members' ranks are 0..k-1 without `gap` (the refiners keep every pack's ranks a
// permutation). Ordering by (rank, index) then moves the ranks strictly between the arrival's
// rank r and `gap` by one step toward `gap` and puts the two items at rank r in index order: the
// result of rerank_members, without its counting sort. Branch-free over the members.
inline void rerank_after_swap(std::span<const int> items, int in, int gap, Packing& p) {
  const int r = p.rank[static_cast<std::size_t>(in)];
  const bool up = r < gap;  // the ranks in (r, gap) move up, else those in (gap, r) move down
  int tied_below = 0;       // the member holding rank r has a lower index than `in`
  for (const int i : items) {
    const int ri = p.rank[static_cast<std::size_t>(i)];
    const bool other = i != in;
    const bool tie = other && ri == r;
    tied_below |= (tie && i < in) ? 1 : 0;
    const bool between = up ? (ri > r && ri < gap) : (ri > gap && ri < r);
    int shift = other && between ? (up ? 1 : -1) : 0;
    shift += tie ? (up ? (i > in ? 1 : 0) : (i < in ? -1 : 0)) : 0;
    p.rank[static_cast<std::size_t>(i)] = ri + shift;
  }
  p.rank[static_cast<std::size_t>(in)] = r == gap ? r : (up ? r + tied_below : r - 1 + tied_below);
}

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
  // Branch-free searches (first_extreme.hpp): max_element's compare per pack mispredicts on
  // random loads.
  ExtremePacks extremes() const {
    const int m = static_cast<int>(loads_.size());
    const int h = first_most(loads_.data(), m);
    const int l = first_least(loads_.data(), m);
    return {h, l, loads_[static_cast<std::size_t>(h)] - loads_[static_cast<std::size_t>(l)]};
  }

  // Swaps item a (of pack `e.heavy`) with item b (of pack `e.light`), then RERANK(heavy) and
  // RERANK(light), in that order (section 3.3).
  void swap_and_rerank(const ExtremePacks& e, int a, int b, Packing& p) {
    const int rank_a = p.rank[static_cast<std::size_t>(a)];
    const int rank_b = p.rank[static_cast<std::size_t>(b)];
    p.pack[static_cast<std::size_t>(a)] = e.light;
    p.pack[static_cast<std::size_t>(b)] = e.heavy;
    members_.swap(a, e.heavy, b, e.light);
    rerank_after_swap(members_.of(e.heavy), b, rank_a, p);
    rerank_after_swap(members_.of(e.light), a, rank_b, p);
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
