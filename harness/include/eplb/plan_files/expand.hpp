// Plan expansion: the cartesian product of a plan, with every spec resolved before anything runs.
//
// expand_plan() resolves each strategy (grid points included) through strategy_registry() and
// loads each workload once, so a typo, an out-of-range value, a parameter without effect, a
// topology that does not fit a workload or next-window on a one-step workload fails at once,
// naming the plan file and key. The product is ordered protocol > workload (> score workload)
// > topology > strategy, so strategies vary fastest and consecutive runs form a summary table.
//
// A run is identified by its canonical strategy spec, canonical workload spec(s), topology,
// protocol and the max_steps cap (`Run::identity`, hashed to `Run::id`). Canonical specs list
// only non-default values but are resolved against the registry, so a later change of a default
// changes the identity: results are never silently aliased.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eplb/plan_files/plan.hpp"
#include "eplb/strategy.hpp"
#include "eplb/workload.hpp"

namespace eplb {

using ParamList = std::vector<std::pair<std::string, std::string>>;

struct WorkloadData {
  Workload workload;  // workload.spec is the canonical spec
  ParamList params;   // every resolved parameter of its registry entry
};

// Turns a workload spec or path into data. The default is `load_workload`; tests inject tiny
// hand-made workloads.
using WorkloadLoader = std::function<WorkloadData(std::string_view spec_or_path)>;

// make_workload() plus the resolved parameters of the workload's registry entry.
WorkloadData load_workload(std::string_view spec_or_path);

struct ResolvedStrategy {
  std::string spec;    // canonical
  std::string name;    // registry entry (preset or family), e.g. "seed003", "compose"
  std::string family;  // the plan entry's spec as written (grid points share it)
  // Grid keys joined by ';' (empty without a grid): those of the entry, plus those of any later
  // entry whose grid produced the same canonical spec (it runs once, as a point of each sweep).
  std::string swept;
  ParamList params;  // every resolved parameter
  std::shared_ptr<const Strategy> strategy;
};

struct ResolvedWorkload {
  std::string spec;   // canonical
  std::string group;  // canonical spec without `seed`: seeds of one generator share a group
  std::string split;  // plan label ("tune", "holdout", ...)
  ParamList params;
  std::shared_ptr<const Workload> data;
};

struct Run {
  int index = 0;           // position in the full (unsharded) expansion
  std::string id;          // fingerprint(identity)
  std::string identity;    // see file comment
  int strategy = 0;        // index into Expansion::strategies
  int workload = 0;        // planned on (index into Expansion::workloads)
  int score_workload = 0;  // scored on; == workload except for protocol cross
  Topology topology;
  Protocol protocol = Protocol::kInSample;
  RebalanceConfig rebalance;  // protocol rebalance only (estimate canonical)
  std::vector<std::pair<int, int>> steps;  // (plan step, score step); rebalance: (t, t) scored
  // The protocol column of result rows: to_string(protocol), or rebalance.label().
  std::string protocol_label() const {
    return protocol == Protocol::kRebalance ? rebalance.label() : to_string(protocol);
  }
};

struct Expansion {
  std::vector<ResolvedStrategy> strategies;
  std::vector<ResolvedWorkload> workloads;
  std::vector<Run> runs;
  std::vector<std::string> notes;  // duplicates dropped, topologies skipped
  int topologies = 0;              // distinct topologies
  int protocols = 0;

  long rows() const;  // run x step pairs
  // "6 strategies x 9 workloads x 1 topology x 1 protocol = 54 runs, 54 rows"
  std::string describe() const;
};

Expansion expand_plan(const Plan& plan, const WorkloadLoader& loader = load_workload);

// Sharding by run index modulo count: heavy and light configurations spread evenly.
struct Shard {
  int index = 0;
  int count = 1;

  bool contains(const Run& run) const { return run.index % count == index; }
  bool whole() const { return count == 1; }
  std::string to_string() const;  // "2/8"
};
// Parses "i/n" with 0 <= i < n. Throws InputError naming `where`.
Shard parse_shard(std::string_view text, std::string_view where);

}  // namespace eplb
