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

struct Topology {
  int num_replicas = 0;  // physical slots per layer (R)
  int num_groups = 1;    // expert groups (G); hierarchical policy keeps a group on one node
  int num_nodes = 1;     // nodes (N)
  int num_gpus = 1;      // GPUs (P)

  // Throws TopologyError naming the first broken rule: sizes > 0, R >= E, R % P == 0,
  // P % N == 0, E % G == 0. `num_experts` is the load matrix's column count.
  void validate(int num_experts) const;

  // The policy `requested` resolves to on this topology. kAuto follows eplb.py. Forcing
  // kHierarchical when num_groups % num_nodes != 0 throws TopologyError.
  Policy resolve(Policy requested) const;

  int slots_per_gpu() const { return num_replicas / num_gpus; }
  int gpus_per_node() const { return num_gpus / num_nodes; }
  int gpu_of_slot(int slot) const { return slot / slots_per_gpu(); }
  int node_of_gpu(int gpu) const { return gpu / gpus_per_node(); }

  std::string to_string() const;  // "R=288,G=8,N=4,P=32"
};

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

  // log2phy derived from phy2log: slots of each expert in ascending slot order.
  Log2Phy log2phy() const;
};

// logcnt derived from phy2log (counts per row). Used by strategies that produce only phy2log and
// by the validator to check consistency.
IndexMatrix count_replicas(const IndexMatrix& phy2log, int num_experts);

}  // namespace eplb
