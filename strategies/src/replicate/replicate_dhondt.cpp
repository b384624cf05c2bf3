// D'Hondt replication (DeepSeek's replicate_experts, COMPOSITION.md section 4.1).
//
// Each extra slot goes to ARGMAX_j w[j] / c[j] (lowest index on ties), appended to the column
// layout. eplb.py rescans all experts per slot (O(red * n)); the block argmax (block_argmax.hpp)
// picks the same expert in O(sqrt n)-like work without branches on the loads, because every key is
// the same double eplb.py compares.
//
// Known weakness: D'Hondt minimises the largest per-replica load only greedily, one slot at a
// time, and it ignores how replicas will later be packed onto GPUs.
#include <algorithm>
#include <array>

#include "apportion.hpp"
#include "block_argmax.hpp"

namespace eplb::detail {
namespace {

// Up to this many instances hand out their slots side by side: one slot's choice waits for the
// previous slot's division and block update, so a single instance leaves the core mostly idle.
constexpr std::size_t kLanes = 8;

// D'Hondt on up to kLanes jobs with the same number of experts, slot by slot side by side.
void dhondt_lanes(std::span<const ReplicateJob> jobs, int slots) {
  thread_local std::array<BlockArgmax, kLanes> best;
  const int n = static_cast<int>(jobs.front().w.size());
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    init_column_layout(n, slots, *jobs[k].out);
    const std::span<const double> w = jobs[k].w;
    if (slots > n)
      best[k].build(n, [&](int j) { return dhondt_priority(w[static_cast<std::size_t>(j)], 1); });
  }
  for (int s = n; s < slots; ++s) {
    for (std::size_t k = 0; k < jobs.size(); ++k) {
      ReplicaLayout& out = *jobs[k].out;
      const int e = best[k].top();
      append_replica(s, e, out);
      best[k].update(e, dhondt_priority(jobs[k].w[static_cast<std::size_t>(e)],
                                        out.cnt[static_cast<std::size_t>(e)]));
    }
  }
}

class DhondtReplicator final : public Replicator {
 public:
  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const ReplicateJob job{w, &out};
    dhondt_lanes({&job, 1}, slots);
  }

  void replicate_many(std::span<const ReplicateJob> jobs, int slots) const override {
    const std::size_t n = jobs.empty() ? 0 : jobs.front().w.size();
    const bool same_size = std::all_of(jobs.begin(), jobs.end(),
                                       [&](const ReplicateJob& j) { return j.w.size() == n; });
    if (!same_size) {  // lanes step through slots together
      Replicator::replicate_many(jobs, slots);
      return;
    }
    for (std::size_t first = 0; first < jobs.size(); first += kLanes)
      dhondt_lanes(jobs.subspan(first, std::min(kLanes, jobs.size() - first)), slots);
  }
};

}  // namespace

std::unique_ptr<Replicator> make_dhondt_replicator() {
  return std::make_unique<DhondtReplicator>();
}

}  // namespace eplb::detail
