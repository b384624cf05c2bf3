// A tournament ("winner") tree over the keys of indices 0..n-1: every internal node holds the
// winner of its two children, so the root holds ARGMIN (kMax = false) or ARGMAX (kMax = true) of
// the keys with COMPOSITION.md 1.3's tie rule, the lowest index attaining the extreme: on equal
// keys the left child (the lower indices) wins. Changing one key replays the log2(n) matches on
// its path, each a branch-free select.
//
// Why not a heap or a scan: greedy packing and apportionment change one key per step and ask for
// the extreme again. A left-to-right scan costs n dependent compare-selects per step; a binary
// heap's sift branches unpredictably on random loads; the tree's path has neither problem.
#pragma once

#include <limits>
#include <vector>

namespace eplb::detail {

// What the label-aware packers ask of their open packs at every item: the extreme key, the
// lowest index holding it, and the runner-up (WinnerTree::second_key's definition).
struct Extremes {
  double key;
  double second;
  int index;
};

template <bool kMax>
class WinnerTree {
 public:
  // Builds the tree with key(j) for j in 0..n-1 (n >= 1). Unused leaves hold the key that
  // never wins (-inf for ARGMAX, +inf for ARGMIN); real keys must not be NaN.
  template <class Key>
  void build(int n, Key key) {
    size_ = 1;
    while (size_ < n) size_ *= 2;
    key_.resize(2 * at(size_));
    index_.resize(2 * at(size_));
    for (int j = 0; j < size_; ++j) {
      key_[at(size_ + j)] = j < n ? key(j) : kLoser;
      index_[at(size_ + j)] = j;
    }
    for (int v = size_ - 1; v >= 1; --v) match(v);
  }

  int top() const { return index_[1]; }
  double top_key() const { return key_[1]; }

  // The value at position 1 of the keys sorted from the extreme (the runner-up counted with
  // multiplicity; with a single real key, that key): the best of the keys that lost to the
  // winner on its way up. Defined for n >= 2; for n == 1 it returns the only key.
  double second_key() const {
    int v = size_ + index_[1];
    double second = kLoser;
    for (; v > 1; v >>= 1) {
      const double k = key_[at(v ^ 1)];
      second = beats(k, second) ? k : second;
    }
    return second == kLoser ? key_[1] : second;
  }

  Extremes extremes() const { return {top_key(), second_key(), top()}; }

  // Index j's key is now `key`.
  void update(int j, double key) {
    int v = size_ + j;
    key_[at(v)] = key;
    for (v >>= 1; v >= 1; v >>= 1) match(v);
  }

  // update() for a tree whose build() got exactly kSize keys (a power of two; the caller knows
  // its pack count at compile time): the path's length is a constant, so the matches unroll.
  template <int kSize>
  void update_sized(int j, double key) {
    static_assert(kSize > 0 && (kSize & (kSize - 1)) == 0, "kSize must be a power of two");
    int v = kSize + j;
    key_[at(v)] = key;
    for (int level = kSize; level > 1; level >>= 1) {
      v >>= 1;
      match(v);
    }
  }

 private:
  static constexpr double kLoser =
      kMax ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  static std::size_t at(int i) { return static_cast<std::size_t>(i); }
  static bool beats(double a, double b) { return kMax ? a > b : a < b; }
  // The winning child is addressed arithmetically: a select on the keys compiles to a branch,
  // which random loads mispredict half the time.
  void match(int v) {
    const auto c = 2 * at(v) + (beats(key_[2 * at(v) + 1], key_[2 * at(v)]) ? 1U : 0U);
    key_[at(v)] = key_[c];  // equal keys: the left child (the lower indices) wins
    index_[at(v)] = index_[c];
  }

  int size_ = 1;
  std::vector<double> key_;  // [2 * size_], node 1 is the root, leaves at size_ + j
  std::vector<int> index_;   // [2 * size_], the winning index of each node
};

}  // namespace eplb::detail
