// The `python` strategy family: a Python function with eplb.py's signature,
//     rebalance_experts(weight, num_replicas, num_groups, num_nodes, num_gpus)
//         -> (phy2log [L, R], log2phy [L, E, K], logcnt [L, E])
// planned through an embedded CPython interpreter, so an evolved program or an engine's policy
// file runs in plan files and `eplb plan` and is validated, scored and timed like a C++ strategy.
//
// Spec: python:file=PATH[,function=NAME][,policy=auto|hierarchical|global][,input=numpy|torch]
//   file      the .py file, relative to the working directory (imported once per strategy object)
//   function  the function to call (default rebalance_experts)
//   policy    which placements the validator accepts: auto (eplb.py's rule: hierarchical, i.e.
//             every expert group on one node, iff groups % nodes == 0), hierarchical or global
//   input     the type of `weight`: a float64 numpy array [L, E] (default) or a torch CPU tensor
//
// Return values may be numpy arrays, torch tensors or nested lists. Every failure (missing file,
// import error, missing function, exception, wrong shape, non-integer value, inconsistent
// log2phy, invalid placement) throws eplb::Error naming the file and the cause, which the runner
// turns into an error row. The timed plan call includes the Python call and the conversions
// both ways. One interpreter serves the whole process and its lock (the GIL) serialises the
// Python calls, so `eplb run --jobs N` stays correct but Python strategies do not plan in
// parallel.
//
// The family lives outside eplb_strategies (which must not depend on Python): a program adds it
// with register_python_strategy() at start-up (the `eplb` binary does; see add_strategy_family).
#pragma once

#include "eplb/strategy.hpp"

namespace eplb {

// The registry entry of the `python` family (name, parameters, factory).
Registry<Strategy>::Entry python_strategy_entry();

// add_strategy_family(python_strategy_entry()) once per process; later calls do nothing.
void register_python_strategy();

}  // namespace eplb
