// DeepSeek's hierarchical pipeline (COMPOSITION.md section 2) with pluggable components.
#include "eplb/pipeline.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <numeric>

#include "argmax/averages_avx512.hpp"
#include "argmax/first_extreme_avx512.hpp"
#include "eplb/error.hpp"
#include "eplb/kernel_isa.hpp"

namespace eplb {
namespace {

// Trivial packing (cap == 1): item i alone in pack i. Every packer starts with this check, and no
// refinement runs after it.
void trivial_pack(int n, Packing& out) {
  out.pack.resize(static_cast<std::size_t>(n));
  out.rank.assign(static_cast<std::size_t>(n), 0);
  std::iota(out.pack.begin(), out.pack.end(), 0);
}

// One stage on a batch of instances with the same m: packing (all instances at once), then
// refinement of each.
void run_stage(const Packer& packer, const Refiner* refiner, std::span<const PackJob> jobs, int m) {
  if (jobs.empty()) return;
  const int n = static_cast<int>(jobs.front().w.size());
  if (n / m == 1) {
    for (const PackJob& job : jobs) trivial_pack(n, *job.out);
    return;
  }
  packer.pack_many(jobs, m);
  if (refiner != nullptr) {
    for (const PackJob& job : jobs) refiner->refine(job.w, m, *job.out);
  }
}

}  // namespace

PipelineStrategy::PipelineStrategy(const PipelineOptions& options)
    : options_(options),
      node_pack_(make_packer(options.node)),
      node_refine_(make_refiner(options.node)),
      replicate_(make_replicator(options.replicate)),
      gpu_pack_(make_packer(options.gpu)),
      gpu_refine_(make_refiner(options.gpu)) {}

int PipelineStrategy::layer_batch(const Topology& topo) const {
  // Topology::resolve without its errors: a topology plan() will reject gets any hint.
  if (topo.num_nodes < 1 || topo.num_groups < 1) return 1;
  const bool hier = options_.policy != Policy::kGlobal && topo.num_groups % topo.num_nodes == 0;
  return std::max(1, kBatchUnits / (hier ? topo.num_nodes : 1));
}

Placement PipelineStrategy::plan(const LoadMatrix& load, const Topology& topo) const {
  Placement out;
  shape_rows(load.rows(), load.cols(), topo, out);
  plan_rows(load, 0, load.rows(), topo, out);
  return out;
}

bool PipelineStrategy::shape_rows(Eigen::Index layers, Eigen::Index experts, const Topology& topo,
                                  Placement& out) const {
  topo.validate(static_cast<int>(experts), options_.policy);
  out.policy = topo.resolve(options_.policy);
  out.phy2log.resize(layers, topo.num_replicas);
  out.logcnt.resize(layers, experts);
  out.phyrank.resize(layers,
                     topo.num_replicas);  // eplb.py's phyrank: log2phy lists replicas in this order
  return true;
}

#if EPLB_HAVE_AVX512_KERNELS
namespace {
EPLB_AVX512_WARNINGS_OFF
// A node's replicas into its slots of one layer, sixteen per instruction: slot base + pack * spg
// + rank gets the replica's expert and replica rank (the scalar loop's loads, index arithmetic and
// stores were two fifths of the pipeline's own time in a deepseek plan). Slots are distinct, so
// the scatters' order does not matter.
EPLB_AVX512_TARGET void write_node_avx512(int ppn, int base, int spg, const Packing& gpus,
                                          const ReplicaLayout& layout, const int* node_experts,
                                          std::int32_t* phy2log, std::int32_t* phyrank) {
  const __m512i first = _mm512_set1_epi32(base);
  const __m512i per_gpu = _mm512_set1_epi32(spg);
  for (int p = 0; p < ppn; p += 16) {
    const auto m = static_cast<__mmask16>(ppn - p >= 16 ? 0xFFFFU : (1U << (ppn - p)) - 1U);
    const __m512i slot = _mm512_add_epi32(
        first, _mm512_add_epi32(
                   _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(m, gpus.pack.data() + p), per_gpu),
                   _mm512_maskz_loadu_epi32(m, gpus.rank.data() + p)));
    const __m512i expert = _mm512_mask_i32gather_epi32(
        _mm512_setzero_si512(), m, _mm512_maskz_loadu_epi32(m, layout.phy2m.data() + p),
        node_experts, 4);
    _mm512_mask_i32scatter_epi32(phy2log, m, slot, expert, 4);
    _mm512_mask_i32scatter_epi32(phyrank, m, slot,
                                 _mm512_maskz_loadu_epi32(m, layout.rank.data() + p), 4);
  }
}
EPLB_AVX512_WARNINGS_ON
}  // namespace
#endif

