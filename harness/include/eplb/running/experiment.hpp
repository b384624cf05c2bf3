// The three harness operations behind `eplb run`, `eplb merge` and `eplb report`.
//
// run_plan: expand (resolving every spec, loading every workload), check the guard, print the
// run count, pick the results directory (resume the latest one of the same plan text and tree,
// or start results/<plan>/<timestamp>-<gitsha>[-dirty][-shard<i>of<n>]/), write manifest.json
// and index.csv, evaluate the runs this shard owns that are not finished yet, then assemble
// results.csv (+ layers.csv), write summary.md and the plots. Killed at any moment, it leaves
// only complete files; running the same command again resumes.
// merge_results: joins shard directories of one plan (identical index.csv) into a new
// directory, as if the sweep had run unsharded.
// report_results: re-derives summary.md and plots from results.csv (assembling it first from
// runs/ when a sweep was interrupted before writing it).
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eplb/plan_files/expand.hpp"
#include "eplb/plan_files/plan.hpp"
#include "eplb/running/runner.hpp"

namespace eplb {

struct RunConfig {
  int jobs = 1;
  bool force = false;
  Shard shard;
  std::optional<std::filesystem::path> out;        // exact results directory
  std::filesystem::path results_root = "results";  // default: results/<plan>/...
  bool fresh = false;                              // never resume an existing directory
  std::optional<long> max_runs;                    // overrides the plan's guard
  std::optional<int> repeats;                      // overrides the plan's timing.repeats
  std::optional<int> plan_threads;                 // overrides the plan's timing.threads
  bool per_layer = false;                          // or the plan's per_layer
  bool plots = true;
  bool progress = true;
  bool dry_run = false;  // print the expansion, run nothing, write nothing
  std::vector<std::string> command_line;
  std::FILE* out_stream = stdout;  // summary and paths (nullptr: silent)
  std::FILE* log_stream = stderr;  // counts, notes, warnings (nullptr: silent)
};

struct Outcome {
  std::filesystem::path dir;
  ExecuteStats stats;
  int runs_expected = 0;  // of this shard
  int runs_found = 0;     // with a result file after the sweep
  std::string summary;    // Markdown
  std::vector<std::filesystem::path> plots;
  std::vector<std::string> warnings;
};

Outcome run_plan(const Plan& plan, const RunConfig& config,
                 const WorkloadLoader& loader = load_workload);

struct MergeConfig {
  bool plots = true;
  std::vector<std::string> command_line;
  std::FILE* out_stream = stdout;
  std::FILE* log_stream = stderr;
};
Outcome merge_results(const std::vector<std::filesystem::path>& shard_dirs,
                      const std::filesystem::path& out, const MergeConfig& config);

struct ReportConfig {
  bool plots = true;
  std::optional<std::string> baseline;  // default: the plan's baseline (manifest)
  std::FILE* out_stream = stdout;
  std::FILE* log_stream = stderr;
};
Outcome report_results(const std::filesystem::path& dir, const ReportConfig& config);

}  // namespace eplb
