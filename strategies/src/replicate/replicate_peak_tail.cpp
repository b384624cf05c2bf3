// peak_tail replicator: D'Hondt bulk, then a tail in which each slot goes to the candidate with
// the lowest predicted peak per-replica load.
//
// Of the red = slots - n redundant slots, the first red - tail (tail_size.cpp) are D'Hondt steps.
// Each tail step computes `second`, the second-largest current average w/c (with multiplicity),
// and candidate receivers iD = ARGMAX w/c, iS = ARGMAX w/(2c-1) and, for the D/S/H chooser,
// iH = ARGMAX w/sqrt(c(c+1)). A candidate i predicts new = w[i]/(c[i]+1) and peak
// max(second, new). Slots are appended to the COLUMN layout with their replica ranks.
// * options.chooser == kDS (seed001 "adaptive_tail_and_refine_fixup", COMPOSITION.md 4.4
//   Replicate step 3): iD wins if its peak is lower by more than 1e-12; on a peak tie within 1e-12
//   the smaller min(second, new) wins (again with the 1e-12 band), and then the smaller count,
//   iD on equal counts.
// * options.chooser == kDSH (seed000 "adaptive_tail_and_diverse_gpu_tie_break", COMPOSITION.md
//   4.5 Replicate): the lexicographically smallest exact key (peak, new, cnt), D before S before H.
//
// The averages w/c are D'Hondt's priorities, so the bulk's block argmax also yields `second` (by
// one scan per tail step). S and H use a scan per step for tails of at most two slots and winner
// trees beyond.
//
// Known weaknesses:
// * For w >= 0 both choosers pick the Sainte-Lague (2c-1) candidate whenever the candidates
//   differ, so peak_tail gives exactly hybrid_tail's 2c-1 layout on the same tail. iD holds the
//   maximum average, so every other candidate's predicted peak is `second` while iD's is at
//   least that; S's count is at most D's and H's, which makes its predicted new average the
//   smallest (exact in real arithmetic; tested bit for bit on random rows and on every golden
//   instance). This is why seed000 and seed004 give the same counts (COMPOSITION.md 5.3).
// * The prediction ignores iD's own average: giving the slot to iS or iH leaves the current
//   maximum in place while the prediction says max(second, new), so the chooser can pick a
//   candidate that does not lower the peak where D'Hondt would have.
// * The 1e-12 bands of the D/S chooser are absolute, so they are meaningless for loads far above
//   or below 1.
#include <vector>

#include "apportion.hpp"
#include "components.hpp"

namespace eplb::detail {
namespace {

class PeakTailReplicator final : public Replicator {
 public:
  explicit PeakTailReplicator(const ReplicateOptions& options) : options_(options) {}

  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const ReplicateJob job{w, &out};
    replicate_many({&job, 1}, slots);
  }

  void replicate_many(std::span<const ReplicateJob> jobs, int slots) const override {
    bulk_then_tail_many_blocks(jobs, slots, options_,
                               [this](const ReplicateJob& job, int s, int tail, auto& bulk) {
                                 run_tail(job.w, s, tail, bulk, *job.out);
                               });
  }

