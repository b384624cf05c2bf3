// keep_slots: node, GPU and slot relabeling by nested minimum-cost matchings; see keep_slots.hpp.
#include "eplb/keep_slots.hpp"

#include <algorithm>
#include <vector>

#include "assignment.hpp"
#include "eplb/migration.hpp"

namespace eplb {
namespace {

// Shared replicas of two sorted expert lists (multiset intersection size).
long overlap(const std::int32_t* a, const std::int32_t* b, int n) {
  long common = 0;
  int i = 0, j = 0;
  while (i < n && j < n) {
    if (a[i] == b[j]) {
      ++common;
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return common;
}

}  // namespace

Placement keep_slots(const Placement& fresh, const Placement& previous, const Topology& topo) {
  check_same_shape(previous, fresh, topo, "keep_slots: the previous placement");
  const int L = fresh.num_layers();
  const int P = topo.num_gpus;
  const int N = topo.num_nodes;
  const int spg = topo.slots_per_gpu();
  const int gpn = topo.gpus_per_node();
  const auto SP = static_cast<std::size_t>(spg);

  Placement out = fresh;
  // Each replica keeps its rank (eplb.py's log2phy order) wherever it moves.
  const bool has_rank = fresh.phyrank.size() == fresh.phy2log.size();
  std::vector<std::int32_t> fresh_sorted(static_cast<std::size_t>(topo.num_replicas));
  std::vector<std::int32_t> prev_sorted(fresh_sorted.size());
  // gpu_cost[a * P + b]: moves when fresh GPU a takes previous GPU b's place.
  std::vector<long> gpu_cost(static_cast<std::size_t>(P) * static_cast<std::size_t>(P));
  std::vector<long> node_cost(static_cast<std::size_t>(N) * static_cast<std::size_t>(N));
  std::vector<long> block(static_cast<std::size_t>(gpn) * static_cast<std::size_t>(gpn));
  // gpu_match[(A * N + B) * gpn + i]: within the node pair (A, B), the previous GPU (index in B)
  // for fresh GPU i of A.
  std::vector<int> gpu_match(node_cost.size() * static_cast<std::size_t>(gpn));
  std::vector<int> target_gpu(static_cast<std::size_t>(P));
  std::vector<char> taken(SP);
  for (int l = 0; l < L; ++l) {
    for (int s = 0; s < topo.num_replicas; ++s) {
      fresh_sorted[static_cast<std::size_t>(s)] = fresh.phy2log(l, s);
      prev_sorted[static_cast<std::size_t>(s)] = previous.phy2log(l, s);
    }
    for (int q = 0; q < P; ++q) {
      const auto first = static_cast<long>(q) * spg;
      std::sort(fresh_sorted.begin() + first, fresh_sorted.begin() + first + spg);
      std::sort(prev_sorted.begin() + first, prev_sorted.begin() + first + spg);
    }
    for (int a = 0; a < P; ++a) {
      for (int b = 0; b < P; ++b) {
        gpu_cost[static_cast<std::size_t>(a) * static_cast<std::size_t>(P) +
                 static_cast<std::size_t>(b)] =
            spg - overlap(fresh_sorted.data() + static_cast<long>(a) * spg,
                          prev_sorted.data() + static_cast<long>(b) * spg, spg);
      }
    }
    for (int A = 0; A < N; ++A) {
      for (int B = 0; B < N; ++B) {
        for (int i = 0; i < gpn; ++i) {
          for (int j = 0; j < gpn; ++j) {
            block[static_cast<std::size_t>(i * gpn + j)] =
                gpu_cost[static_cast<std::size_t>(A * gpn + i) * static_cast<std::size_t>(P) +
                         static_cast<std::size_t>(B * gpn + j)];
          }
        }
        long cost = 0;
        const std::vector<int> match = detail::min_cost_assignment(block, gpn, &cost);
        node_cost[static_cast<std::size_t>(A * N + B)] = cost;
        std::copy(match.begin(), match.end(),
                  gpu_match.begin() + static_cast<long>(A * N + B) * gpn);
      }
    }
    const std::vector<int> node_of = detail::min_cost_assignment(node_cost, N);
    for (int A = 0; A < N; ++A) {
      const int B = node_of[static_cast<std::size_t>(A)];
      for (int i = 0; i < gpn; ++i) {
        target_gpu[static_cast<std::size_t>(A * gpn + i)] =
            B * gpn + gpu_match[static_cast<std::size_t>((A * N + B) * gpn + i)];
      }
    }
    // Within each GPU pair: shared experts keep their old slots (ascending), the others fill the
    // free slots in fresh slot order.
    for (int a = 0; a < P; ++a) {
      const int b = target_gpu[static_cast<std::size_t>(a)];
      std::fill(taken.begin(), taken.end(), 0);
      std::vector<char> placed(SP, 0);
      for (int j = 0; j < spg; ++j) {
        const std::int32_t want = previous.phy2log(l, b * spg + j);
        for (int i = 0; i < spg; ++i) {
          if (placed[static_cast<std::size_t>(i)] || fresh.phy2log(l, a * spg + i) != want)
            continue;
          out.phy2log(l, b * spg + j) = want;
          if (has_rank) out.phyrank(l, b * spg + j) = fresh.phyrank(l, a * spg + i);
          placed[static_cast<std::size_t>(i)] = 1;
          taken[static_cast<std::size_t>(j)] = 1;
          break;
        }
      }
      int j = 0;
      for (int i = 0; i < spg; ++i) {
        if (placed[static_cast<std::size_t>(i)]) continue;
        while (taken[static_cast<std::size_t>(j)]) ++j;
        out.phy2log(l, b * spg + j) = fresh.phy2log(l, a * spg + i);
        if (has_rank) out.phyrank(l, b * spg + j) = fresh.phyrank(l, a * spg + i);
        taken[static_cast<std::size_t>(j)] = 1;
      }
    }
  }
  return out;
}

}  // namespace eplb