void PipelineStrategy::plan_rows(const LoadMatrix& load, Eigen::Index first, Eigen::Index count,
                                 const Topology& topo, Placement& out) const {
  const int L = static_cast<int>(count);
  const int E = static_cast<int>(load.cols());
  const Policy policy = out.policy;
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

  // The work is batched in units (layer, node): each stage runs on every unit of a batch before
  // the next stage, so that a packer can interleave the units' independent instances
  // (Packer::pack_many). Every unit's result is the one of running it alone.
  const int batch_layers = std::max(1, kBatchUnits / N);
  const auto units = static_cast<std::size_t>(batch_layers * N);
  std::vector<std::vector<double>> gload(static_cast<std::size_t>(batch_layers),
                                         std::vector<double>(static_cast<std::size_t>(G)));
  std::vector<Packing> groups(static_cast<std::size_t>(batch_layers));
  std::vector<int> mlog2log(static_cast<std::size_t>(batch_layers * E));
  std::vector<std::vector<double>> wm(units, std::vector<double>(static_cast<std::size_t>(epn)));
  std::vector<std::vector<double>> tok(units, std::vector<double>(static_cast<std::size_t>(ppn)));
  std::vector<ReplicaLayout> layouts(units);
  std::vector<Packing> gpus(units);
  std::vector<PackJob> jobs;
  std::vector<ReplicateJob> replicate_jobs;
  std::vector<double> avg(static_cast<std::size_t>(epn));  // the wide path's expert averages
  [[maybe_unused]] const bool wide = kernel_isa() == KernelIsa::kAvx512;

  for (int l0 = 0; l0 < L; l0 += batch_layers) {
    const int nl = std::min(batch_layers, L - l0);
    // Step 1: groups -> nodes.
    jobs.clear();
    for (int b = 0; b < nl; ++b) {
      const double* w = load.row(first + l0 + b).data();
      auto& gl = gload[static_cast<std::size_t>(b)];
      for (int g = 0; g < G; ++g) {
        double s = 0.0;
        for (int k = 0; k < gs; ++k) s += w[g * gs + k];
        gl[static_cast<std::size_t>(g)] = s;
      }
      jobs.push_back({gl, {}, &groups[static_cast<std::size_t>(b)]});
    }
    run_stage(*node_pack_, node_refine_.get(), jobs, N);
    for (int b = 0; b < nl; ++b) {
      const Packing& gp = groups[static_cast<std::size_t>(b)];
      int* m2l = mlog2log.data() + b * E;
      for (int g = 0; g < G; ++g) {
        const int base =
            (gp.pack[static_cast<std::size_t>(g)] * gpn + gp.rank[static_cast<std::size_t>(g)]) *
            gs;
        for (int k = 0; k < gs; ++k) m2l[base + k] = g * gs + k;
      }
    }
    // Step 2: replicate within each node.
    replicate_jobs.clear();
    for (int b = 0; b < nl; ++b) {
      const double* w = load.row(first + l0 + b).data();
      for (int n = 0; n < N; ++n) {
        const auto u = static_cast<std::size_t>(b * N + n);
        const int* node_experts = mlog2log.data() + b * E + n * epn;
        for (int j = 0; j < epn; ++j) wm[u][static_cast<std::size_t>(j)] = w[node_experts[j]];
        replicate_jobs.push_back({wm[u], &layouts[u]});
      }
    }
    replicate_->replicate_many(replicate_jobs, ppn);
    jobs.clear();
    for (std::size_t u = 0; u < replicate_jobs.size(); ++u) {
      ReplicaLayout& layout = layouts[u];
      const std::vector<double>& wu = wm[u];
      const bool moved = apply_fixup(options_.replicate, wu, layout);
      // A count-only replicator's layout is LOGICAL already; relaid only when a replica moved.
      if (logical && (moved || replicate_->column_layout())) logical_layout(layout);
      auto& t = tok[u];
#if EPLB_HAVE_AVX512_KERNELS
      if (wide) {
        // Each expert's average w / c eight at a time, then one per replica: the scalar
        // divisions were a tenth of a deepseek plan.
        detail::averages_avx512(wu.data(), layout.cnt.data(), epn, avg.data());
        for (int p = 0; p < ppn; ++p)
          t[static_cast<std::size_t>(p)] =
              avg[static_cast<std::size_t>(layout.phy2m[static_cast<std::size_t>(p)])];
      } else
#endif
      {
        for (int p = 0; p < ppn; ++p) {
          const int j = layout.phy2m[static_cast<std::size_t>(p)];
          const int c = layout.cnt[static_cast<std::size_t>(j)];
          // A division for every replica, even of the experts with one (w / 1 == w exactly):
          // which experts hold more is unpredictable, and the mispredicted branch that skipped
          // the division measured 1-6% slower on whole plans.
          t[static_cast<std::size_t>(p)] = wu[static_cast<std::size_t>(j)] / c;
        }
      }
      jobs.push_back({t, layout.phy2m, &gpus[u]});
    }
    // Step 3: replicas -> GPUs within each node.
    run_stage(*gpu_pack_, gpu_refine_.get(), jobs, gpus_per_node);
    for (int b = 0; b < nl; ++b) {
      const auto l = first + l0 + b;
      for (int n = 0; n < N; ++n) {
        const auto u = static_cast<std::size_t>(b * N + n);
        const int* node_experts = mlog2log.data() + b * E + n * epn;
        const ReplicaLayout& layout = layouts[u];
        const Packing& gp = gpus[u];
#if EPLB_HAVE_AVX512_KERNELS
        if (wide) {
          write_node_avx512(ppn, n * ppn, spg, gp, layout, node_experts, out.phy2log.row(l).data(),
                            out.phyrank.row(l).data());
        } else
#endif
        {
          for (int p = 0; p < ppn; ++p) {
            const int slot = n * ppn + gp.pack[static_cast<std::size_t>(p)] * spg +
                             gp.rank[static_cast<std::size_t>(p)];
            out.phy2log(l, slot) = node_experts[layout.phy2m[static_cast<std::size_t>(p)]];
            out.phyrank(l, slot) = layout.rank[static_cast<std::size_t>(p)];
          }
        }
        for (int j = 0; j < epn; ++j)
          out.logcnt(l, node_experts[j]) = layout.cnt[static_cast<std::size_t>(j)];
      }
    }
  }
}

}  // namespace eplb
