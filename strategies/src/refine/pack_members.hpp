// The items of every pack at once, for the refinement steps that read a few packs' items and
// swap items between them (the swap refiners, diverse packing's micro swap).
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

}  // namespace eplb::detail
