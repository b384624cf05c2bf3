// The runner: plan, validate, score and time every run of an expansion.
//
// For each step pair (t_plan, t_score) of a run: the strategy plans on step t_plan; the
// placement must pass the validator (`find_violation`), otherwise the row is an error row with
// the violation and no metric; it is scored with `compute_metrics` on step t_score; then the
// plan call is timed: `warmup` untimed calls and `repeats` timed calls (std::chrono::
// steady_clock), median and min in microseconds. Runs are evaluated in parallel (`jobs`
// threads), but the timed calls hold one global mutex, so no two timed calls ever overlap
// (other workers may still be planning or scoring on other cores; on a loaded machine use
// --jobs 1 for the cleanest timings). The last timed placement must equal the scored one, which
// catches a strategy that is not deterministic.
//
// Each finished run is saved at once (ResultStore), so an interrupted sweep loses only the runs
// in flight.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "eplb/storage/csv.hpp"
#include "eplb/plan_files/expand.hpp"

namespace eplb {

class ResultStore;

struct EvalOptions {
  int warmup = 1;
  int repeats = 5;
  bool per_layer = false;
  int plan_threads = 1;  // threads of each plan call (plan_layers); 1 keeps timings single-threaded
};

struct RunOutput {
  CsvTable rows;    // one row per step pair (tidy CSV columns, see experiments/README.md)
  CsvTable layers;  // per_layer: one row per step pair x layer (ok rows only)
  int error_rows = 0;
};

// Evaluates one run. Strategy failures and invalid placements become error rows; only a bug in
// the harness itself throws.
RunOutput evaluate_run(const Expansion& expansion, const Run& run, const EvalOptions& options,
                       std::mutex& timing_mutex);

struct ExecuteOptions {
  int jobs = 1;
  bool force = false;    // redo finished runs
  bool progress = true;  // progress bar with ETA on stderr (after a few seconds)
  EvalOptions eval;
};

struct ExecuteStats {
  int selected = 0;  // runs of this shard
  int skipped = 0;   // already finished
  int evaluated = 0;
  int error_rows = 0;
  double seconds = 0.0;
};

// Evaluates `runs` (indices into expansion.runs) that `store` does not hold yet and saves each
// as soon as it finishes. Throws the first harness error (e.g. a failed write) after stopping
// the workers.
ExecuteStats execute_runs(const Expansion& expansion, const std::vector<int>& runs,
                          const ResultStore& store, const ExecuteOptions& options);

// Fixed columns of the tidy CSV in order (parameter columns follow), for documentation and
// tests; see experiments/README.md for each column's meaning.
const std::vector<std::string>& result_columns();
// Protocol rebalance rows add these after the fixed columns: event (initial, rebalance, skipped
// or empty), replicas_moved, max_moves_per_gpu, layers_changed, bytes_moved (of the decision
// made before the row's step) and predicted_gain; then rebalance.<key> parameter columns.
const std::vector<const char*>& rebalance_columns();
const std::vector<std::string>& layer_columns();

}  // namespace eplb
