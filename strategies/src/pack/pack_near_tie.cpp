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
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "argmax/least_keys_avx512.hpp"
#include "argmax/winner_tree.hpp"
#include "components.hpp"
#include "eplb/kernel_isa.hpp"
#include "interleaved_lanes.hpp"

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

constexpr int kNone = std::numeric_limits<int>::max();  // "+inf" label count

// Per-pack state indexed by pack, and the per-(label, pack) replica counts. `tree` holds each
// open pack's load and +inf for a full one, so its least key is the first open pack of least
// load: a WinnerTree<false>, or WideLeastKeys when the kernels are wide.
template <class Open>
struct Scratch {
  std::vector<int> order;
  std::vector<int> used;
  std::vector<double> load;
  int cap = 0;  // a pack is open while it holds fewer items (no flag array: a char store may
                // alias anything, and made the compiler reload every pointer after it)
  Open tree;
  std::vector<int> same;  // [label * m + pack]; all zero between calls
};

// The seed's scan over the open packs in ascending order, branch-free: `lower` and `tie` are its
// two cases (a tie needs labels; unlabelled, every count is kNone and `s < best_same` never
// holds). Returns the pack.
template <bool kLabelled, class Open>
int full_scan(const Scratch<Open>& s, int m, double eps, const int* same_row);

// The pack full_scan chooses, from its fast exact paths when they decide.
template <bool kLabelled, class Open>
int scan(const Scratch<Open>& s, int m, double eps, const int* same_row) {
  // The wide keys decide both fast paths below in one pass (exact ties, a tenth of seed000's GPU
  // steps, took a mispredicted branch and two scalar scans over the packs there).
  if constexpr (kWideLeastKeys<Open>) {
    const std::uint64_t tied = s.tree.clear_least(0.0, eps);
    if (tied == 0) return full_scan<kLabelled>(s, m, eps, same_row);
    // One pack at the least load (most steps), or no labels: the first.
    if (!kLabelled || (tied & (tied - 1)) == 0) return std::countr_zero(tied);
    return s.tree.first_of_fewest(tied, same_row);
  }
  // Fast exact path: let b be the first open pack of least load. If every other open pack q is
  // clearly heavier (b + eps < q and |q - b| > eps, in the very floating-point expressions the
  // scan evaluates), the scan takes b when it reaches it (the `lower` case, whatever it held
  // before) and nothing after it (q + eps < b is impossible for q >= b, and no q is a tie), so b
  // is its result. Both tests are monotone in q, so the least other load (the tree's runner-up;
  // +inf for full packs, which pass) decides them for all q at once.
  {
    const Extremes open_loads = s.tree.extremes();
    const double least = open_loads.key;
    const double bound = least + eps;
    const double second = open_loads.second;
    if (bound < second && !(std::abs(second - least) <= eps)) return open_loads.index;
    // Exact ties at the least load (typically the empty packs at the start): if every open pack
    // not exactly at `least` is clearly heavier as above, the scan takes the first tied pack
    // (`lower`), then a later tied pack only on a lower label count (`tie`; a heavier pack is
    // neither lower nor tied): the first tied pack of least count. One pass without a
    // loop-carried choice; a +inf least (an overflowing row) is left to the scan.
    if (least == second && least < std::numeric_limits<double>::infinity()) {
      int close = 0;
      int least_same = kNone;
      for (int p = 0; p < m; ++p) {
        const double lp = s.load[at(p)];
        const bool open = s.used[at(p)] < s.cap;
        const bool tied = open && lp == least;
        close += (open && !tied && (!(bound < lp) || std::abs(lp - least) <= eps)) ? 1 : 0;
        least_same = std::min(least_same, tied && kLabelled ? same_row[p] : kNone);
      }
      if (close == 0) {
        for (int p = 0; p < m; ++p) {
          if (s.used[at(p)] < s.cap && s.load[at(p)] == least &&
              (kLabelled ? same_row[p] : kNone) == least_same)
            return p;
        }
      }
    }
  }
  return full_scan<kLabelled>(s, m, eps, same_row);
}

template <bool kLabelled, class Open>
int full_scan(const Scratch<Open>& s, int m, double eps, const int* same_row) {
  int best = -1;
  double best_load = std::numeric_limits<double>::infinity();
  int best_same = kNone;
  for (int p = 0; p < m; ++p) {
    const double lp = s.load[at(p)];
    const int c = kLabelled ? same_row[p] : kNone;
    // best < 0: the first open pack is always a candidate; with pack loads at +inf (a row whose
    // sum overflows) `lp + eps < inf` never holds, and no choice would index pack -1.
    const bool lower = best < 0 || lp + eps < best_load;
    const bool tie = kLabelled && std::abs(lp - best_load) <= eps && c < best_same;
    const bool take = s.used[at(p)] < s.cap && (lower || tie);
    best = take ? p : best;
    best_load = take ? lp : best_load;
    best_same = take ? c : best_same;
  }
  return best;
}

