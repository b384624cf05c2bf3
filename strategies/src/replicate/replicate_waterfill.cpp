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
// Speed: each bisection step re-divides only the experts whose term can still change between lo
// and hi (see Bisection), which gives the same decisions as the full sum at a fraction of the cost;
// once a single expert is left (most of the 40 steps), the steps compare mid with that expert's
// exact threshold instead of dividing, and the rows of a batch (replicate_many) run those steps
// side by side; and the counts at hi are the terms already evaluated there.
//
// Known weaknesses:
//  * The counts equal D'Hondt's on every layer we measured except all-zero node rows (which it
//    spreads evenly, where D'Hondt piles them on the first expert), so the extra work buys
//    nothing there (COMPOSITION.md 5.3; tests Finding.Seed002*).
//  * A top-up round increments by the pre-round scores, so an expert that D'Hondt would serve
//    twice in a row gets at most one replica per round.
//  * Not scale-invariant: hi starts at max(maxw, 1) and halves at most `waterfill_iters` times,
//    so on a row whose peak is below ~2^-40 the level is never reached, every count stays 1 and
//    the top-up rounds do all the work ({4,1,1}e-13 on 5 slots gives {2,2,1}; {4,1,1} gives
//    {3,1,1}).
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "argmax/first_extreme_avx512.hpp"
#include "components.hpp"
#include "eplb/error.hpp"
#include "eplb/kernel_isa.hpp"

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

// For x > 0 and the integer k: the least double t with fl(x / t) <= k (+inf when k < 1: no t),
// searched within a few ulps of x / k. False when it is not there (a quotient near the subnormal
// range).
bool exact_threshold(double x, double k, double& t) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (k < 1.0) {
    t = kInf;
    return true;
  }
  double guess = x / k;
  if (!(guess >= std::numeric_limits<double>::min())) return false;
  for (int step = 0; step < 8; ++step) {
    if (x / guess <= k) {
      const double below = std::nextafter(guess, 0.0);
      if (!(x / below <= k)) {
        t = guess;
        return true;
      }
      guess = below;
    } else {
      guess = std::nextafter(guess, kInf);
    }
  }
  return false;
}

// The bisection's feasibility test s(mid) = sum_j max(ceil(w[j]/mid), 1) <= slots, evaluated
// exactly but only where it can still change. Each term is non-increasing in mid (division and
// ceil are monotone), so an expert whose term is equal at lo and at hi has that term at every mid
// in between: it is "settled" and joins a fixed partial sum. Only the unsettled experts are
// divided again; after the first few halvings that is a handful per row instead of all of them.
class Bisection {
 public:
  // The greatest weight (n >= 1).
  static double max_of(std::span<const double> w) { return *std::max_element(w.begin(), w.end()); }

