// The core model: load matrices, topologies and placements.
//
// Vocabulary follows DeepSeek's eplb.py: a *logical expert* is a column of the load matrix; a
// *physical expert* (replica, slot) is one of `num_replicas` slots per layer; `phy2log[l][s]` is
// the logical expert held by slot s; `logcnt[l][e]` is the number of slots holding e; `log2phy`
// lists, per logical expert, its slots padded with -1. Slot s lives on GPU s / (R / num_gpus);
// GPU q lives on node q / (num_gpus / num_nodes).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace eplb {

// [layers x logical experts] token loads, one layer per contiguous row.
using LoadMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// Integer matrices (phy2log, logcnt), also row-major.
using IndexMatrix = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Policy {
  kAuto,          // hierarchical iff num_groups % num_nodes == 0, as eplb.py decides
  kHierarchical,  // groups -> nodes, replicate within a node, replicas -> GPUs within a node
  kGlobal,        // one group, one node: replicate over all slots, pack over all GPUs
};

const char* to_string(Policy policy);

// Size limits at every entry point (README "Limits"): beyond them a plan needs gigabytes and
// would end in std::bad_alloc instead of a clear error.
inline constexpr int kMaxTopologySize = 1 << 20;         // replicas, groups, nodes, GPUs each
inline constexpr int kMaxLayers = 1 << 16;               // layers of a load matrix
inline constexpr int kMaxExperts = 1 << 20;              // experts of a load matrix
inline constexpr long long kMaxMatrixCells = 1LL << 27;  // layers x experts, layers x replicas

struct Topology {
  int num_replicas = 0;  // physical slots per layer (R)
  int num_groups = 1;    // expert groups (G); hierarchical policy keeps a group on one node
  int num_nodes = 1;     // nodes (N)
  int num_gpus = 1;      // GPUs (P)

  // Throws TopologyError naming the first broken rule. Every policy needs sizes > 0, R >= E and
  // R % P == 0; the hierarchical policy also needs E % G == 0 and P % N == 0 (eplb.py, vLLM and
  // SGLang assert these only inside the hierarchical path). `num_experts` is the load matrix's
  // column count. `policy` is the requested one: kAuto checks the hierarchical rules only when
  // auto resolves to hierarchical (groups % nodes == 0, as eplb.py decides); without a policy
  // (nullopt) only the rules every policy shares are checked.
  void validate(int num_experts) const;
  void validate(int num_experts, Policy policy) const;

  // The policy `requested` resolves to on this topology. kAuto follows eplb.py. Forcing
  // kHierarchical when num_groups % num_nodes != 0 throws TopologyError.
  Policy resolve(Policy requested) const;

  int slots_per_gpu() const { return num_replicas / num_gpus; }
  // Meaningful for the hierarchical policy (P % N == 0).
  int gpus_per_node() const { return num_gpus / num_nodes; }
  int gpu_of_slot(int slot) const { return slot / slots_per_gpu(); }
  // floor(gpu * N / P): GPU q / (P/N) when P % N == 0, and the most even split of the GPUs over
  // the nodes otherwise (the global policy accepts P % N != 0; node metrics still need a node).
  int node_of_gpu(int gpu) const {
    return static_cast<int>(static_cast<long long>(gpu) * num_nodes / num_gpus);
  }

  std::string to_string() const;  // "R=288,G=8,N=4,P=32"
};

// Throws TopologyError unless layers x replicas stays within kMaxMatrixCells (a placement holds
// two [layers x replicas] index matrices).
void check_plan_size(int num_layers, const Topology& topology);

// log2phy [layers x experts x max_count], padded with -1, as eplb.py returns it.
struct Log2Phy {
  int num_layers = 0;
  int num_experts = 0;
  int max_count = 0;
  std::vector<std::int32_t> data;  // index ((l * num_experts) + e) * max_count + k

  std::int32_t at(int layer, int expert, int k) const {
    return data[static_cast<std::size_t>((layer * num_experts + expert) * max_count + k)];
  }
};

struct Placement {
  IndexMatrix phy2log;  // [layers x num_replicas]
  IndexMatrix logcnt;   // [layers x experts]
  // The policy the strategy actually applied (never kAuto); the validator checks group
  // locality for kHierarchical.
  Policy policy = Policy::kGlobal;

  int num_layers() const { return static_cast<int>(phy2log.rows()); }

  // [layers x num_replicas] replica rank of each slot (0..logcnt-1 per expert), as eplb.py's
  // phyrank; empty (size 0) when the strategy does not know ranks.
  IndexMatrix phyrank = IndexMatrix();

  // log2phy derived from phy2log: each expert's slots in replica-rank order (eplb.py's order)
  // when phyrank is filled, else in ascending slot order. `ascending` forces slot order.
  Log2Phy log2phy(bool ascending = false) const;
};

// logcnt derived from phy2log (counts per row). Used by strategies that produce only phy2log and
// by the validator to check consistency.
IndexMatrix count_replicas(const IndexMatrix& phy2log, int num_experts);

}  // namespace eplb
