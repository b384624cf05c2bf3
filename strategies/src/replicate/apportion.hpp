// Building blocks of the sequential apportionment replicators (dhondt, hybrid_tail, peak_tail): the
// column layout (COMPOSITION.md section 3.4), the apportionment priorities of section 3.5, and an
// ARGMAX structure that returns exactly what a left-to-right ARGMAX scan would.
//
// Why a tree: eplb.py and the seeds rescan all n experts per extra slot, O(red * n) per node. The
// winner tree (winner_tree.hpp) keeps every expert's current priority as the very double the scan
// would compare; its root is the lowest index attaining the maximum, and one slot costs log2(n)
// branch-free matches.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <vector>

#include "argmax/block_argmax.hpp"
#include "argmax/winner_tree.hpp"
#include "components.hpp"
#include "eplb/kernel_isa.hpp"
#include "eplb/pipeline.hpp"

namespace eplb::detail {

// Throws InputError unless tail_fraction is in [0, 1] and tail_min >= 0 (tail_size.cpp).
void check_tail_options(const ReplicateOptions& options, const char* replicator);

// Apportionment priorities (section 3.5). The count is converted to double and one correctly
// rounded division (and, for Huntington-Hill, one square root) is performed, as in the oracles.
inline double dhondt_priority(double w, int c) { return w / c; }
inline double sainte_lague_plus_priority(double w, int c) { return w / (2 * c + 1); }
inline double sainte_lague_minus_priority(double w, int c) { return w / (2.0 * c - 1.0); }
inline double huntington_hill_priority(double w, int c) { return w / std::sqrt(c * (c + 1.0)); }

// COLUMN layout with one replica per expert: slot j holds expert j with replica rank 0.
inline void init_column_layout(int n, int slots, ReplicaLayout& out) {
  out.cnt.assign(static_cast<std::size_t>(n), 1);
  out.phy2m.resize(static_cast<std::size_t>(slots));
  out.rank.resize(static_cast<std::size_t>(slots));
  for (int j = 0; j < n; ++j) {
    out.phy2m[static_cast<std::size_t>(j)] = j;
    out.rank[static_cast<std::size_t>(j)] = 0;
  }
}

// Appends slot `s` for expert `e`: replica rank = cnt[e] before the increment.
inline void append_replica(int s, int e, ReplicaLayout& out) {
  int& c = out.cnt[static_cast<std::size_t>(e)];
  out.phy2m[static_cast<std::size_t>(s)] = e;
  out.rank[static_cast<std::size_t>(s)] = c;
  ++c;
}

// ARGMAX of the priorities of 0..n-1 (lowest index on ties) under single-key updates: the winner
// tree of winner_tree.hpp. Its storage is reused between calls (hold it in thread_local scratch).
using ArgmaxTree = WinnerTree<true>;

// ARGMAX over 0..n-1 of a priority that changes for one index per step, for a known number of
// steps. A tree costs an O(n) build plus O(log n) per step; a left-to-right scan costs O(n) per
// step and nothing up front, so short runs (the usual tail of one or two slots) scan. Both return
// the lowest index attaining the maximum of the same doubles.
class StepArgmax {
 public:
  template <class Key>
  void start(int n, int steps, Key key) {
    n_ = n;
    use_heap_ = steps > kMaxScanSteps;
    if (use_heap_) heap_.build(n, key);
  }
  template <class Key>
  int top(Key key) const {
    if (use_heap_) return heap_.top();
    int best = 0;
    double best_key = key(0);
    for (int j = 1; j < n_; ++j) {
      const double k = key(j);
      if (k > best_key) {
        best = j;
        best_key = k;
      }
    }
    return best;
  }
  // Index j's priority is now `key`.
  void update(int j, double key) {
    if (use_heap_) heap_.update(j, key);
  }

  // True if top() scans (the caller may scan the same priorities its own way).
  bool scans() const { return !use_heap_; }

