// DeepSeek's three-stage pipeline with pluggable components (COMPOSITION.md section 2):
//
//   1. groups -> nodes      NodePack (+ optional refinement) over group loads
//   2. replicate per node   Replicator: node-row weights -> replica layout (phy2m) and counts
//   3. replicas -> GPUs     GpuPack (+ optional refinement) over replica loads, labels = phy2m
//
// The global policy is the same pipeline with one group and one node. Every component works on
// one row (one layer, one node) and follows COMPOSITION.md section 1.3's tie rules: stable sorts,
// lowest index wins every arg-min/arg-max/top-k.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "eplb/strategy.hpp"

namespace eplb {

// ---- Replication --------------------------------------------------------------------------------

struct ReplicaLayout {
  std::vector<int> phy2m;  // [slots] node-local expert held by each node-local slot
  std::vector<int> rank;   // [slots] replica rank of each slot (0..cnt[e]-1 for expert e)
  std::vector<int> cnt;    // [experts] replicas per node-local expert
};

// One replication instance of a batch: node-row weights `w` into `*out`.
struct ReplicateJob {
  std::span<const double> w;
  ReplicaLayout* out = nullptr;
};

// Replication is three orthogonal parts, applied in this order by the pipeline:
//   1. a Replicator (apportionment): counts plus a layout with replica ranks. Sequential methods
//      give the COLUMN layout (slot j < n holds expert j, extras appended in allocation order);
//      count-only methods (waterfill) give the LOGICAL layout.
//   2. a fix-up (ReplicateOptions::fixup) that may MOVE replicas between experts (section 3.4).
//   3. the final layout: LOGICAL rebuilds phy2m from the counts; COLUMN keeps it.
// This is equivalent to every seed's own order, since the LOGICAL layout depends only on counts.
class Replicator {
 public:
  virtual ~Replicator() = default;
  // `w` holds the node row's expert weights (n >= 1); `slots` >= n. Resizes and fills `out`.
  virtual void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const = 0;
  // Independent instances with the same slots (the nodes of a layer, or layers): each gets
  // exactly what replicate() gives it. A replicator whose slots are handed out one after another,
  // each waiting for the previous one, overrides this to interleave the instances.
  virtual void replicate_many(std::span<const ReplicateJob> jobs, int slots) const {
    for (const ReplicateJob& job : jobs) replicate(job.w, slots, *job.out);
  }
  // True if the layout this replicator produces is the column layout (allocation order).
  virtual bool column_layout() const { return true; }
};

enum class ReplicateKind { kDhondt, kHybridTail, kPeakTail, kWaterfill };
enum class TailRounding { kFloor, kCeil };
enum class SainteLagueDivisor { kPlusOne, kMinusOne };  // w / (2c+1) (seed003), w / (2c-1)
enum class TailChooser { kDS, kDSH };                   // seed001's D/S rule, seed000's D/S/H rule
enum class Layout { kAuto, kColumn, kLogical };
enum class FixupKind { kNone, kSimple, kMasked, kTop2, kTop2Corrected };

struct ReplicateOptions {
  ReplicateKind kind = ReplicateKind::kDhondt;
  // Tail (hybrid_tail, peak_tail): tail = max(tail_min, round(red * tail_fraction)), capped at red,
  // where red = slots - experts and round is floor or ceil computed exactly on the decimal value.
  double tail_fraction = 0.1;
  TailRounding tail_rounding = TailRounding::kCeil;
  int tail_min = 1;
  SainteLagueDivisor sl_divisor = SainteLagueDivisor::kMinusOne;
  TailChooser chooser = TailChooser::kDS;
  int waterfill_iters = 40;
  FixupKind fixup = FixupKind::kNone;
  double fixup_second_threshold = 0.15;  // top2_corrected: second move if the first improved less
  bool fixup_second_move = true;
  // kAuto: column for the allocation-order replicators, logical for waterfill.
  Layout layout = Layout::kAuto;
};

// ---- Packing and refinement ---------------------------------------------------------------------

struct Packing {
  std::vector<int> pack;  // [items] pack of each item
  std::vector<int> rank;  // [items] position of each item inside its pack, 0..cap-1
};

// One packing instance of a batch: items `w` (with `labels`, as for Packer::pack) into `*out`.
struct PackJob {
  std::span<const double> w;
  std::span<const int> labels;
  Packing* out = nullptr;
};

class Packer {
 public:
  virtual ~Packer() = default;
  // Assigns w.size() items to m packs of exactly w.size()/m items each (cap > 1; the pipeline
  // handles cap == 1 itself). `labels` is empty (node stage) or holds one label per item (GPU
  // stage: the node-local expert of each replica). Resizes and fills `out`.
  virtual void pack(std::span<const double> w, int m, std::span<const int> labels,
                    Packing& out) const = 0;
  // Independent instances with the same m (the nodes of a layer, or layers): each gets exactly
  // what pack() gives it. A packer whose work per instance is one serial dependency chain
  // overrides this to interleave the chains.
  virtual void pack_many(std::span<const PackJob> jobs, int m) const {
    for (const PackJob& job : jobs) pack(job.w, m, job.labels, *job.out);
  }
};

class Refiner {
 public:
  virtual ~Refiner() = default;
  // Improves `p` in place; pack sizes are kept and ranks stay a permutation of 0..cap-1 per pack.
  virtual void refine(std::span<const double> w, int m, Packing& p) const = 0;
};

enum class PackKind { kGreedy, kNearTie, kDiverse };
enum class RefineKind { kNone, kNearest, kKSwap, kAdaptiveSwap };

struct StageOptions {
  PackKind pack = PackKind::kGreedy;
  bool micro_swap = true;  // diverse: seed002's single micro swap after the greedy pass
  RefineKind refine = RefineKind::kNone;
  int steps = 2;                  // nearest / k_swap: max iterations; adaptive_swap: base steps
  int k = 2;                      // k_swap / adaptive_swap: heavy and light candidates per pack
  bool adapt = false;             // nearest: one extra step when (max-min)/mean > adapt_threshold
  double adapt_threshold = 0.03;  // seed001
  double swap_threshold = 0.12;   // adaptive_swap: one extra step above this imbalance (seed000)
  int lights = 2;                 // adaptive_swap: light packs considered (seed000: 2)
  bool exchange = true;           // adaptive_swap: try the 2x2 exchange (seed000)
};

struct PipelineOptions {
  Policy policy = Policy::kAuto;
  StageOptions node;
  ReplicateOptions replicate;
  StageOptions gpu;
};

// Component factories (one per component family, each in its own source file).
std::unique_ptr<Replicator> make_replicator(const ReplicateOptions& options);
// Applies options.fixup to `layout` (MOVE semantics, section 3.4). No-op for FixupKind::kNone.
// Returns whether it moved a replica (else `layout` is untouched).
bool apply_fixup(const ReplicateOptions& options, std::span<const double> w, ReplicaLayout& layout);
// Rebuilds phy2m (and ranks) as the LOGICAL layout of layout.cnt.
void logical_layout(ReplicaLayout& layout);
std::unique_ptr<Packer> make_packer(const StageOptions& options);
std::unique_ptr<Refiner> make_refiner(const StageOptions& options);  // nullptr for kNone

class PipelineStrategy final : public Strategy {
 public:
  explicit PipelineStrategy(const PipelineOptions& options);
  Placement plan(const LoadMatrix& load, const Topology& topology) const override;
  int layer_batch(const Topology& topology) const override;
  bool shape_rows(Eigen::Index layers, Eigen::Index experts, const Topology& topology,
                  Placement& out) const override;
  void plan_rows(const LoadMatrix& load, Eigen::Index first, Eigen::Index count,
                 const Topology& topology, Placement& out) const override;
  const PipelineOptions& options() const { return options_; }

