// D'Hondt replication (DeepSeek's replicate_experts, COMPOSITION.md section 4.1).
//
// Each extra slot goes to ARGMAX_j w[j] / c[j] (lowest index on ties), appended to the column
// layout. eplb.py rescans all experts per slot (O(red * n)); the winner tree of apportion.hpp
// picks the same expert in O(log n) because every key is the same double eplb.py compares.
//
// Known weakness: D'Hondt minimises the largest per-replica load only greedily, one slot at a
// time, and it ignores how replicas will later be packed onto GPUs.
#include <algorithm>

#include "apportion.hpp"

namespace eplb::detail {
namespace {

// The experts that can win one of `steps` D'Hondt steps: the first `steps` in the order (w
// descending, index ascending), returned in ascending index. Why no other expert wins: if the
// winner e of some step were outside this set, every expert of the set would precede e in that
// order, so each would have beaten e unless it had already gained a replica, which takes all
// `steps` steps. The argmax over the set is therefore the argmax over all experts (lowest index
// on ties included), and a node usually has a few extra slots for dozens of experts.
void dhondt_candidates(std::span<const double> w, int steps, std::vector<int>& out) {  // steps >= 1
  const int n = static_cast<int>(w.size());
  out.clear();
  // A buffer sorted in that order; an expert enters only if it precedes the buffer's last.
  for (int j = 0; j < n; ++j) {
    const double x = w[static_cast<std::size_t>(j)];
    const bool full = static_cast<int>(out.size()) == steps;
    if (full && !(x > w[static_cast<std::size_t>(out.back())]))
      continue;  // ties: lower index first
    if (full) out.pop_back();
    out.push_back(j);
    for (std::size_t k = out.size() - 1; k > 0 && x > w[static_cast<std::size_t>(out[k - 1])]; --k)
      std::swap(out[k], out[k - 1]);
  }
  std::sort(out.begin(), out.end());
}

class DhondtReplicator final : public Replicator {
 public:
  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const int n = static_cast<int>(w.size());
    const int steps = slots - n;
    if (steps > kMaxCandidateSteps || steps >= n) {
      thread_local ArgmaxTree heap;
      dhondt_fill(w, slots, slots, heap, out);
      return;
    }
    init_column_layout(n, slots, out);
    if (steps == 0) return;
    thread_local std::vector<int> candidates;
    thread_local std::vector<double> priority;
    dhondt_candidates(w, steps, candidates);
    priority.resize(candidates.size());
    for (std::size_t k = 0; k < candidates.size(); ++k)
      priority[k] = dhondt_priority(w[static_cast<std::size_t>(candidates[k])], 1);
    for (int s = n; s < slots; ++s) {
      std::size_t best = 0;  // first maximum: the lowest expert index on ties
      for (std::size_t k = 1; k < priority.size(); ++k)
        best = priority[k] > priority[best] ? k : best;
      const int e = candidates[best];
      append_replica(s, e, out);
      priority[best] =
          dhondt_priority(w[static_cast<std::size_t>(e)], out.cnt[static_cast<std::size_t>(e)]);
    }
  }

 private:
  // Beyond this many steps the candidates' scans cost more than the tree.
  static constexpr int kMaxCandidateSteps = 16;
};

}  // namespace

std::unique_ptr<Replicator> make_dhondt_replicator() {
  return std::make_unique<DhondtReplicator>();
}

}  // namespace eplb::detail
