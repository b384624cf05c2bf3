// DeepSeek's hierarchical pipeline (COMPOSITION.md section 2) with pluggable components.
#include "eplb/pipeline.hpp"

#include <fmt/core.h>

#include <numeric>

#include "eplb/error.hpp"

namespace eplb {
namespace {

// Trivial packing (cap == 1): item i alone in pack i. Every packer starts with this check, and no
// refinement runs after it.
void trivial_pack(int n, Packing& out) {
  out.pack.resize(static_cast<std::size_t>(n));
  out.rank.assign(static_cast<std::size_t>(n), 0);
  std::iota(out.pack.begin(), out.pack.end(), 0);
}

void run_stage(const Packer& packer, const Refiner* refiner, std::span<const double> w, int m,
               std::span<const int> labels, Packing& out) {
  const int n = static_cast<int>(w.size());
  if (n / m == 1) {
    trivial_pack(n, out);
    return;
  }
  packer.pack(w, m, labels, out);
  if (refiner != nullptr) refiner->refine(w, m, out);
}

}  // namespace

PipelineStrategy::PipelineStrategy(const PipelineOptions& options)
    : options_(options),
      node_pack_(make_packer(options.node)),
      node_refine_(make_refiner(options.node)),
      replicate_(make_replicator(options.replicate)),
      gpu_pack_(make_packer(options.gpu)),
      gpu_refine_(make_refiner(options.gpu)) {}

Placement PipelineStrategy::plan(const LoadMatrix& load, const Topology& topo) const {
  const int L = static_cast<int>(load.rows());
  const int E = static_cast<int>(load.cols());
  topo.validate(E, options_.policy);
  const Policy policy = topo.resolve(options_.policy);
  const bool hier = policy == Policy::kHierarchical;
  const int G = hier ? topo.num_groups : 1;
  const int N = hier ? topo.num_nodes : 1;
  const int R = topo.num_replicas;
  const int gs = E / G;
  const int gpn = G / N;
  const int epn = E / N;
  const int ppn = R / N;
  const int gpus_per_node = topo.num_gpus / N;
  const int spg = R / topo.num_gpus;
  const bool logical = options_.replicate.layout == Layout::kLogical ||
                       (options_.replicate.layout == Layout::kAuto && !replicate_->column_layout());

  Placement out;
  out.policy = policy;
  out.phy2log.resize(L, R);
  out.logcnt.resize(L, E);
  out.phyrank.resize(L, R);  // eplb.py's phyrank: log2phy lists replicas in this order

  std::vector<double> gload(static_cast<std::size_t>(G));
  std::vector<int> mlog2log(static_cast<std::size_t>(E));
  std::vector<double> wm(static_cast<std::size_t>(epn));
  std::vector<double> tok(static_cast<std::size_t>(ppn));
  Packing groups;
  Packing gpus;
  ReplicaLayout layout;

  for (int l = 0; l < L; ++l) {
    const double* w = load.row(l).data();
    // Step 1: groups -> nodes.
    for (int g = 0; g < G; ++g) {
      double s = 0.0;
      for (int k = 0; k < gs; ++k) s += w[g * gs + k];
      gload[static_cast<std::size_t>(g)] = s;
    }
    run_stage(*node_pack_, node_refine_.get(), gload, N, {}, groups);
    for (int g = 0; g < G; ++g) {
      const int base = (groups.pack[static_cast<std::size_t>(g)] * gpn +
                        groups.rank[static_cast<std::size_t>(g)]) *
                       gs;
      for (int k = 0; k < gs; ++k) mlog2log[static_cast<std::size_t>(base + k)] = g * gs + k;
    }
    for (int n = 0; n < N; ++n) {
      const int* node_experts = mlog2log.data() + n * epn;
      // Step 2: replicate within the node.
      for (int j = 0; j < epn; ++j) wm[static_cast<std::size_t>(j)] = w[node_experts[j]];
      replicate_->replicate(wm, ppn, layout);
      apply_fixup(options_.replicate, wm, layout);
      if (logical) logical_layout(layout);
      // Step 3: replicas -> GPUs within the node.
      for (int p = 0; p < ppn; ++p) {
        const int j = layout.phy2m[static_cast<std::size_t>(p)];
        tok[static_cast<std::size_t>(p)] =
            wm[static_cast<std::size_t>(j)] / layout.cnt[static_cast<std::size_t>(j)];
      }
      run_stage(*gpu_pack_, gpu_refine_.get(), tok, gpus_per_node, layout.phy2m, gpus);
      for (int p = 0; p < ppn; ++p) {
        const int slot = n * ppn + gpus.pack[static_cast<std::size_t>(p)] * spg +
                         gpus.rank[static_cast<std::size_t>(p)];
        out.phy2log(l, slot) = node_experts[layout.phy2m[static_cast<std::size_t>(p)]];
        out.phyrank(l, slot) = layout.rank[static_cast<std::size_t>(p)];
      }
      for (int j = 0; j < epn; ++j)
        out.logcnt(l, node_experts[j]) = layout.cnt[static_cast<std::size_t>(j)];
    }
  }
  return out;
}

}  // namespace eplb
