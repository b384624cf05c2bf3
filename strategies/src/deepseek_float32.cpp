// DeepSeek's eplb.py in float32, as torch runs it (COMPOSITION.md, "precision=float32").
//
// eplb.py converts the loads with weight.float() and then computes in float32: group sums
// (tensor.sum), the sort keys of balanced_packing (descending), the pack loads it accumulates
// (a Python int plus float32 0-d tensors stays float32), the D'Hondt keys weight / logcnt and
// the replica loads tokens_per_mlog / mlogcnt (int64 counts promote to float32). This file does
// the same in C++ floats, for the default deepseek components only (the registry refuses
// precision=float32 with any other component).
//
// Remaining differences from torch (documented in COMPOSITION.md):
//  * torch.sort is not stable: on exactly equal float32 keys its order may differ from ours
//    (ascending index), and so may the plan; on tie-free inputs the plans agree.
//  * torch's vectorised sum may add a group's loads in another order than left to right; for
//    integer loads whose group sums stay below 2^24 every order gives the same float32 sum.
#include "deepseek_float32.hpp"

#include <algorithm>
#include <numeric>
#include <span>
#include <vector>

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

// balanced_packing: items by descending float32 weight (ties: ascending index, see above), each
// into the lightest pack with room (first such pack on equal loads, as Python's min does), pack
// loads accumulated in float32.
void pack_float32(std::span<const float> w, int m, std::vector<int>& pack, std::vector<int>& rank,
                  std::vector<int>& order, std::vector<float>& load, std::vector<int>& used) {
  const int n = static_cast<int>(w.size());
  const int cap = n / m;
  pack.resize(at(n));
  rank.assign(at(n), 0);
  if (cap == 1) {
    std::iota(pack.begin(), pack.end(), 0);
    return;
  }
  order.resize(at(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return w[at(a)] > w[at(b)]; });
  load.assign(at(m), 0.0f);
  used.assign(at(m), 0);
  for (const int i : order) {
    int best = -1;
    for (int p = 0; p < m; ++p) {
      if (used[at(p)] < cap && (best < 0 || load[at(p)] < load[at(best)])) best = p;
    }
    pack[at(i)] = best;
    rank[at(i)] = used[at(best)]++;
    load[at(best)] += w[at(i)];
  }
}

class DeepseekFloat32 final : public Strategy {
 public:
  explicit DeepseekFloat32(Policy policy) : policy_(policy) {}

  Placement plan(const LoadMatrix& load, const Topology& topo) const override {
    const int L = static_cast<int>(load.rows());
    const int E = static_cast<int>(load.cols());
    topo.validate(E, policy_);
    const Policy policy = topo.resolve(policy_);
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

    Placement out;
    out.policy = policy;
    out.phy2log.resize(L, R);
    out.logcnt.resize(L, E);
    out.phyrank.resize(L, R);

    std::vector<float> w(at(E)), gload(at(G)), wm(at(epn)), tok(at(ppn)), scratch_load;
    std::vector<int> gpack, grank, mlog2log(at(E)), phy2m(at(ppn)), prank(at(ppn)), cnt(at(epn));
    std::vector<int> pack, rank, order, used;
    for (int l = 0; l < L; ++l) {
      for (int e = 0; e < E; ++e) w[at(e)] = static_cast<float>(load(l, e));
      // Step 1: groups -> nodes.
      for (int g = 0; g < G; ++g) {
        float s = 0.0f;
        for (int k = 0; k < gs; ++k) s += w[at(g * gs + k)];
        gload[at(g)] = s;
      }
      pack_float32(gload, N, gpack, grank, order, scratch_load, used);
      for (int g = 0; g < G; ++g) {
        const int base = (gpack[at(g)] * gpn + grank[at(g)]) * gs;
        for (int k = 0; k < gs; ++k) mlog2log[at(base + k)] = g * gs + k;
      }
      for (int n = 0; n < N; ++n) {
        const int* node_experts = mlog2log.data() + n * epn;
        for (int j = 0; j < epn; ++j) wm[at(j)] = w[at(node_experts[j])];
        // Step 2: replicate_experts, D'Hondt on float32 keys; torch's max takes the first index.
        std::fill(cnt.begin(), cnt.end(), 1);
        for (int j = 0; j < epn; ++j) {
          phy2m[at(j)] = j;
          prank[at(j)] = 0;
        }
        for (int s = epn; s < ppn; ++s) {
          int best = 0;
          float key = wm[0] / static_cast<float>(cnt[0]);
          for (int j = 1; j < epn; ++j) {
            const float v = wm[at(j)] / static_cast<float>(cnt[at(j)]);
            if (v > key) {
              best = j;
              key = v;
            }
          }
          phy2m[at(s)] = best;
          prank[at(s)] = cnt[at(best)]++;
        }
        // Step 3: replicas -> GPUs on float32 replica loads.
        for (int p = 0; p < ppn; ++p) {
          tok[at(p)] = wm[at(phy2m[at(p)])] / static_cast<float>(cnt[at(phy2m[at(p)])]);
        }
        pack_float32(tok, gpus_per_node, pack, rank, order, scratch_load, used);
        for (int p = 0; p < ppn; ++p) {
          const int slot = n * ppn + pack[at(p)] * spg + rank[at(p)];
          out.phy2log(l, slot) = node_experts[phy2m[at(p)]];
          out.phyrank(l, slot) = prank[at(p)];
        }
        for (int j = 0; j < epn; ++j) out.logcnt(l, node_experts[j]) = cnt[at(j)];
      }
    }
    return out;
  }

 private:
  Policy policy_;
};

}  // namespace

std::unique_ptr<Strategy> make_deepseek_float32(Policy policy) {
  return std::make_unique<DeepseekFloat32>(policy);
}

}  // namespace eplb::detail
