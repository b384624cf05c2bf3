// Experiment plan files (experiments/*.json): the schema, its parser and validator.
//
// A plan names strategies (spec strings, each optionally with a `grid` of parameter -> values),
// workloads (spec strings or recorded-file paths, optionally with `seeds`, a `split` label and
// their own topologies), topologies, protocols, timing and a guard on the sweep size. The full
// schema, with an example, is in experiments/README.md ("Plan schema"). Parsing checks the
// shape and types only and reports the file and the JSON key of the first problem; names and
// parameter values are checked later, when expand_plan() resolves every spec through the
// registries (before anything runs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eplb/migration.hpp"
#include "eplb/types.hpp"

namespace eplb {

enum class Protocol {
  kInSample,    // plan on step t, score on step t
  kNextWindow,  // plan on step t, score on step t+1 (the ADRS evaluator's protocol)
  kCross,       // plan on workload A's step t, score on workload B's step t
  kRebalance,   // every K steps plan from an estimate over the history, score every step
};

const char* to_string(Protocol protocol);  // "in-sample", "next-window", "cross", "rebalance"
// Throws InputError naming `where` and listing the protocols.
Protocol parse_protocol(std::string_view text, std::string_view where);

// One point of the plan's "rebalance" grid (protocol rebalance; semantics in
// running/rebalance.hpp and experiments/README.md, "Protocol rebalance").
struct RebalanceConfig {
  int every = 1;                  // K: a rebalance every K steps
  std::string estimate = "last";  // estimator spec (eplb/estimate.hpp), canonical after expansion
  bool keep = false;              // relabel each new plan with keep_slots against the one in force
  double skip_below = 0.0;        // > 0: skip a rebalance whose predicted gain is below this
  double skip_layer_below = 0.0;  // > 0: keep a layer whose predicted gain is below this
  int max_layers = 0;             // > 0: change at most this many layers (largest gains)
  int warmup = 1;                 // steps observed before the first placement
  double expert_bytes = kDeepSeekV3ExpertBytes;  // eplb/migration.hpp: its derivation

  // "rebalance:every=4,estimate=mean:k=4,keep=true,skip_below=0" (+ the other keys when they
  // differ from their defaults): the protocol column of result rows and part of a run's identity.
  std::string label() const;
};

struct PlanStrategy {
  std::string spec;  // as written
  // Parameter -> values (canonical text of the JSON scalars), in the order written.
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;
  std::string key;  // JSON key for messages, e.g. "strategies[2]"
};

struct PlanWorkload {
  std::string spec;                  // as written: a spec or a recorded-file path
  std::vector<std::int64_t> seeds;   // each becomes one workload with `seed=<value>`
  std::string split;                 // free label; "tune" / "holdout" drive the tuning table
  std::vector<Topology> topologies;  // empty: the plan's topologies
  std::string key;                   // JSON key for messages, e.g. "workloads[0]"
};

struct Plan {
  std::filesystem::path path;  // the file it came from ("<string>" for parse_plan)
  std::string name;            // file stem: results go to results/<name>/
  std::string text;            // the file's bytes, recorded in the manifest
  std::string description;
  std::vector<PlanStrategy> strategies;
  std::vector<PlanWorkload> workloads;
  std::vector<PlanWorkload> score_workloads;  // protocol cross only
  std::vector<Topology> topologies;
  std::vector<Protocol> protocols;
  std::vector<RebalanceConfig> rebalances;  // protocol rebalance: the "rebalance" grid, expanded
  std::vector<std::int64_t> seeds;  // default seeds for workloads with a `seed` parameter
  int max_steps = 0;                // 0: every step (pair) of each workload
  int warmup = 1;                   // untimed plan calls before the timed ones
  int repeats = 5;                  // timed plan calls per step (0: no timing)
  int plan_threads = 1;             // threads of one plan call (plan_layers); 1: single-threaded
  long max_runs = 2000;             // guard; raise it in the plan or with --max-runs
  bool per_layer = false;           // also write layers.csv
  bool skip_invalid_topologies = false;
  std::string baseline = "deepseek";  // "delta vs" column of the summary
};

// Parses and validates plan JSON. `path` is used in messages and for the name.
Plan parse_plan(std::string_view text, const std::filesystem::path& path);
// Reads and parses a plan file (InputError naming the file when it is missing).
Plan load_plan(const std::filesystem::path& path);

// FNV-1a 64-bit hash as 16 lowercase hex digits: run ids and plan-text fingerprints. Stable
// across platforms and releases (results directories depend on it).
std::string fingerprint(std::string_view text);

}  // namespace eplb
