// Keeping slots: relabel a fresh plan so that as few replicas as possible move from the placement
// already deployed, without changing what any GPU holds.
//
// keep_slots(fresh, previous, topology) returns a placement with fresh's logcnt and policy whose
// layer l is fresh's layer l with
//   - whole nodes permuted (node k's slot range moved to another node's range),
//   - whole GPUs permuted within their node,
//   - slots permuted within their GPU,
// chosen to minimise replicas_moved(previous, result) (migration.hpp) over all such relabelings:
// per layer, the cost of putting fresh GPU a where previous GPU b was is the number of b's slots
// that cannot keep their expert, slots_per_gpu - |multiset of a intersect multiset of b|
// (keeping every shared expert in its old slot attains it); the cost of fresh node A on previous
// node B is the minimum-cost matching of their GPUs; the nodes are then matched at minimum total
// cost (Hungarian method, exact integer costs, deterministic tie-breaking).
// Guarantees (tests/strategies/test_keep_slots.cpp):
//   - every GPU holds the same multiset of experts as in fresh, every node the same GPUs, so every
//     metric of metrics.hpp is identical bit for bit (its sums are order-independent) and group
//     locality (hierarchical policy) still holds;
//   - replicas_moved(previous, result) <= replicas_moved(previous, fresh) (the identity is one of
//     the relabelings), and it is 0 when fresh is such a relabeling of previous.
// Throws InputError when previous does not have fresh's shape (layers, slots, experts).
#pragma once

#include "eplb/types.hpp"

namespace eplb {

Placement keep_slots(const Placement& fresh, const Placement& previous, const Topology& topology);

}  // namespace eplb