 private:
  // The last `tail` slots, after the D'Hondt bulk left `d_heap` (a block argmax) keyed by the
  // averages w/c.
  template <class Argmax>
  void run_tail(std::span<const double> w, int slots, int tail, Argmax& d_heap,
                ReplicaLayout& out) const {
    thread_local StepArgmax s_argmax;
    thread_local StepArgmax h_argmax;
    if (tail == 0) return;
    const int n = static_cast<int>(w.size());
    const bool dsh = options_.chooser == TailChooser::kDSH;
    auto weight = [&](int j) { return w[static_cast<std::size_t>(j)]; };
    auto count = [&](int j) { return out.cnt[static_cast<std::size_t>(j)]; };
    auto s_priority = [&](int j) { return sainte_lague_minus_priority(weight(j), count(j)); };
    auto h_priority = [&](int j) { return huntington_hill_priority(weight(j), count(j)); };
    s_argmax.start(n, tail, s_priority);
    if (dsh) h_argmax.start(n, tail, h_priority);
    for (int s = slots - tail; s < slots; ++s) {
      const double second = d_heap.second_key();
      const int i_d = d_heap.top();
      int i_s = 0;
      int i_h = 0;
#if EPLB_HAVE_AVX512_KERNELS
      if constexpr (Argmax::kAvx512) {
        // Short tails scan: the scans' divisions (and square roots) eight at a time.
        thread_local std::vector<double> scratch;
        i_s = s_argmax.scans() ? tail_argmax_avx512<false>(w.data(), out.cnt.data(), n, scratch)
                               : s_argmax.top(s_priority);
        if (dsh)
          i_h = h_argmax.scans() ? tail_argmax_avx512<true>(w.data(), out.cnt.data(), n, scratch)
                                 : h_argmax.top(h_priority);
      }
#endif
      if constexpr (!Argmax::kAvx512) {
        i_s = s_argmax.top(s_priority);
        if (dsh) i_h = h_argmax.top(h_priority);
      }
      const int e =
          dsh ? choose_dsh(second, i_d, i_s, i_h, w, out) : choose_ds(second, i_d, i_s, w, out);
      append_replica(s, e, out);
      d_heap.update(e, dhondt_priority(weight(e), count(e)));
      s_argmax.update(e, s_priority(e));
      if (dsh) h_argmax.update(e, h_priority(e));
    }
  }

  // seed001's D/S rule, with its epsilon chain (COMPOSITION.md 4.4 Replicate 3.4-3.6).
  static int choose_ds(double second, int i_d, int i_s, std::span<const double> w,
                       const ReplicaLayout& out) {
    constexpr double kEps = 1e-12;
    const int c_d = out.cnt[static_cast<std::size_t>(i_d)];
    const int c_s = out.cnt[static_cast<std::size_t>(i_s)];
    const double new_d = w[static_cast<std::size_t>(i_d)] / (c_d + 1.0);
    const double new_s = w[static_cast<std::size_t>(i_s)] / (c_s + 1.0);
    const double peak_d = std::max(second, new_d);
    const double peak_s = std::max(second, new_s);
    const double sec_d = std::min(second, new_d);
    const double sec_s = std::min(second, new_s);
    const bool pick_d = peak_d + kEps < peak_s ||
                        (std::abs(peak_d - peak_s) <= kEps &&
                         (sec_d + kEps < sec_s || (std::abs(sec_d - sec_s) <= kEps && c_d <= c_s)));
    return pick_d ? i_d : i_s;
  }

  // seed000's D/S/H rule: smallest (peak, new, cnt), exact comparisons, earliest candidate on a
  // full tie (COMPOSITION.md 4.5 Replicate).
  static int choose_dsh(double second, int i_d, int i_s, int i_h, std::span<const double> w,
                        const ReplicaLayout& out) {
    struct Key {
      double peak;
      double fresh;
      int cnt;
    };
    auto key = [&](int i) {
      const int c = out.cnt[static_cast<std::size_t>(i)];
      const double fresh = w[static_cast<std::size_t>(i)] / (c + 1.0);
      return Key{std::max(second, fresh), fresh, c};
    };
    auto less = [](const Key& a, const Key& b) {
      if (a.peak != b.peak) return a.peak < b.peak;
      if (a.fresh != b.fresh) return a.fresh < b.fresh;
      return a.cnt < b.cnt;
    };
    int best = i_d;
    Key best_key = key(i_d);
    for (const int i : {i_s, i_h}) {
      const Key k = key(i);
      if (less(k, best_key)) {
        best = i;
        best_key = k;
      }
    }
    return best;
  }

  ReplicateOptions options_;
};

}  // namespace

std::unique_ptr<Replicator> make_peak_tail_replicator(const ReplicateOptions& options) {
  check_tail_options(options, "peak_tail");
  return std::make_unique<PeakTailReplicator>(options);
}

}  // namespace eplb::detail