 private:
  // Units (layer, node) per batch: every stage runs on a batch's units together, so that a
  // packer or replicator can interleave their independent instances (8 covers the latency of
  // one greedy item's choice).
  static constexpr int kBatchUnits = 8;

  PipelineOptions options_;
  std::unique_ptr<Packer> node_pack_;
  std::unique_ptr<Refiner> node_refine_;
  std::unique_ptr<Replicator> replicate_;
  std::unique_ptr<Packer> gpu_pack_;
  std::unique_ptr<Refiner> gpu_refine_;
};

// ---- Shared building blocks (COMPOSITION.md section 1.3 and 3) ----------------------------------

// Stable orderings: equal values keep ascending index order.
void sort_desc(std::span<const double> v, std::vector<int>& order);
void sort_asc(std::span<const double> v, std::vector<int>& order);
// PACKLOADS: per-pack sums, items visited in ascending index, from 0.0.
void pack_loads(std::span<const double> w, int m, const Packing& p, std::vector<double>& loads);
// RERANK(pack): items of `pack` ordered by (rank, item index) get ranks 0..k-1.
void rerank(int pack, Packing& p);
// RERANK given the pack's items in ascending item index (as pack_members lists them).
void rerank_members(std::span<const int> items, Packing& p);
// The items of `pack`, in ascending item index ("items of pack p", section 1.3).
void pack_members(int pack, const Packing& p, std::vector<int>& items);
// TOPK / BOTTOMK (section 1.3) over a subset: the first min(k, items.size()) entries of `items`
// ordered by w descending / ascending, equal weights by ascending item index. `items` must not
// alias `out`.
void top_k(std::span<const double> w, std::span<const int> items, int k, std::vector<int>& out);
void bottom_k(std::span<const double> w, std::span<const int> items, int k, std::vector<int>& out);
// DeepSeek's greedy balanced packing (section 3.1). `loads` receives the greedy-accumulated loads.
void greedy_pack(std::span<const double> w, int m, Packing& out,
                 std::vector<double>* loads = nullptr);
// greedy_pack on each job (same m, cap > 1), the jobs' item chains interleaved: each item's
// choice waits for the previous item's load update, so one instance alone leaves the core idle
// most of the time.
void greedy_pack_many(std::span<const PackJob> jobs, int m);

}  // namespace eplb
