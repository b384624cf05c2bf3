// Plan -> validate -> score -> time, run by run, on `jobs` threads; see runner.hpp.
#include "eplb/running/runner.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <thread>

#include "eplb/error.hpp"
#include "eplb/estimate.hpp"
#include "eplb/metrics.hpp"
#include "eplb/parallel_plan.hpp"
#include "eplb/reporting/analysis.hpp"
#include "eplb/running/rebalance.hpp"
#include "eplb/storage/results.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"

namespace eplb {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> build_result_columns() {
  std::vector<std::string> columns = {
      "run",      "run_id",         "strategy", "strategy_name",  "family",     "swept",
      "workload", "workload_group", "split",    "score_workload", "replicas",   "groups",
      "nodes",    "gpus",           "protocol", "plan_step",      "score_step", "layers",
      "experts",  "policy",         "status",   "error"};
  for (const MetricInfo& info : metric_infos()) columns.emplace_back(info.name);
  for (const char* c : {"worst_layer", "plan_us_median", "plan_us_min", "timing_repeats"}) {
    columns.emplace_back(c);
  }
  return columns;
}

std::string number(double v) { return format_double(v); }

bool same_placement(const Placement& a, const Placement& b) {
  return a.policy == b.policy && a.phy2log == b.phy2log && a.logcnt == b.logcnt;
}

// A progress line on stderr with ETA, shown only once a sweep has taken a few seconds. On a
// terminal it redraws one line; otherwise (a log file, Slurm) it prints a line every 30 s.
class Progress {
 public:
  Progress(int total, bool enabled)
      : total_(total),
        enabled_(enabled && total > 0),
        tty_(::isatty(STDERR_FILENO) != 0),
        start_(Clock::now()),
        last_(start_) {}

  void tick(int errors) {
    if (!enabled_) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    ++done_;
    errors_ += errors;
    const auto now = Clock::now();
    const double elapsed = seconds(now - start_);
    const double since = seconds(now - last_);
    if (elapsed < 3.0 || (done_ < total_ && since < (tty_ ? 0.25 : 30.0))) return;
    last_ = now;
    const double eta = done_ > 0 ? elapsed / done_ * (total_ - done_) : 0.0;
    const int width = 30;
    const int filled = static_cast<int>(static_cast<long>(width) * done_ / total_);
    const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                            std::string(static_cast<std::size_t>(width - filled), '.');
    fmt::print(stderr, "{}[{}] {}/{} runs  {}  ETA {}{}{}", tty_ ? "\r" : "", bar, done_, total_,
               clock_text(elapsed), clock_text(eta),
               errors_ > 0 ? fmt::format("  {} error rows", errors_) : std::string(),
               tty_ ? "\x1b[K" : "\n");
    shown_ = true;
  }

  void finish() {
    if (enabled_ && shown_ && tty_) fmt::print(stderr, "\n");
  }

 private:
  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
  static std::string clock_text(double s) {
    const long t = static_cast<long>(s + 0.5);
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                     : fmt::format("{}:{:02}", t / 60, t % 60);
  }

  int total_;
  bool enabled_;
  bool tty_;
  Clock::time_point start_;
  Clock::time_point last_;
  std::mutex mutex_;
  int done_ = 0;
  int errors_ = 0;
  bool shown_ = false;
};

// Every number is finite or the row is an error: names the first metric that is not.
void require_finite_metrics(const Metrics& metrics) {
  for (const MetricInfo& info : metric_infos()) {
    const double v = metric_value(metrics, info.name);
    if (!std::isfinite(v)) {
      throw Error(
          fmt::format("metric {} is {} (not a finite number); the loads are too large or "
                      "too small to score in double precision",
                      info.name, v));
    }
  }
  for (std::size_t l = 0; l < metrics.layers.size(); ++l) {
    const LayerMetrics& lm = metrics.layers[l];
    for (const double v : {lm.mean_gpu_load, lm.max_gpu_load, lm.balancedness}) {
      if (!std::isfinite(v)) {
        throw Error(
            fmt::format("layer {}: a per-layer metric is {} (not a finite number); the "
                        "loads are too large or too small to score in double precision",
                        l, v));
      }
    }
  }
}

// The rebalance grid point as (key, value) columns, every key.
std::vector<std::pair<std::string, std::string>> rebalance_params(const RebalanceConfig& c) {
  return {{"every", std::to_string(c.every)},
          {"estimate", c.estimate},
          {"keep", c.keep ? "true" : "false"},
          {"skip_below", format_double(c.skip_below)},
          {"skip_layer_below", format_double(c.skip_layer_below)},
          {"max_layers", std::to_string(c.max_layers)},
          {"warmup", std::to_string(c.warmup)},
          {"expert_bytes", format_double(c.expert_bytes)}};
}

void append_params(std::vector<std::string>& row, const ResolvedStrategy& s,
                   const ResolvedWorkload& wa, const ResolvedWorkload& wb, bool cross,
                   const Run& run) {
  for (const auto& [key, value] : s.params) row.push_back(value);
  for (const auto& [key, value] : wa.params) row.push_back(value);
  if (cross) {
    for (const auto& [key, value] : wb.params) row.push_back(value);
  }
  if (run.protocol == Protocol::kRebalance) {
    for (const auto& [key, value] : rebalance_params(run.rebalance)) row.push_back(value);
  }
}

}  // namespace

