// D'Hondt replication (DeepSeek's replicate_experts, COMPOSITION.md section 4.1).
//
// Each extra slot goes to ARGMAX_j w[j] / c[j] (lowest index on ties), appended to the column
// layout. eplb.py rescans all experts per slot (O(red * n)); a max-heap keyed by (w/c, -index)
// picks the same expert in O(log n) because every key is the same double eplb.py compares.
#include <algorithm>

#include "components.hpp"

namespace eplb::detail {
namespace {

struct Key {
  double value;
  int index;
};

// Heap order: larger value first, then lower index.
bool lower_priority(const Key& a, const Key& b) {
  return a.value < b.value || (a.value == b.value && a.index > b.index);
}

class DhondtReplicator final : public Replicator {
 public:
  void replicate(std::span<const double> w, int slots, ReplicaLayout& out) const override {
    const int n = static_cast<int>(w.size());
    out.cnt.assign(static_cast<std::size_t>(n), 1);
    out.phy2m.resize(static_cast<std::size_t>(slots));
    out.rank.resize(static_cast<std::size_t>(slots));
    for (int j = 0; j < n; ++j) {
      out.phy2m[static_cast<std::size_t>(j)] = j;
      out.rank[static_cast<std::size_t>(j)] = 0;
    }
    if (slots == n) return;
    thread_local std::vector<Key> heap;
    heap.resize(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j)
      heap[static_cast<std::size_t>(j)] = {w[static_cast<std::size_t>(j)], j};
    std::make_heap(heap.begin(), heap.end(), lower_priority);
    for (int s = n; s < slots; ++s) {
      std::pop_heap(heap.begin(), heap.end(), lower_priority);
      Key& top = heap.back();
      const int e = top.index;
      int& c = out.cnt[static_cast<std::size_t>(e)];
      out.phy2m[static_cast<std::size_t>(s)] = e;
      out.rank[static_cast<std::size_t>(s)] = c;
      ++c;
      top.value = w[static_cast<std::size_t>(e)] / c;
      std::push_heap(heap.begin(), heap.end(), lower_priority);
    }
  }
};

}  // namespace

std::unique_ptr<Replicator> make_dhondt_replicator() {
  return std::make_unique<DhondtReplicator>();
}

}  // namespace eplb::detail
