// Near-tie, label-aware greedy packing (seed 000, "adaptive_tail_and_diverse_gpu_tie_break";
// COMPOSITION.md section 4.5 NEAR_TIE_GREEDY).
//
// DeepSeek's greedy (heaviest item first, into the lightest pack with room) with a softer notion of
// "lightest": a pack only displaces the current choice if it is lighter by more than
// eps = 1e-6 * mean item weight. When labels are given (GPU stage: the node-local expert of each
// replica) and two packs are within eps of each other, the one holding fewer replicas of the item's
// expert wins, so replicas of one hot expert spread over GPUs instead of stacking on one. The node
// stage passes no labels (assumption A3); there the eps only makes the choice stickier.
//
// Known weaknesses:
//  * best_load follows the last chosen pack, so a chain of near-ties can drift: the final choice
//    can be heavier than the lightest pack by more than eps (the seed's behaviour, kept).
//  * Without labels, a pack lighter by at most eps never replaces an earlier one, which can make
//    the result slightly worse than the plain greedy on rows of near-equal loads.
//  * Label counters are a dense [labels x packs] table, sized by the largest label (kept zero
//    between calls, so a call only resets the entries of its own items).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "components.hpp"
#include "first_least.hpp"

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

constexpr int kNone = std::numeric_limits<int>::max();  // "+inf" label count

// The packs with room, ascending, as compact parallel arrays (the scan reads them in order
// without an indirection), and the per-(label, pack) replica counts.
struct Scratch {
  std::vector<int> order;
  std::vector<int> used;
  std::vector<int> open_pack;
  std::vector<double> open_load;
  std::vector<int> same;  // [label * m + pack]; all zero between calls
};

// The seed's scan over the open packs, branch-free: `lower` and `tie` are its two cases (a tie
// needs labels; unlabelled, every count is kNone and `s < best_same` never holds). Returns the
// position in the open arrays.
template <bool kLabelled>
int scan(const Scratch& s, int open, double eps, const int* same_row) {
  // Fast exact path: let b be the first open pack of least load. If every other open pack q is
  // clearly heavier (b + eps < q and |q - b| > eps, in the very floating-point expressions the
  // scan evaluates), the scan takes b when it reaches it (the `lower` case, whatever it held
  // before) and nothing after it (q + eps < b is impossible for q >= b, and no q is a tie), so b
  // is its result. The test has no loop-carried dependency, unlike the scan itself.
  {
    const double* load = s.open_load.data();
    const int b = first_least(load, open);
    const double least = load[b];
    const double bound = least + eps;
    int close = 0;
    for (int k = 0; k < open; ++k)
      close += (k != b) & ((!(bound < load[k])) | (std::abs(load[k] - least) <= eps));
    if (close == 0) return b;
  }
  int best = -1;
  double best_load = std::numeric_limits<double>::infinity();
  int best_same = kNone;
  for (int k = 0; k < open; ++k) {
    const double lp = s.open_load[at(k)];
    const int c = kLabelled ? same_row[s.open_pack[at(k)]] : kNone;
    // best < 0: the first open pack is always a candidate; with pack loads at +inf (a row whose
    // sum overflows) `lp + eps < inf` never holds, and no choice would index pack -1.
    const bool lower = best < 0 || lp + eps < best_load;
    const bool tie = kLabelled && std::abs(lp - best_load) <= eps && c < best_same;
    const bool take = lower || tie;
    best = take ? k : best;
    best_load = take ? lp : best_load;
    best_same = take ? c : best_same;
  }
  return best;
}

class NearTiePacker final : public Packer {
 public:
  void pack(std::span<const double> w, int m, std::span<const int> labels,
            Packing& out) const override {
    const int n = static_cast<int>(w.size());
    const int cap = n / m;
    const bool labelled = !labels.empty();
    double sum = 0.0;
    for (const double x : w) sum += x;
    const double mean_w = sum / n;
    const double eps = 1e-6 * std::max(mean_w, 1e-12);

    thread_local Scratch s;
    const int num_labels = labelled ? *std::max_element(labels.begin(), labels.end()) + 1 : 0;
    sort_desc(w, s.order);
    s.used.assign(at(m), 0);
    s.open_pack.resize(at(m));
    std::iota(s.open_pack.begin(), s.open_pack.end(), 0);
    s.open_load.assign(at(m), 0.0);
    if (s.same.size() < at(m) * at(num_labels)) s.same.resize(at(m) * at(num_labels), 0);
    out.pack.resize(at(n));
    out.rank.resize(at(n));

    int open = m;
    for (const int i : s.order) {
      const int label = labelled ? labels[at(i)] : 0;
      int* same_row = s.same.data() + at(label) * at(m);
      const int k =
          labelled ? scan<true>(s, open, eps, same_row) : scan<false>(s, open, eps, nullptr);
      const int best = s.open_pack[at(k)];
      out.pack[at(i)] = best;
      out.rank[at(i)] = s.used[at(best)];
      s.open_load[at(k)] += w[at(i)];
      if (labelled) ++same_row[best];
      if (++s.used[at(best)] == cap) {
        // Close the pack; the others keep their ascending order.
        s.open_pack.erase(s.open_pack.begin() + k);
        s.open_load.erase(s.open_load.begin() + k);
        --open;
      }
    }
    if (labelled) {
      for (int i = 0; i < n; ++i) s.same[at(labels[at(i)]) * at(m) + at(out.pack[at(i)])] = 0;
    }
  }
};

}  // namespace

std::unique_ptr<Packer> make_near_tie_packer() { return std::make_unique<NearTiePacker>(); }

}  // namespace eplb::detail