  // Prepares the state for lo = 0 and hi = max(maxw, 1): every term at hi is 1; at lo = 0 the
  // term of a positive weight is unbounded, and a zero weight is settled at 1.
  void reset(std::span<const double> w) {
    const std::size_t n = w.size();
    at_lo_.assign(n, std::numeric_limits<double>::infinity());
    at_hi_.assign(n, 1.0);
    at_mid_.resize(n);
    open_.clear();
    settled_sum_ = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      if (w[j] > 0.0) {
        open_.push_back(static_cast<int>(j));
      } else {
        settled_sum_ += 1.0;
      }
    }
  }

  // s(mid) <= slots. The sums are of small integers (every term is at most about 2 * slots + 1,
  // since mid >= hi / 2 and hi stays feasible), so the double sums are exact.
  bool fits(std::span<const double> w, double mid, int slots) {
    double s = settled_sum_;
    for (const int j : open_) {
      const double c = std::max(std::ceil(w[at(j)] / mid), 1.0);
      at_mid_[at(j)] = c;
      s += c;
    }
    return s <= slots;
  }

  // Records the outcome of the last fits(): mid became hi (fitted) or lo, then settles.
  // Branch-free, with the running sum in a register: whether an expert settles is as
  // unpredictable as the bisection's direction, and a sum kept in the member chained every
  // settled expert to the previous one through memory. Adding 0.0 (a finite term times 0) for
  // the others changes nothing (the sum is a non-negative integer). The new ends are compared in
  // registers (reloading the one just stored waited for the store), and the kept experts go to
  // a second list (compacting in place made every read wait for the previous write).
  void narrow(bool fitted) {
    std::size_t kept = 0;
    double settled = settled_sum_;
    kept_.resize(open_.size());
    for (const int j : open_) {
      const double mid = at_mid_[at(j)];
      const double lo = fitted ? at_lo_[at(j)] : mid;
      const double hi = fitted ? mid : at_hi_[at(j)];
      at_lo_[at(j)] = lo;
      at_hi_[at(j)] = hi;
      const bool done = lo == hi;
      settled += hi * static_cast<double>(done);  // a select here compiles to a branch
      kept_[kept] = j;
      kept += done ? 0 : 1;
    }
    settled_sum_ = settled;
    kept_.resize(kept);
    open_.swap(kept_);
  }

  // With one unsettled expert j left, s(mid) <= slots is fl(w[j] / mid) <= K for the integer
  // K = slots - settled sum (max(ceil(q), 1) <= K iff q <= K, for K >= 1), which is monotone in
  // mid: it holds exactly for mid >= t, the least double where it does. Then the remaining steps
  // compare mid with t, without the division that chains one step to the next. `t` gets that
  // threshold (+inf when K < 1: no mid fits). False when there is not exactly one unsettled
  // expert, or t is not within a few ulps of w[j] / K (a quotient near the subnormal range).
  bool single_threshold(std::span<const double> w, int slots, double& t) const {
    if (open_.size() != 1) return false;
    return exact_threshold(w[at(open_.front())], slots - settled_sum_, t);
  }

  // Ends the bisection of single_threshold's expert at the final hi.
  void settle_single(std::span<const double> w, double hi) {
    const std::size_t j = at(open_.front());
    at_hi_[j] = std::max(std::ceil(w[j] / hi), 1.0);
    settled_sum_ += at_hi_[j];
    open_.clear();
  }

  // max(ceil(w[j] / hi), 1) at the current hi: every term was last evaluated at some earlier hi
  // (or is 1 at the start, where hi >= every weight) and, if it changed since, it was not yet
  // settled, so its at_hi_ was updated with each new hi.
  int term_at_hi(std::size_t j) const { return static_cast<int>(at_hi_[j]); }
  void sync_terms() {}  // every term is in at_hi_ already

 private:
  static std::size_t at(int i) { return static_cast<std::size_t>(i); }

  std::vector<double> at_lo_;
  std::vector<double> at_hi_;
  std::vector<double> at_mid_;
  std::vector<int> open_;
  std::vector<int> kept_;  // narrow()'s output, swapped with open_
  double settled_sum_ = 0.0;
};

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
// Bisection's state and steps with AVX-512: the unsettled experts' weights and terms are kept
// compacted in their own arrays (settling compresses them), so that fits() and narrow() run eight
// experts per instruction. Every term is the same double (correctly rounded quotient, ceil, max)
// and every sum one of small integers, exact in any order.
class WideBisection {
 public:
  // The greatest weight (n >= 1), eight per instruction: max_element's compare per weight
  // reloads the running maximum and branches on each new one (a tenth of the row's counting).
  EPLB_AVX512_TARGET static double max_of(std::span<const double> w) {
    const int n = static_cast<int>(w.size());
    const __m512d never = _mm512_set1_pd(-std::numeric_limits<double>::infinity());
    __m512d most = never;
    for (int i = 0; i < n; i += 8)
      most =
          _mm512_max_pd(most, _mm512_mask_loadu_pd(never, lanes_without(i, n, -1), w.data() + i));
    return _mm512_cvtsd_f64(spread_extreme_avx512<true>(most));
  }

