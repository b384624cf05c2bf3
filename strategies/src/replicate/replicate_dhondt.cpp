// D'Hondt replication (DeepSeek's replicate_experts, COMPOSITION.md section 4.1).
//
// Each extra slot goes to ARGMAX_j w[j] / c[j] (lowest index on ties), appended to the column
// layout. eplb.py rescans all experts per slot (O(red * n)); the winner tree of apportion.hpp
// picks the same expert in O(log n) because every key is the same double eplb.py compares.
//
// Known weakness: D'Hondt minimises the largest per-replica load only greedily, one slot at a
// time, and it ignores how replicas will later be packed onto GPUs.
#include "apportion.hpp"

namespace eplb::detail {
namespace {

class DhondtReplicator final : public Replicator {
 public:
  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    thread_local ArgmaxTree heap;
    dhondt_fill(w, slots, slots, heap, out);
  }
};

}  // namespace

std::unique_ptr<Replicator> make_dhondt_replicator() {
  return std::make_unique<DhondtReplicator>();
}

}  // namespace eplb::detail