const std::vector<const char*>& rebalance_columns() {
  static const std::vector<const char*> columns = {
      "event", "replicas_moved", "max_moves_per_gpu", "layers_changed", "bytes_moved",
      "predicted_gain"};
  return columns;
}

const std::vector<std::string>& result_columns() {
  static const std::vector<std::string> columns = build_result_columns();
  return columns;
}

const std::vector<std::string>& layer_columns() {
  static const std::vector<std::string> columns = {
      "run",        "run_id", "strategy",      "workload",     "workload_group", "score_workload",
      "replicas",   "groups", "nodes",         "gpus",         "protocol",       "plan_step",
      "score_step", "layer",  "mean_gpu_load", "max_gpu_load", "balancedness", "bound"};
  return columns;
}

RunOutput evaluate_run(const Expansion& expansion, const Run& run, const EvalOptions& options,
                       std::mutex& timing_mutex) {
  const ResolvedStrategy& s = expansion.strategies[static_cast<std::size_t>(run.strategy)];
  const ResolvedWorkload& wa = expansion.workloads[static_cast<std::size_t>(run.workload)];
  const ResolvedWorkload& wb = expansion.workloads[static_cast<std::size_t>(run.score_workload)];
  const bool cross = run.workload != run.score_workload;
  const Topology& topo = run.topology;
  const int num_layers = wa.data->num_layers();
  const int num_experts = wa.data->num_experts();

  RunOutput out;
  out.rows.header = result_columns();
  for (const auto& [key, value] : s.params) out.rows.header.push_back("strategy." + key);
  for (const auto& [key, value] : wa.params) out.rows.header.push_back("workload." + key);
  if (cross) {
    for (const auto& [key, value] : wb.params) out.rows.header.push_back("score_workload." + key);
  }
  if (run.protocol == Protocol::kRebalance) {
    for (const auto& [key, value] : rebalance_params(run.rebalance)) {
      out.rows.header.push_back("rebalance." + key);
    }
  }
  if (options.per_layer) out.layers.header = layer_columns();

  // Protocol rebalance: the whole trajectory is simulated first (each step depends on the
  // placement in force); its rows then take the same shape as the other protocols' rows, plus
  // the migration columns and the rebalance.* parameters.
  const bool rebalance = run.protocol == Protocol::kRebalance;
  std::vector<RebalanceStep> trace;
  std::string trace_error;
  if (rebalance) {
    // After the fixed columns, where the rows put them.
    const auto at = out.rows.header.begin() + static_cast<long>(result_columns().size());
    out.rows.header.insert(at, rebalance_columns().begin(), rebalance_columns().end());
    try {
      const auto estimator = make_estimator(run.rebalance.estimate);
      trace = simulate_rebalance(*s.strategy, *estimator.product, wa.data->steps, topo,
                                 run.rebalance, run.steps.back().second + 1);
    } catch (const std::exception& e) {
      trace_error = e.what();
    }
  }

  const std::size_t metric_count = metric_infos().size();
  for (std::size_t pair = 0; pair < run.steps.size(); ++pair) {
    const int score_step = run.steps[pair].second;
    const RebalanceStep* traced = pair < trace.size() ? &trace[pair] : nullptr;
    const int plan_step = traced != nullptr ? traced->planned_at : run.steps[pair].first;
    std::vector<std::string> row = {std::to_string(run.index),
                                    run.id,
                                    s.spec,
                                    s.name,
                                    s.family,
                                    s.swept,
                                    wa.spec,
                                    wa.group,
                                    wa.split,
                                    wb.spec,
                                    std::to_string(topo.num_replicas),
                                    std::to_string(topo.num_groups),
                                    std::to_string(topo.num_nodes),
                                    std::to_string(topo.num_gpus),
                                    run.protocol_label(),
                                    std::to_string(plan_step),
                                    std::to_string(score_step),
                                    std::to_string(num_layers),
                                    std::to_string(num_experts)};
    // policy, status, error, metrics, worst_layer, plan_us_median, plan_us_min, timing_repeats
    std::vector<std::string> result(3 + metric_count + 4);
    const LoadMatrix& plan_load = wa.data->steps[static_cast<std::size_t>(plan_step)];
    const LoadMatrix& score_load = wb.data->steps[static_cast<std::size_t>(score_step)];
    std::vector<std::string> migration_cells;
    try {
      // Loaders refuse these already; a workload that reaches the runner another way (a future
      // source, a summed window) must still not give an inf or NaN metric.
      check_load_matrix(plan_load, fmt::format("workload '{}' step {}", wa.spec, plan_step));
      if (cross || score_step != plan_step) {
        check_load_matrix(score_load, fmt::format("workload '{}' step {}", wb.spec, score_step));
      }
      if (rebalance) {
        if (traced == nullptr) throw Error(trace_error);
        require_finite_metrics(traced->metrics);
        std::size_t k = 0;
        result[k++] = to_string(traced->policy);
        result[k++] = "ok";
        result[k++] = "";
        for (const MetricInfo& info : metric_infos()) {
          result[k++] = number(metric_value(traced->metrics, info.name));
        }
        result[k++] = std::to_string(traced->metrics.worst_layer);
        k += 2;  // no plan times: plans are not timed inside a rebalance trajectory
        result[k++] = "0";
        migration_cells = {traced->event,
                           std::to_string(traced->moves.replicas_moved),
                           std::to_string(traced->moves.max_moves_per_gpu),
                           std::to_string(traced->moves.layers_changed),
                           number(traced->moves.bytes_moved),
                           number(traced->predicted_gain)};
        row.insert(row.end(), result.begin(), result.end());
        row.insert(row.end(), migration_cells.begin(), migration_cells.end());
        append_params(row, s, wa, wb, cross, run);
        out.rows.rows.push_back(std::move(row));
        continue;
      }
      const Placement placement = plan_layers(*s.strategy, plan_load, topo, options.plan_threads);
      if (const auto violation = find_violation(placement, topo, num_layers, num_experts)) {
        throw PlacementError("invalid placement: " + violation->message);
      }
      const Metrics metrics = compute_metrics(score_load, placement, topo);
      require_finite_metrics(metrics);

      std::vector<double> micros;
      if (options.repeats > 0) {
        const std::lock_guard<std::mutex> lock(timing_mutex);
        for (int i = 0; i < options.warmup; ++i) (void)plan_layers(*s.strategy, plan_load, topo, options.plan_threads);
        micros.reserve(static_cast<std::size_t>(options.repeats));
        for (int i = 0; i < options.repeats; ++i) {
          const auto t0 = Clock::now();
          Placement timed = plan_layers(*s.strategy, plan_load, topo, options.plan_threads);
          const auto t1 = Clock::now();
          micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
          if (i + 1 == options.repeats && !same_placement(timed, placement)) {
            throw Error(
                "strategy is not deterministic: a repeated plan call on the same input "
                "returned a different placement");
          }
        }
      }
      std::size_t k = 0;
      result[k++] = to_string(placement.policy);
      result[k++] = "ok";
      result[k++] = "";
      for (const MetricInfo& info : metric_infos()) {
        result[k++] = number(metric_value(metrics, info.name));
      }
      result[k++] = std::to_string(metrics.worst_layer);
      if (!micros.empty()) {
        const double lo = *std::min_element(micros.begin(), micros.end());
        result[k++] = number(median_of(micros));
        result[k++] = number(lo);
      } else {
        k += 2;
      }
      result[k++] = std::to_string(options.repeats);
      if (options.per_layer) {
        for (std::size_t l = 0; l < metrics.layers.size(); ++l) {
          const LayerMetrics& lm = metrics.layers[l];
          out.layers.rows.push_back({row[0], row[1], row[2], row[6], row[7], row[9], row[10],
                                     row[11], row[12], row[13], row[14], row[15], row[16],
                                     std::to_string(l), number(lm.mean_gpu_load),
                                     number(lm.max_gpu_load), number(lm.balancedness),
                                     number(lm.bound)});
        }
      }
    } catch (const std::exception& e) {
      std::fill(result.begin(), result.end(), std::string());
      result[1] = "error";
      result[2] = printable(e.what());
      ++out.error_rows;
      if (rebalance) migration_cells.assign(rebalance_columns().size(), std::string());
    }
    row.insert(row.end(), result.begin(), result.end());
    row.insert(row.end(), migration_cells.begin(), migration_cells.end());
    append_params(row, s, wa, wb, cross, run);
    out.rows.rows.push_back(std::move(row));
  }
  return out;
}