  // The positive weights and their indices compressed eight at a time (the scalar loop's four
  // stores per expert were a tenth of the row's counting); every other expert settles at 1.
  EPLB_AVX512_TARGET void reset(std::span<const double> w) {
    const int n = static_cast<int>(w.size());
    at_hi_.assign(w.size(), 1.0);
    for (std::vector<double>* v : {&w_, &lo_, &hi_, &mid_}) v->resize(w.size() + 8);
    index_.resize(w.size() + 8);
    const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    int open = 0;
    for (int i = 0; i < n; i += 8) {
      const __mmask8 m = lanes_without(i, n, -1);
      const __m512d x = _mm512_maskz_loadu_pd(m, w.data() + i);
      const auto positive =
          static_cast<__mmask8>(m & _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ));
      _mm512_mask_compressstoreu_pd(w_.data() + open, positive, x);
      _mm512_mask_compressstoreu_epi64(index_.data() + open, positive,
                                       _mm512_add_epi64(lane, _mm512_set1_epi64(i)));
      open += std::popcount(static_cast<unsigned>(positive));
    }
    open_ = static_cast<std::size_t>(open);
    std::fill_n(lo_.begin(), open, std::numeric_limits<double>::infinity());
    std::fill_n(hi_.begin(), open, 1.0);
    settled_sum_ = static_cast<double>(n - open);  // a sum of ones, exact
  }

  EPLB_AVX512_TARGET bool fits(std::span<const double> /*w*/, double mid, int slots) {
    const __m512d level = _mm512_set1_pd(mid);
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d sum = _mm512_setzero_pd();
    const int k = static_cast<int>(open_);
    for (int i = 0; i < k; i += 8) {
      const __mmask8 m = lanes_without(i, k, -1);
      const __m512d q = _mm512_maskz_div_pd(m, _mm512_maskz_loadu_pd(m, w_.data() + i), level);
      const __m512d c =
          _mm512_max_pd(_mm512_roundscale_pd(q, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC), one);
      _mm512_mask_storeu_pd(mid_.data() + i, m, c);
      sum = _mm512_mask_add_pd(sum, m, sum, c);
    }
    return settled_sum_ + _mm512_reduce_add_pd(sum) <= slots;
  }

  // Branch-free: which end moved is a mask, the settled experts' terms go out by one masked
  // scatter and their sum into a vector. Both outcomes are as likely as a coin toss, and the
  // branches on them mispredicted about once per step.
  EPLB_AVX512_TARGET void narrow(bool fitted) {
    const int k = static_cast<int>(open_);
    const auto moved_hi = static_cast<__mmask8>(-static_cast<int>(fitted));  // all or none
    std::size_t kept = 0;
    __m512d settled = _mm512_setzero_pd();
    for (int i = 0; i < k; i += 8) {
      const __mmask8 m = lanes_without(i, k, -1);
      const __m512d mid = _mm512_maskz_loadu_pd(m, mid_.data() + i);
      const __m512d lo =
          _mm512_mask_mov_pd(mid, moved_hi, _mm512_maskz_loadu_pd(m, lo_.data() + i));
      const __m512d hi =
          _mm512_mask_mov_pd(_mm512_maskz_loadu_pd(m, hi_.data() + i), moved_hi, mid);
      const __m512d w = _mm512_maskz_loadu_pd(m, w_.data() + i);
      const __m512i index = _mm512_maskz_loadu_epi64(m, index_.data() + i);
      const auto done = static_cast<__mmask8>(m & _mm512_cmp_pd_mask(lo, hi, _CMP_EQ_OQ));
      const auto keep = static_cast<__mmask8>(m & ~done);
      settled = _mm512_mask_add_pd(settled, done, settled, hi);
      _mm512_mask_i64scatter_pd(at_hi_.data(), done, index, hi, 8);
      // In place: this vector is loaded, and the kept ones land at or before it.
      _mm512_mask_compressstoreu_pd(w_.data() + kept, keep, w);
      _mm512_mask_compressstoreu_pd(lo_.data() + kept, keep, lo);
      _mm512_mask_compressstoreu_pd(hi_.data() + kept, keep, hi);
      _mm512_mask_compressstoreu_epi64(index_.data() + kept, keep, index);
      kept += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(keep)));
    }
    open_ = kept;
    // Terms are small integers: their sum is exact in any order.
    settled_sum_ += _mm512_reduce_add_pd(settled);
  }

  // As Bisection::single_threshold, on the one compacted expert.
  bool single_threshold(std::span<const double> /*w*/, int slots, double& t) const {
    if (open_ != 1) return false;
    return exact_threshold(w_[0], slots - settled_sum_, t);
  }

  void settle_single(std::span<const double> /*w*/, double hi) {
    const auto j = static_cast<std::size_t>(index_[0]);
    at_hi_[j] = std::max(std::ceil(w_[0] / hi), 1.0);
    settled_sum_ += at_hi_[j];
    open_ = 0;
  }

  // The unsettled experts' terms at hi, into the per-expert array term_at_hi reads.
  void sync_terms() {
    for (std::size_t q = 0; q < open_; ++q) at_hi_[static_cast<std::size_t>(index_[q])] = hi_[q];
  }
  int term_at_hi(std::size_t j) const { return static_cast<int>(at_hi_[j]); }

 private:
  std::vector<double> at_hi_;        // [expert] the term at hi of a settled expert (or after sync)
  std::vector<double> w_;            // the unsettled experts' weights, compacted
  std::vector<double> lo_;           // their terms at lo
  std::vector<double> hi_;           // their terms at hi
  std::vector<double> mid_;          // their terms at the last mid
  std::vector<std::int64_t> index_;  // their expert indices
  std::size_t open_ = 0;
  double settled_sum_ = 0.0;
};
EPLB_AVX512_WARNINGS_ON
#endif

