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
