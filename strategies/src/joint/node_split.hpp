// Splitting a layer into per-node subproblems (the hierarchical policy: whole groups per node)
// and back; shared by the `joint` and `exact` strategies.
#pragma once

#include <span>
#include <vector>

#include "eplb/types.hpp"

namespace eplb::joint {

// The experts of each node: the groups with group_node[g] == n in ascending order, each group's
// experts in ascending order. `group_node` holds node labels 0..nodes-1, nodes/groups per node.
std::vector<std::vector<int>> node_experts(std::span<const int> group_node, int nodes,
                                           int group_size);

// group -> node of layer `layer` of a (validated) hierarchical placement.
std::vector<int> placement_group_nodes(const Placement& placement, int layer,
                                       const Topology& topology, int num_experts);

// True when two assignments put the same groups together (node labels may differ).
bool same_partition(std::span<const int> a, std::span<const int> b);

// D'Hondt counts (each extra replica to argmax w/c, lowest index on ties) and greedy packing
// (heaviest replica to the lightest GPU with a free slot): local expert of each local slot.
std::vector<int> greedy_start(std::span<const double> weights, int replicas, int gpus);

// Local expert of each slot of node `node` (slots node*R/N ..) of a placement's layer; `experts`
// lists the node's experts (global ids) as node_experts returns them.
std::vector<int> local_slots(const Placement& placement, int layer, int node, int node_replicas,
                             std::span<const int> experts, int num_experts);

}  // namespace eplb::joint
