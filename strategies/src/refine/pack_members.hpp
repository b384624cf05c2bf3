// The items of every pack at once, for the refinement steps that read a few packs' items and
// swap items between them (the swap refiners, diverse packing's micro swap).
#pragma once

#include <algorithm>
#include <bit>
#include <span>
#include <vector>

#include "argmax/first_extreme_avx512.hpp"
#include "eplb/kernel_isa.hpp"
#include "eplb/pipeline.hpp"

namespace eplb::detail {

// The items of every pack in ascending item index (pack_members for all packs at once), kept
// current through 1x1 swaps, which leave every pack's size unchanged.
class PackMembers {
 public:
  void build(const Packing& p, int m) {
#if EPLB_HAVE_AVX512_KERNELS
    if (m <= kWidePacks && kernel_isa() == KernelIsa::kAvx512) {
      build_avx512(p, m);
      return;
    }
#endif
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
#if EPLB_HAVE_AVX512_KERNELS
  // Up to this many packs, each pack's items are picked out of the whole list, sixteen items per
  // compress: m passes without the counting pass's chains through memory (an item increments
  // its pack's count, the next item of that pack waits for the store).
  static constexpr int kWidePacks = 16;

  EPLB_AVX512_WARNINGS_OFF
  EPLB_AVX512_TARGET void build_avx512(const Packing& p, int m) {
    const int n = static_cast<int>(p.pack.size());
    start_.resize(static_cast<std::size_t>(m) + 1);
    items_.resize(p.pack.size() + 16);  // each compress stores a whole vector
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int pos = 0;
    for (int q = 0; q < m; ++q) {
      start_[static_cast<std::size_t>(q)] = pos;
      const __m512i pack = _mm512_set1_epi32(q);
      for (int i = 0; i < n; i += 16) {
        const auto valid = static_cast<__mmask16>(n - i >= 16 ? 0xFFFFU : (1U << (n - i)) - 1U);
        const __m512i packs = _mm512_maskz_loadu_epi32(valid, p.pack.data() + i);
        const __mmask16 here = _mm512_mask_cmpeq_epi32_mask(valid, packs, pack);
        const __m512i index = _mm512_add_epi32(iota, _mm512_set1_epi32(i));
        _mm512_storeu_si512(items_.data() + pos, _mm512_maskz_compress_epi32(here, index));
        pos += std::popcount(static_cast<unsigned>(here));
      }
    }
    start_[static_cast<std::size_t>(m)] = pos;
  }
  EPLB_AVX512_WARNINGS_ON
#endif

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
  std::vector<int> items_;   // grouped by pack, ascending within a pack (then slack)
};

}  // namespace eplb::detail