// One packing instance, item by item, so that several instances can advance side by side.
template <class Open>
class Lane {
 public:
  // sum: row_sum(w).
  void start(std::span<const double> w, int m, std::span<const int> labels, Packing& out,
             double sum) {
    w_ = w;
    labels_ = labels;
    out_ = &out;
    m_ = m;
    const int n = static_cast<int>(w.size());
    cap_ = n / m;
    labelled_ = !labels.empty();
    const double mean_w = sum / n;
    eps_ = 1e-6 * std::max(mean_w, 1e-12);
    const int num_labels = labelled_ ? *std::max_element(labels.begin(), labels.end()) + 1 : 0;
    sort_desc(w, s_.order);
    s_.used.assign(at(m), 0);
    s_.load.assign(at(m), 0.0);
    s_.cap = cap_;
    s_.tree.build(m, [](int) { return 0.0; });
    if (s_.same.size() < at(m) * at(num_labels)) s_.same.resize(at(m) * at(num_labels), 0);
    out.pack.resize(at(n));
    out.rank.resize(at(n));
    // The opening: when each of the m - 1 heaviest items exceeds eps, item t < m goes to pack t.
    // It meets packs 0..t-1 holding one such item each (clearly heavier than an empty pack: above
    // 0 + eps and more than eps away) and the empty packs tied at 0 with no replica of any label,
    // so the exact-tie path takes the first empty pack (and the last one is the strict least).
    // These are the scan's slowest steps (a pass over every pack each).
    opened_ = m >= 2 && w[at(s_.order[at(m - 2)])] > eps_ ? at(m) : 0;
    for (std::size_t t = 0; t < opened_; ++t) place(s_.order[t], static_cast<int>(t));
  }

  // Places the t-th heaviest item.
  void step(std::size_t t) {
    if (t < opened_) return;
    const int i = s_.order[t];
    const int* same_row = s_.same.data() + at(labelled_ ? labels_[at(i)] : 0) * at(m_);
    place(i, labelled_ ? scan<true, Open>(s_, m_, eps_, same_row)
                       : scan<false, Open>(s_, m_, eps_, nullptr));
  }

  // Leaves the label counters zero for the next call.
  void finish() {
    if (!labelled_) return;
    for (std::size_t i = 0; i < w_.size(); ++i)
      s_.same[at(labels_[i]) * at(m_) + at(out_->pack[i])] = 0;
  }

 private:
  // Item i into pack `best`.
  void place(int i, int best) {
    out_->pack[at(i)] = best;
    out_->rank[at(i)] = s_.used[at(best)];
    s_.load[at(best)] += w_[at(i)];
    if (labelled_) ++s_.same[at(labels_[at(i)]) * at(m_) + at(best)];
    const bool full = ++s_.used[at(best)] == cap_;
    s_.tree.update(best, full ? std::numeric_limits<double>::infinity() : s_.load[at(best)]);
  }

  std::span<const double> w_;
  std::span<const int> labels_;
  Packing* out_ = nullptr;
  int m_ = 0;
  int cap_ = 0;
  bool labelled_ = false;
  double eps_ = 0.0;
  std::size_t opened_ = 0;  // items placed by the opening
  Scratch<Open> s_;
};

// Packs of a batch side by side (pack_interleaved); false if it declined.
template <class Open>
bool pack_lanes(std::span<const PackJob> jobs, int m) {
  thread_local std::array<Lane<Open>, kMaxLanes> lanes;
  return pack_interleaved(
      jobs, m, lanes,
      [m](Lane<Open>& lane, const PackJob& job, double sum) {
        lane.start(job.w, m, job.labels, *job.out, sum);
      },
      [](Lane<Open>& lane, std::size_t t) { lane.step(t); },
      [](Lane<Open>& lane) { lane.finish(); }, std::numeric_limits<int>::max());
}

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
template <class Keys>
EPLB_AVX512_FLATTEN bool pack_lanes_avx512(std::span<const PackJob> jobs, int m) {
  return pack_lanes<Keys>(jobs, m);
}
EPLB_AVX512_WARNINGS_ON
#endif

class NearTiePacker final : public Packer {
 public:
  void pack(std::span<const double> w, int m, std::span<const int> labels,
            Packing& out) const override {
    thread_local Lane<WinnerTree<false>> lane;
    lane.start(w, m, labels, out, row_sum(w));
    for (std::size_t t = 0; t < w.size(); ++t) lane.step(t);
    lane.finish();
  }

  void pack_many(std::span<const PackJob> jobs, int m) const override {
#if EPLB_HAVE_AVX512_KERNELS
    if (kernel_isa() == KernelIsa::kAvx512 && m <= kMaxWideKeys) {
      const bool interleaved =
          with_wide_least_keys(m, [&]<class Keys>() { return pack_lanes_avx512<Keys>(jobs, m); });
      if (!interleaved) Packer::pack_many(jobs, m);
      return;
    }
#endif
    if (!pack_lanes<WinnerTree<false>>(jobs, m)) Packer::pack_many(jobs, m);
  }
};

}  // namespace

std::unique_ptr<Packer> make_near_tie_packer() { return std::make_unique<NearTiePacker>(); }

}  // namespace eplb::detail