 private:
  static constexpr int kMaxScanSteps = 2;
  int n_ = 0;
  bool use_heap_ = false;
  ArgmaxTree heap_;
};

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
// ARGMAX over j < n of sainte_lague_minus_priority(w[j], c[j]) (kHuntingtonHill = false) or
// huntington_hill_priority(w[j], c[j]), lowest index on ties, eight priorities per instruction
// into `scratch`: the very doubles of the scalar functions (2c - 1 and c (c + 1) are exact
// products of small integers; division and square root are correctly rounded).
template <bool kHuntingtonHill>
EPLB_AVX512_TARGET inline int tail_argmax_avx512(const double* w, const int* c, int n,
                                                 std::vector<double>& scratch) {
  scratch.resize(static_cast<std::size_t>(n));
  const __m512d one = _mm512_set1_pd(1.0);
  // sqrt(c (c + 1)) for c < 16, looked up by one permute instead of a square root per lane
  // (about as costly as the division): the same correctly rounded values.
  static const std::array<double, 16> kRoot = [] {
    std::array<double, 16> root{};
    for (int k = 0; k < 16; ++k) root[static_cast<std::size_t>(k)] = std::sqrt(k * (k + 1.0));
    return root;
  }();
  const __m512d root_lo = _mm512_loadu_pd(kRoot.data());
  const __m512d root_hi = _mm512_loadu_pd(kRoot.data() + 8);
  for (int i = 0; i < n; i += 8) {
    const __mmask8 m = lanes_without(i, n, -1);
    const __m512d wv = _mm512_maskz_loadu_pd(m, w + i);
    const __m256i ci =
        _mm512_castsi512_si256(_mm512_maskz_loadu_epi32(static_cast<__mmask16>(m), c + i));
    const __m512d cv = _mm512_cvtepi32_pd(ci);
    __m512d d;
    if constexpr (kHuntingtonHill) {
      const __m512i c64 = _mm512_cvtepi32_epi64(ci);
      d = _mm512_permutex2var_pd(root_lo, c64, root_hi);
      const __mmask8 beyond =
          _mm512_mask_cmpgt_epu64_mask(m, c64, _mm512_set1_epi64(15));  // and negative counts
      if (beyond != 0)
        d = _mm512_mask_sqrt_pd(d, beyond, _mm512_mul_pd(cv, _mm512_add_pd(cv, one)));
    } else {
      d = _mm512_sub_pd(_mm512_mul_pd(_mm512_set1_pd(2.0), cv), one);
    }
    _mm512_mask_storeu_pd(scratch.data() + i, m, _mm512_maskz_div_pd(m, wv, d));
  }
  return extreme_except_avx512<true>(scratch.data(), n, -1).index;
}
EPLB_AVX512_WARNINGS_ON
#endif

// Up to this many instances hand out their slots side by side (Replicator::replicate_many): one
// slot's choice waits for the previous slot's division and argmax update, so a single instance
// leaves the core mostly idle.
constexpr std::size_t kReplicateLanes = 8;

// COLUMN layout, then D'Hondt steps for the slots n .. end-1 (the common first phase of every
// sequential replicator), on up to kReplicateLanes jobs with the same number of experts, slot by
// slot side by side. `Argmax` is ArgmaxTree or BlockArgmaxOf (build / top / update); best[k] is
// built whenever there are redundant slots (even if end == n) and is left keyed by job k's
// averages w/c, which the peak-aware tail reads.
template <class Argmax>
void dhondt_lanes(std::span<const ReplicateJob> jobs, int slots, int end,
                  std::array<Argmax, kReplicateLanes>& best) {
  const int n = static_cast<int>(jobs.front().w.size());
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    init_column_layout(n, slots, *jobs[k].out);
    const std::span<const double> w = jobs[k].w;
    if (slots > n)
      best[k].build(n, [&](int j) { return dhondt_priority(w[static_cast<std::size_t>(j)], 1); });
  }
  for (int s = n; s < end; ++s) {
    for (std::size_t k = 0; k < jobs.size(); ++k) {
      ReplicaLayout& out = *jobs[k].out;
      const int e = best[k].top();
      append_replica(s, e, out);
      best[k].update(e, dhondt_priority(jobs[k].w[static_cast<std::size_t>(e)],
                                        out.cnt[static_cast<std::size_t>(e)]));
    }
  }
}

// Calls lanes(group) on consecutive groups of up to kReplicateLanes jobs, groups of one job
// unless all jobs have the same number of experts (lanes step through slots together).
template <class Lanes>
void for_each_lane_group(std::span<const ReplicateJob> jobs, Lanes lanes) {
  const std::size_t n = jobs.empty() ? 0 : jobs.front().w.size();
  const bool same_size =
      std::all_of(jobs.begin(), jobs.end(), [&](const ReplicateJob& j) { return j.w.size() == n; });
  const std::size_t group = same_size ? kReplicateLanes : 1;
  for (std::size_t first = 0; first < jobs.size(); first += group)
    lanes(jobs.subspan(first, std::min(group, jobs.size() - first)));
}

// replicate_many for a bulk-and-tail replicator: the jobs' D'Hondt bulks (the first red - tail
// redundant slots, tail_size.cpp) side by side, then `tail(job, slots, tail, argmax)` on each job,
// with the job's `Argmax` (build / top / second_key / update) left keyed by its averages w/c.
template <class Argmax, class Tail>
void bulk_then_tail_many(std::span<const ReplicateJob> jobs, int slots,
                         const ReplicateOptions& options, Tail tail) {
  thread_local std::array<Argmax, kReplicateLanes> best;
  for_each_lane_group(jobs, [&](std::span<const ReplicateJob> lanes) {
    const int red = slots - static_cast<int>(lanes.front().w.size());
    const int t = red == 0 ? 0 : tail_size(options, red);
    dhondt_lanes(lanes, slots, slots - t, best);
    for (std::size_t k = 0; k < lanes.size(); ++k) tail(lanes[k], slots, t, best[k]);
  });
}

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
template <class Tail>
EPLB_AVX512_FLATTEN void bulk_then_tail_many_avx512(std::span<const ReplicateJob> jobs, int slots,
                                                    const ReplicateOptions& options, Tail tail) {
  bulk_then_tail_many<BlockArgmaxOf<true>>(jobs, slots, options, tail);
}
EPLB_AVX512_WARNINGS_ON
#endif

// bulk_then_tail_many on the block argmax (block_argmax.hpp), searching with AVX-512 when the
// kernels are wide; `tail` takes the argmax as a generic parameter (auto&).
template <class Tail>
void bulk_then_tail_many_blocks(std::span<const ReplicateJob> jobs, int slots,
                                const ReplicateOptions& options, Tail tail) {
#if EPLB_HAVE_AVX512_KERNELS
  if (kernel_isa() == KernelIsa::kAvx512 &&
      std::all_of(jobs.begin(), jobs.end(), [](const ReplicateJob& job) {
        return BlockArgmaxOf<true>::wide_fits(static_cast<int>(job.w.size()));
      })) {
    bulk_then_tail_many_avx512(jobs, slots, options, tail);
    return;
  }
#endif
  bulk_then_tail_many<BlockArgmax>(jobs, slots, options, tail);
}

}  // namespace eplb::detail
