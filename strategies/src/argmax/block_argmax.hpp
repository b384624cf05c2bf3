// ARGMAX of n keys (lowest index on ties) under single-key updates, by blocks: the keys in blocks
// of kBlock plus the maximum of each block. The first block whose maximum is the overall maximum
// holds the lowest index attaining it, so `top` is two short branch-free searches (first_most) and
// an update recomputes one block's maximum.
//
// Why not the winner tree: for the few extra slots of D'Hondt within a node (a handful of steps
// over about 64 experts), building the tree costs n matches, more than all the steps; the blocks
// cost one pass to build and a few dozen instructions per step, none of them a branch on the keys.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "first_extreme.hpp"

namespace eplb::detail {

class BlockArgmax {
 public:
  // Builds from key(j) for j in 0..n-1 (n >= 1; keys are never NaN nor -inf).
  template <class Key>
  void build(int n, Key key) {
    blocks_ = (n + kBlock - 1) / kBlock;
    key_.assign(static_cast<std::size_t>(blocks_ * kBlock), kNever);
    block_.resize(static_cast<std::size_t>(blocks_));
    for (int j = 0; j < n; ++j) key_[static_cast<std::size_t>(j)] = key(j);
    for (int b = 0; b < blocks_; ++b) refresh(b);
  }

  int top() const {
    const int b = first_most(block_.data(), blocks_);
    return b * kBlock + first_most(key_.data() + b * kBlock, kBlock);
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
  std::vector<double> key_;    // [blocks_ * kBlock], padded with kNever
  std::vector<double> block_;  // [blocks_] the maximum of each block
};

}  // namespace eplb::detail