// Up to this many rows are counted side by side (replicate_many).
constexpr std::size_t kBatch = 8;

// The bisection's last steps, once they only compare mid with the one unsettled expert's
// threshold (Bisection::single_threshold): `left` steps from [lo, hi]. Each step waits for the
// previous one (about ten cycles, a seventh of a row's counting), so the rows of a batch run
// theirs side by side.
struct Tail {
  double lo = 0.0;
  double hi = 0.0;
  double threshold = 0.0;
  int left = 0;
  bool single = false;  // a threshold tail (else the bisection ended without one)
};

class WaterfillReplicator final : public Replicator {
 public:
  explicit WaterfillReplicator(int iters) : iters_(iters) {}

  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const ReplicateJob job{w, &out};
    replicate_many({&job, 1}, slots);
  }

  void replicate_many(std::span<const ReplicateJob> jobs, int slots) const override {
    for (std::size_t first = 0; first < jobs.size(); first += kBatch) {
      const auto batch = jobs.subspan(first, std::min(kBatch, jobs.size() - first));
#if EPLB_HAVE_AVX512_KERNELS
      // The same operations compiled for AVX-512F: ceil is one rounding instruction there,
      // instead of x86-64's compare-and-convert sequence with a branch.
      if (kernel_isa() == KernelIsa::kAvx512) {
        batch_avx512(batch, slots);
        continue;
      }
#endif
      thread_local std::array<Bisection, kBatch> bisections;
      count_batch(batch, slots, bisections);
    }
  }

  bool column_layout() const override { return false; }

 private:
#if EPLB_HAVE_AVX512_KERNELS
  EPLB_AVX512_WARNINGS_OFF
  EPLB_AVX512_FLATTEN void batch_avx512(std::span<const ReplicateJob> batch, int slots) const {
    thread_local std::array<WideBisection, kBatch> bisections;
    count_batch(batch, slots, bisections);
  }
  EPLB_AVX512_WARNINGS_ON
