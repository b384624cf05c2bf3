// The strategy interface and the strategy registry.
//
// A strategy turns a load matrix and a topology into a placement. Strategies are created from
// spec strings (see eplb/spec.hpp) through `strategy_registry()`, whose entries are listed
// explicitly in strategies/src/registry.cpp (no static self-registration).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/spec.hpp"
#include "eplb/types.hpp"

namespace eplb {

class Strategy {
 public:
  virtual ~Strategy() = default;

  // Plans every layer of `load` ([layers x experts], non-negative, finite) on `topology`, which
  // the caller has validated for load.cols(). Deterministic: the same input gives the same
  // placement. Const and re-entrant, so one object may plan on several threads at once.
  virtual Placement plan(const LoadMatrix& load, const Topology& topology) const = 0;

  // How many consecutive layers the strategy plans together on `topology` (a batch whose
  // instances it interleaves). plan_layers cuts its blocks at multiples of it, so that no block
  // leaves a batch half empty. A hint only: any block gives the same placement.
  virtual int layer_batch(const Topology& /*topology*/) const { return 1; }

  // In-place planning for plan_layers, which otherwise plans each block of layers into its own
  // Placement and copies it into the result (the copies alone were 5% of a two-thread large
  // deepseek plan's CPU time by perf). shape_rows() validates as plan() does and sizes `out` for
  // `layers` layers, rows unset; true means plan_rows() may then fill disjoint row blocks [first,
  // first + count) of `load` into the same rows of `out`, from several threads at once, each giving
  // the rows plan() gives. The default declines (and plan_rows is never called).
  virtual bool shape_rows(Eigen::Index /*layers*/, Eigen::Index /*experts*/,
                          const Topology& /*topology*/, Placement& /*out*/) const {
    return false;
  }
  virtual void plan_rows(const LoadMatrix& /*load*/, Eigen::Index /*first*/, Eigen::Index /*count*/,
                         const Topology& /*topology*/, Placement& /*out*/) const {}
};

// Built-in strategies: presets (deepseek, seed000..seed004) and the `compose` family, followed by
// any family added with add_strategy_family().
const Registry<Strategy>& strategy_registry();

// Appends a family defined in a library eplb_strategies must not depend on (e.g. `python`, which
// embeds an interpreter; see python/README.md). Programs call it explicitly at start-up (the
// `eplb` binary's main() does, through register_python_strategy()), never from a static
// initialiser, and before any thread reads the registry: the registry is not locked. Throws
// Error if the name is taken.
void add_strategy_family(Registry<Strategy>::Entry entry);

// A value of one of the `compose` component slots (replicate, fixup, *_pack, *_refine), for
// `eplb list`: where it comes from, what it does, which parameters it reads.
struct ComponentInfo {
  std::string slot;                 // "replicate", "fixup", "pack", "refine"
  std::string name;                 // the value written in a spec, e.g. "hybrid_tail"
  std::string origin;               // "eplb.py", "seed003", ...
  std::string doc;                  // one line
  std::vector<std::string> params;  // parameters it reads ("<stage>_" for node_/gpu_ ones)
};
const std::vector<ComponentInfo>& strategy_components();

// Shorthand for strategy_registry().create(spec).
Registry<Strategy>::Made make_strategy(std::string_view spec);

}  // namespace eplb
