// `eplb run PLAN`: run an experiment plan (see experiments/README.md).
#include <fmt/core.h>

#include <thread>

#include "cli_common.hpp"
#include "eplb/error.hpp"
#include "eplb/parallel_plan.hpp"
#include "eplb/running/experiment.hpp"

namespace eplb::cli {

int cmd_run(const Args& args) {
  std::string plan_path, out, shard = "0/1", results_root = "results";
  long max_runs = 0;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int repeats = -1;
  int plan_threads = 1;
  po::options_description options("Options");
  options.add_options()("plan", po::value(&plan_path)->required(),
                        "plan file (JSON), e.g. experiments/quickstart.json")(
      "jobs,j", po::value(&jobs)->default_value(jobs),
      "worker threads evaluating runs in parallel (timed calls never overlap)")(
      "force",
      "redo runs that are already finished in the results directory (needed to reuse a directory "
      "written by another build)")(
      "shard", po::value(&shard)->default_value(shard),
      "run only runs with index % n == i, as i/n (0 <= i < n); join shards with `eplb merge`")(
      "out,o", po::value(&out),
      "results directory to create or resume (default: under --results-root, see above)")(
      "results-root", po::value(&results_root)->default_value(results_root),
      "parent of the default results/<plan>/<timestamp>-<gitsha>/ directories")(
      "new", "start a new results directory instead of resuming the latest matching one")(
      "max-runs", po::value(&max_runs), "raise (or lower) the plan's guard on the number of runs")(
      "repeats", po::value(&repeats),
      "timed plan calls per step (overrides timing.repeats; 0: none)")(
      "plan-threads", po::value(&plan_threads),
      "threads of each plan call, layers in parallel (overrides timing.threads; default 1, so "
      "timings stay single-threaded)")(
      "per-layer", "also write layers.csv (per-layer balancedness) and the per-layer heatmaps")(
      "no-plots", "skip the plots (tables and CSV only)")("no-progress",
                                                          "no progress bar on stderr")(
      "dry-run", "print the expanded runs and exit (nothing is evaluated or written)");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  const char* usage =
      "eplb run PLAN [options]\n\n"
      "Expands PLAN (strategies x grids x workloads x seeds x topologies x protocols), prints the\n"
      "run count, evaluates every run (plan, validate, score, time) and writes\n"
      "results/<plan>/<timestamp>-<gitsha>[-dirty]/: results.csv, summary.md, plots/,\n"
      "manifest.json. Re-running the same command resumes the latest directory of the same plan\n"
      "text and commit, skipping finished runs (--new for a fresh one, --force to redo).";
  if (!parse_args("run", usage, args, options, vm, &positional)) return 0;
  if (jobs < 1) throw InputError("--jobs must be >= 1");

  RunConfig config;
  config.jobs = jobs;
  config.force = vm.count("force") != 0;
  config.shard = parse_shard(shard, "--shard");
  if (vm.count("out") != 0) config.out = out;
  config.results_root = results_root;
  config.fresh = vm.count("new") != 0;
  if (vm.count("max-runs") != 0) {
    if (max_runs < 1) throw InputError("--max-runs must be >= 1");
    config.max_runs = max_runs;
  }
  if (vm.count("repeats") != 0) {
    if (repeats < 0) throw InputError("--repeats must be >= 0");
    config.repeats = repeats;
  }
  if (vm.count("plan-threads") != 0) {
    if (plan_threads < 1 || plan_threads > kMaxPlanThreads) {
      throw InputError(fmt::format("--plan-threads {} is out of range: use 1..{}", plan_threads,
                                   kMaxPlanThreads));
    }
    config.plan_threads = plan_threads;
  }
  config.per_layer = vm.count("per-layer") != 0;
  config.plots = vm.count("no-plots") == 0;
  config.progress = vm.count("no-progress") == 0;
  config.dry_run = vm.count("dry-run") != 0;
  config.command_line = {"eplb", "run"};
  config.command_line.insert(config.command_line.end(), args.begin(), args.end());
  const Outcome outcome = run_plan(load_plan(plan_path), config);
  return config.dry_run || outcome.runs_found == outcome.runs_expected ? 0 : 1;
}

}  // namespace eplb::cli
