// D'Hondt replication (DeepSeek's replicate_experts, COMPOSITION.md section 4.1).
//
// Each extra slot goes to ARGMAX_j w[j] / c[j] (lowest index on ties), appended to the column
// layout. eplb.py rescans all experts per slot (O(red * n)); the block argmax (block_argmax.hpp)
// picks the same expert by two short branch-free scans (the n/8 block maxima, then 8 keys),
// because every key is the same double eplb.py compares.
//
// Known weakness: D'Hondt minimises the largest per-replica load only greedily, one slot at a
// time, and it ignores how replicas will later be packed onto GPUs.
#include <algorithm>
#include <array>

#include "apportion.hpp"
#include "argmax/block_argmax.hpp"
#include "eplb/kernel_isa.hpp"

namespace eplb::detail {
namespace {

#if EPLB_HAVE_AVX512_KERNELS
EPLB_AVX512_WARNINGS_OFF
EPLB_AVX512_FLATTEN void dhondt_lanes_avx512(std::span<const ReplicateJob> lanes, int slots) {
  thread_local std::array<BlockArgmaxOf<true>, kReplicateLanes> best;
  dhondt_lanes(lanes, slots, slots, best);
}
EPLB_AVX512_WARNINGS_ON
#endif

class DhondtReplicator final : public Replicator {
 public:
  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const ReplicateJob job{w, &out};
    replicate_many({&job, 1}, slots);
  }

  void replicate_many(std::span<const ReplicateJob> jobs, int slots) const override {
    thread_local std::array<BlockArgmax, kReplicateLanes> best;
    [[maybe_unused]] const bool wide = kernel_isa() == KernelIsa::kAvx512;
    for_each_lane_group(jobs, [&](std::span<const ReplicateJob> lanes) {
#if EPLB_HAVE_AVX512_KERNELS
      if (wide && BlockArgmaxOf<true>::wide_fits(static_cast<int>(lanes.front().w.size()))) {
        dhondt_lanes_avx512(lanes, slots);
        return;
      }
#endif
      dhondt_lanes(lanes, slots, slots, best);
    });
  }
};

}  // namespace

std::unique_ptr<Replicator> make_dhondt_replicator() {
  return std::make_unique<DhondtReplicator>();
}

}  // namespace eplb::detail