ExecuteStats execute_runs(const Expansion& expansion, const std::vector<int>& runs,
                          const ResultStore& store, const ExecuteOptions& options) {
  const auto start = Clock::now();
  ExecuteStats stats;
  stats.selected = static_cast<int>(runs.size());
  std::vector<const Run*> todo;
  for (int index : runs) {
    const Run& run = expansion.runs[static_cast<std::size_t>(index)];
    if (!options.force && store.finished(run, options.eval.per_layer)) {
      ++stats.skipped;
      continue;
    }
    todo.push_back(&run);
  }

  std::mutex timing_mutex;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<int> evaluated{0};
  std::atomic<int> error_rows{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  Progress progress(static_cast<int>(todo.size()), options.progress);

  auto worker = [&]() {
    try {
      while (!stop.load()) {
        const std::size_t i = next.fetch_add(1);
        if (i >= todo.size()) break;
        const RunOutput output = evaluate_run(expansion, *todo[i], options.eval, timing_mutex);
        store.save(*todo[i], output, options.eval.per_layer);
        evaluated.fetch_add(1);
        error_rows.fetch_add(output.error_rows);
        progress.tick(output.error_rows);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      stop.store(true);
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(todo.size())));
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(jobs));
    for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  progress.finish();
  if (first_error) std::rethrow_exception(first_error);
  stats.evaluated = evaluated.load();
  stats.error_rows = error_rows.load();
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

}  // namespace eplb
