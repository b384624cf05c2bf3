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
//  * Label counters are a dense [packs x labels] table, sized by the largest label.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "components.hpp"

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

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

    thread_local std::vector<int> order;
    thread_local std::vector<double> load;
    thread_local std::vector<int> used;
    thread_local std::vector<int> same;  // [pack * num_labels + label]
    thread_local std::vector<int> open;  // packs with room, ascending
    const int num_labels = labelled ? *std::max_element(labels.begin(), labels.end()) + 1 : 0;
    sort_desc(w, order);
    load.assign(at(m), 0.0);
    used.assign(at(m), 0);
    open.resize(at(m));
    std::iota(open.begin(), open.end(), 0);
    same.assign(at(m) * at(num_labels), 0);
    out.pack.resize(at(n));
    out.rank.resize(at(n));

    constexpr int kNone = std::numeric_limits<int>::max();  // "+inf" label count
    for (const int i : order) {
      const int label = labelled ? labels[at(i)] : 0;
      int best = -1;
      double best_load = std::numeric_limits<double>::infinity();
      int best_same = kNone;
      for (const int p : open) {
        const double lp = load[at(p)];
        // The first open pack is always a candidate: with pack loads at +inf (a row whose sum
        // overflows) `lp + eps < inf` never holds, and no choice would index pack -1.
        if (best < 0 || lp + eps < best_load) {
          best = p;
          best_load = lp;
          best_same = labelled ? same[at(p * num_labels + label)] : kNone;
        } else if (labelled && std::abs(lp - best_load) <= eps) {
          const int s = same[at(p * num_labels + label)];
          if (s < best_same) {
            best = p;
            best_load = lp;
            best_same = s;
          }
        }
      }
      out.pack[at(i)] = best;
      out.rank[at(i)] = used[at(best)];
      load[at(best)] += w[at(i)];
      if (++used[at(best)] == cap) open.erase(std::find(open.begin(), open.end(), best));
      if (labelled) ++same[at(best * num_labels + label)];
    }
  }
};

}  // namespace

std::unique_ptr<Packer> make_near_tie_packer() { return std::make_unique<NearTiePacker>(); }

}  // namespace eplb::detail