#endif

  // Counts and LOGICAL layouts of up to kBatch rows. `Bisect` is Bisection or WideBisection: the
  // same steps.
  template <class Bisect>
  void count_batch(std::span<const ReplicateJob> batch, int slots,
                   std::array<Bisect, kBatch>& bisections) const {
    std::array<Tail, kBatch> tails{};
    std::array<bool, kBatch> bisected{};
    for (std::size_t k = 0; k < batch.size(); ++k) {
      const std::span<const double> w = batch[k].w;
      const int n = static_cast<int>(w.size());
      std::vector<int>& cnt = batch[k].out->cnt;
      cnt.assign(at(n), 1);
      if (slots <= n) continue;
      const double maxw = Bisect::max_of(w);
      if (maxw == 0.0) {  // spread evenly
        for (int j = 0; j < n; ++j) cnt[at(j)] = slots / n + (j < slots % n ? 1 : 0);
        continue;
      }
      tails[k] = bisect(w, slots, maxw, bisections[k]);
      bisected[k] = true;
    }
    run_tails<Bisect>(tails, batch.size());
    for (std::size_t k = 0; k < batch.size(); ++k) {
      if (bisected[k]) settle(batch[k].w, slots, tails[k], batch[k].out->cnt, bisections[k]);
      logical_layout(*batch[k].out);
    }
  }

  // The bisection over the level T from [0, max(maxw, 1)] (maxw > 0), up to the steps that only
  // compare with one expert's threshold, which it returns as a Tail (with the final [lo, hi] and
  // no steps left when it never gets there).
  template <class Bisect>
  Tail bisect(std::span<const double> w, int slots, double maxw, Bisect& bisection) const {
    bisection.reset(w);
    Tail tail;
    tail.hi = std::max(maxw, 1.0);
    for (int it = 0; it < iters_; ++it) {
      if (bisection.single_threshold(w, slots, tail.threshold)) {
        tail.left = iters_ - it;
        tail.single = true;
        return tail;
      }
      const double mid = 0.5 * (tail.lo + tail.hi);
      const bool fitted = bisection.fits(w, mid, slots);
      if (fitted) {
        tail.hi = mid;
      } else {
        tail.lo = mid;
      }
      bisection.narrow(fitted);
    }
    return tail;
  }

  // Every tail's remaining steps. One row's steps form a chain (each mid waits for the previous
  // step's end), so the wide kernels run the rows' chains in the lanes of one vector.
  template <class Bisect>
  static void run_tails(std::array<Tail, kBatch>& tails, std::size_t count) {
#if EPLB_HAVE_AVX512_KERNELS
    if constexpr (std::is_same_v<Bisect, WideBisection>) {
      run_tails_avx512(tails, count);
      return;
    }
#endif
    for (std::size_t k = 0; k < count; ++k) {
      Tail& t = tails[k];
      double lo = t.lo;
      double hi = t.hi;
      for (int it = 0; it < t.left; ++it) {
        const double mid = 0.5 * (lo + hi);
        (mid >= t.threshold ? hi : lo) = mid;
      }
      t.hi = hi;
    }
  }

#if EPLB_HAVE_AVX512_KERNELS
  EPLB_AVX512_WARNINGS_OFF
  // The same steps, lane k for row k: a lane whose steps are done keeps its ends.
  EPLB_AVX512_TARGET static void run_tails_avx512(std::array<Tail, kBatch>& tails,
                                                  std::size_t count) {
    alignas(64) std::array<double, kBatch> lo{};
    alignas(64) std::array<double, kBatch> hi{};
    alignas(64) std::array<double, kBatch> threshold{};
    alignas(64) std::array<std::int64_t, kBatch> left{};
    std::int64_t longest = 0;
    for (std::size_t k = 0; k < count; ++k) {
      lo[k] = tails[k].lo;
      hi[k] = tails[k].hi;
      threshold[k] = tails[k].threshold;
      left[k] = tails[k].left;
      longest = std::max(longest, left[k]);
    }
    __m512d vlo = _mm512_load_pd(lo.data());
    __m512d vhi = _mm512_load_pd(hi.data());
    const __m512d vthreshold = _mm512_load_pd(threshold.data());
    const __m512i vleft = _mm512_load_si512(left.data());
    const __m512d half = _mm512_set1_pd(0.5);
    for (std::int64_t it = 0; it < longest; ++it) {
      const __m512d mid = _mm512_mul_pd(half, _mm512_add_pd(vlo, vhi));
      const __mmask8 step = _mm512_cmpgt_epi64_mask(vleft, _mm512_set1_epi64(it));
      const __mmask8 up = _mm512_cmp_pd_mask(mid, vthreshold, _CMP_GE_OQ);
      vhi = _mm512_mask_mov_pd(vhi, static_cast<__mmask8>(step & up), mid);
      vlo = _mm512_mask_mov_pd(vlo, static_cast<__mmask8>(step & ~up), mid);
    }
    _mm512_store_pd(hi.data(), vhi);
    for (std::size_t k = 0; k < count; ++k) tails[k].hi = hi[k];
  }
  EPLB_AVX512_WARNINGS_ON
#endif

  // The counts at the final hi, then the top-up rounds.
  template <class Bisect>
  void settle(std::span<const double> w, int slots, const Tail& tail, std::vector<int>& cnt,
              Bisect& bisection) const {
    const int n = static_cast<int>(w.size());
    if (tail.single) bisection.settle_single(w, tail.hi);
    // hi starts feasible (every ceil is <= 1) and only moves to feasible levels, so the sum below
    // is <= slots and fits in int.
    bisection.sync_terms();
    int extras = slots;
    for (int j = 0; j < n; ++j) {
      cnt[at(j)] = bisection.term_at_hi(at(j));
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
