// Locality: what a placement gives up of the hierarchical policy's promise that an expert group
// stays on one node (the global policy spreads a group's replicas over nodes; cross-node traffic
// is what the grouping exists to avoid).
//
// Expert e belongs to group floor(e * G / E) (= e / (E/G), consecutive blocks, when G divides E,
// as eplb.py groups them). Physical node of slot s: node_of_gpu(gpu_of_slot(s)). For layer l and
// group g, with replica loads r_s = w[e] / logcnt[e]:
//   span(l, g)       number of distinct nodes holding at least one replica of an expert of g
//   load(l, g, k)    sum of r_s over the slots of node k holding an expert of g, computed as
//                    sum over e in g (ascending) of cnt(e on k) x (w[e] / logcnt[e])
//   load(l, g)       sum over e in g (ascending) of w[e] (= sum_k load(l, g, k) in exact
//                    arithmetic; independent of node order)
//   home(l, g)       the node with the largest load(l, g, k)
// Aggregates:
//   group_node_span      = mean over (l, g) of span(l, g)  (1.0 for every hierarchical plan)
//   off_node_load_share  = sum_{l,g} max(0, load(l,g) - load(l,g,home)) / sum_{l,g} load(l,g)
//                          (0 when all loads are 0; 0.0 for every hierarchical plan)
// Both depend only on which replicas each node holds, never on slot order within a node.
#pragma once

#include "eplb/types.hpp"

namespace eplb {

struct Locality {
  double group_node_span = 1.0;
  double off_node_load_share = 0.0;
};

// `load` and `placement` must fit (compute_metrics checks the shapes before calling it).
Locality compute_locality(const LoadMatrix& load, const Placement& placement,
                          const Topology& topology);

}  // namespace eplb
