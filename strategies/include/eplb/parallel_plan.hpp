// Layer-parallel planning (CONTRACTS.md 2). Layers are planned independently (COMPOSITION.md 1.1),
// so a plan can be split into blocks of consecutive layers, each block planned on its own thread,
// and the blocks stitched back together: the result is identical to `strategy.plan(load, topo)`
// for every thread count.
#pragma once

#include "eplb/strategy.hpp"

namespace eplb {

// Plans `load` with `strategy` on up to `threads` threads (the caller's thread plus threads - 1
// workers of a process-wide pool, created on first use and reused). threads == 1 is exactly
// strategy.plan. Throws InputError if threads < 1; a strategy error is rethrown as the first
// layer block's error, so the same input raises the same error for every thread count.
// Concurrent calls with threads > 1 take turns on the pool.
Placement plan_layers(const Strategy& strategy, const LoadMatrix& load, const Topology& topology,
                      int threads);

// The largest accepted thread count (guards against typos such as --threads 10000).
inline constexpr int kMaxPlanThreads = 256;

}  // namespace eplb
