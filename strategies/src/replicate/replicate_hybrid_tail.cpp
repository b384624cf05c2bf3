// hybrid_tail replicator: D'Hondt for the bulk of the redundant slots, Sainte-Lague for a tail.
//
// Of the red = slots - n redundant slots, the first red - tail go to ARGMAX w/c (D'Hondt); the
// last `tail` (tail_size.cpp) go to ARGMAX w/(2c+1) or w/(2c-1) (options.sl_divisor), lowest
// index on ties, each appended to the COLUMN layout with its replica rank (section 3.4).
//
// Origin: seed003 "hybrid_sainte_lague_tail_and_stage_refine" (floor tail, 2c+1, its counts are
// then laid out LOGICALLY by the pipeline: preset layout=logical) and seed004
// "k2_refine_and_stronger_replication_fix" (ceil tail, 2c-1, column layout). COMPOSITION.md
// section 4.2 Replicate steps 1-2 and section 4.3 Replicate steps 1-3. The fix-ups of both seeds
// are separate (fixup.cpp).
//
// Cost: O(n + red n / 8) per row, each step two short branch-free searches: the bulk runs on the
// block argmax; the tail scans (O(n) per slot) when it is at most two slots long and uses a
// winner tree beyond (apportion.hpp).
//
// Known weaknesses:
// * The tail cannot lower the peak per-replica load max w/c: D'Hondt's greedy is optimal for
//   that objective at every total, so any gain has to come from the GPU packing stage.
// * The two divisors weigh existing replicas differently (2c+1: w/3 against w/5 for one against
//   two replicas; 2c-1: w/1 against w/3), so they pick different experts on the same row; neither
//   is adapted to the row.
// * The tail length is a fixed fraction of red (at least tail_min), not adapted to the row.
#include "apportion.hpp"
#include "components.hpp"

namespace eplb::detail {
namespace {

class HybridTailReplicator final : public Replicator {
 public:
  explicit HybridTailReplicator(const ReplicateOptions& options) : options_(options) {}

  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const ReplicateJob job{w, &out};
    replicate_many({&job, 1}, slots);
  }

  void replicate_many(std::span<const ReplicateJob> jobs, int slots) const override {
    bulk_then_tail_many_blocks(jobs, slots, options_,
                               [this](const ReplicateJob& job, int s, int tail, auto& /*bulk*/) {
                                 run_tail(job.w, s, tail, *job.out);
                               });
  }

 private:
  // The last `tail` slots, after the D'Hondt bulk.
  void run_tail(std::span<const double> w, int slots, int tail, ReplicaLayout& out) const {
    thread_local StepArgmax tail_argmax;
    if (tail == 0) return;
    const bool plus = options_.sl_divisor == SainteLagueDivisor::kPlusOne;
    auto priority = [&](int j) {
      const double wj = w[static_cast<std::size_t>(j)];
      const int c = out.cnt[static_cast<std::size_t>(j)];
      return plus ? sainte_lague_plus_priority(wj, c) : sainte_lague_minus_priority(wj, c);
    };
    tail_argmax.start(static_cast<int>(w.size()), tail, priority);
    for (int s = slots - tail; s < slots; ++s) {
      const int e = tail_argmax.top(priority);
      append_replica(s, e, out);
      tail_argmax.update(e, priority(e));
    }
  }

  ReplicateOptions options_;
};

}  // namespace

std::unique_ptr<Replicator> make_hybrid_tail_replicator(const ReplicateOptions& options) {
  check_tail_options(options, "hybrid_tail");
  return std::make_unique<HybridTailReplicator>(options);
}

}  // namespace eplb::detail
