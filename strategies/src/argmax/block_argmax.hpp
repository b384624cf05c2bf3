// ARGMAX of n keys (lowest index on ties) under single-key updates, by blocks: the keys in blocks
// of kBlock plus the maximum of each block. The first block whose maximum is the overall maximum
// holds the lowest index attaining it, so `top` is two short branch-free searches (first_most) and
// an update recomputes one block's maximum.
//
// Why not the winner tree: for the few extra slots of D'Hondt within a node (a handful of steps
// over about 64 experts), building the tree costs n matches, more than all the steps; the blocks
// cost one pass to build and a few dozen instructions per step, none of them a branch on the keys.
//
// kWide searches with AVX-512 (first_extreme_avx512.hpp): only inside an EPLB_AVX512_FLATTEN
// function, after kernel_isa() said so. It pads the block maxima to 8, 16, 32 or 64 entries, so
// it takes at most 64 blocks (512 keys); wide_fits(n) tells.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "first_extreme.hpp"
#include "first_extreme_avx512.hpp"

namespace eplb::detail {

template <bool kWide>
class BlockArgmaxOf {
 public:
  static constexpr bool kAvx512 = kWide;
  static constexpr bool wide_fits(int n) { return n <= 64 * kBlock; }

  // Builds from key(j) for j in 0..n-1 (n >= 1; keys are never NaN nor -inf).
  template <class Key>
  void build(int n, Key key) {
    blocks_ = (n + kBlock - 1) / kBlock;
    padded_ = blocks_;
    if constexpr (kWide) {
      padded_ = kBlock;
      while (padded_ < blocks_) padded_ *= 2;
    }
    key_.assign(static_cast<std::size_t>(blocks_ * kBlock), kNever);
    block_.assign(static_cast<std::size_t>(padded_), kNever);
    for (int j = 0; j < n; ++j) key_[static_cast<std::size_t>(j)] = key(j);
    for (int b = 0; b < blocks_; ++b) refresh(b);
  }

  int top() const {
    if constexpr (kWide) {
#if EPLB_HAVE_AVX512_KERNELS
      int b = 0;
      switch (padded_) {
        case 8:
          b = first_extreme_avx512<true, 8>(block_.data());
          break;
        case 16:
          b = first_extreme_avx512<true, 16>(block_.data());
          break;
        case 32:
          b = first_extreme_avx512<true, 32>(block_.data());
          break;
        default:
          b = first_extreme_avx512<true, 64>(block_.data());
          break;
      }
      return b * kBlock + first_extreme_avx512<true, kBlock>(key_.data() + b * kBlock);
#endif
    }
    const int b = first_most(block_.data(), blocks_);
    return b * kBlock + first_most(key_.data() + b * kBlock, kBlock);
  }

  // The greatest key at an index other than top() (the runner-up counted with multiplicity; the
  // only key when n == 1), as WinnerTree::second_key. A scan: only the peak-aware tail asks, for
  // its few steps.
  double second_key() const {
    const int t = top();
    if constexpr (kWide) {
#if EPLB_HAVE_AVX512_KERNELS
      const ExtremeAt other = extreme_except_avx512<true>(key_.data(), blocks_ * kBlock, t);
      // The -inf padding never wins unless every other key is padding, as in the scan below.
      return other.value == kNever ? key_[static_cast<std::size_t>(t)] : other.value;
#endif
    }
    double second = kNever;
    for (int j = 0; j < blocks_ * kBlock; ++j)
      second = j == t ? second : std::max(second, key_[static_cast<std::size_t>(j)]);
    return second == kNever ? key_[static_cast<std::size_t>(t)] : second;
  }

  // Index j's key is now `key`.
  void update(int j, double key) {
    key_[static_cast<std::size_t>(j)] = key;
    refresh(j / kBlock);
  }

 private:
  static constexpr int kBlock = 8;
  static constexpr double kNever = -std::numeric_limits<double>::infinity();  // padding

  void refresh(int b) {
    const double* k = key_.data() + b * kBlock;
    block_[static_cast<std::size_t>(b)] =
        std::max(std::max(std::max(k[0], k[1]), std::max(k[2], k[3])),
                 std::max(std::max(k[4], k[5]), std::max(k[6], k[7])));
  }

  int blocks_ = 0;
  int padded_ = 0;             // block_'s size: blocks_, or for kWide a power of two >= 8
  std::vector<double> key_;    // [blocks_ * kBlock], padded with kNever
  std::vector<double> block_;  // [padded_] the maximum of each block, padded with kNever
};

using BlockArgmax = BlockArgmaxOf<false>;

}  // namespace eplb::detail
