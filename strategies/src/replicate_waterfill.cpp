// Water-filling replica counts (seed 002, "waterfill_and_light_pair_refine"; COMPOSITION.md
// section 4.6 WATERFILL).
//
// Instead of handing out redundant slots one at a time (D'Hondt), the replicator looks for a water
// level T such that giving every expert ceil(w/T) replicas (at least one) fits in the node's slots:
// a bisection over T with a fixed number of iterations (`ReplicateOptions::waterfill_iters`, 40 in
// the seed) keeps the upper end `hi` feasible. The counts at `hi` usually leave a few slots over;
// they are topped up in rounds, each round giving one more replica to the min(extras, n) experts of
// highest per-replica load w/c (SORT_DESC, scores taken before the round's increments). An all-zero
// row is spread evenly (the first P % n experts get the extra replica); P == n gives one each.
//
// The result is counts only: the layout is LOGICAL (cnt[0] slots of expert 0, then expert 1, ...),
// so `column_layout()` is false and the pipeline's fix-up (seed 002: FIXUP_MASKED) and final
// LOGICAL layout apply to it as to any count-only method.
//
// Known weaknesses:
//  * On the seed's workloads the counts equal D'Hondt's (COMPOSITION.md 5.3), so all the extra
//    work buys nothing there; the test FindingSeed002WaterfillEqualsDhondt measures how often.
//  * A top-up round increments by the pre-round scores, so an expert that D'Hondt would serve
//    twice in a row gets at most one replica per round.
//  * With a fixed iteration count, rows whose weights span more than ~2^40 (or whose peak is far
//    below 1.0, since hi starts at max(maxw, 1)) leave the bisection far from the level, and the
//    top-up rounds then do most of the work.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "components.hpp"
#include "eplb/error.hpp"

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

// True iff sum_j max(ceil(w[j]/level), 1) <= slots. Stops early once the sum exceeds `slots`,
// which also keeps huge ceil values (tiny levels) from overflowing the integer sum.
bool fits(std::span<const double> w, double level, int slots) {
  const double cap = static_cast<double>(slots);
  std::int64_t s = 0;
  for (const double x : w) {
    const double c = std::max(std::ceil(x / level), 1.0);
    if (c > cap) return false;
    s += static_cast<std::int64_t>(c);
    if (s > slots) return false;
  }
  return true;
}

class WaterfillReplicator final : public Replicator {
 public:
  explicit WaterfillReplicator(int iters) : iters_(iters) {}

  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const int n = static_cast<int>(w.size());
    std::vector<int>& cnt = out.cnt;
    cnt.assign(at(n), 1);
    if (slots > n) counts(w, slots, cnt);
    logical_layout(out);
  }

  bool column_layout() const override { return false; }

 private:
  void counts(std::span<const double> w, int slots, std::vector<int>& cnt) const {
    const int n = static_cast<int>(w.size());
    const double maxw = *std::max_element(w.begin(), w.end());
    if (maxw == 0.0) {
      for (int j = 0; j < n; ++j) cnt[at(j)] = slots / n + (j < slots % n ? 1 : 0);
      return;
    }
    double lo = 0.0;
    double hi = std::max(maxw, 1.0);
    for (int it = 0; it < iters_; ++it) {
      const double mid = 0.5 * (lo + hi);
      if (fits(w, mid, slots)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    // hi starts feasible (every ceil is <= 1) and only moves to feasible levels, so the sum below
    // is <= slots and fits in int.
    int extras = slots;
    for (int j = 0; j < n; ++j) {
      cnt[at(j)] = static_cast<int>(std::max(std::ceil(w[at(j)] / hi), 1.0));
      extras -= cnt[at(j)];
    }
    thread_local std::vector<double> score;
    thread_local std::vector<int> order;
    score.resize(at(n));
    while (extras > 0) {
      const int k = std::min(extras, n);
      for (int j = 0; j < n; ++j) score[at(j)] = w[at(j)] / cnt[at(j)];
      // The first k of SORT_DESC(score) as a set: nth_element under the same strict total order.
      order.resize(at(n));
      for (int j = 0; j < n; ++j) order[at(j)] = j;
      if (k < n) {
        std::nth_element(order.begin(), order.begin() + k - 1, order.end(), [&](int a, int b) {
          const double x = score[at(a)];
          const double y = score[at(b)];
          return x > y || (x == y && a < b);
        });
      }
      for (int t = 0; t < k; ++t) ++cnt[at(order[at(t)])];
      extras -= k;
    }
  }

  int iters_;
};

}  // namespace

std::unique_ptr<Replicator> make_waterfill_replicator(const ReplicateOptions& options) {
  if (options.waterfill_iters < 1)
    throw InputError(fmt::format("replicate=waterfill: wf_iters={} must be at least 1",
                                 options.waterfill_iters));
  return std::make_unique<WaterfillReplicator>(options.waterfill_iters);
}

}  // namespace eplb::detail
