// `eplb plan`: one workload, one strategy, one topology -> validated placement, metrics, JSON.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "eplb/error.hpp"
#include "eplb/keep_slots.hpp"
#include "eplb/export/engine_formats.hpp"
#include "eplb/metrics.hpp"
#include "eplb/storage/atomic_file.hpp"
#include "eplb/parallel_plan.hpp"
#include "eplb/migration.hpp"
#include "eplb/storage/placement_file.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"

namespace eplb::cli {
namespace {

template <class Matrix>
nlohmann::json rows_json(const Matrix& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(m(r, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json log2phy_json(const Log2Phy& l2p) {
  nlohmann::json layers = nlohmann::json::array();
  for (int l = 0; l < l2p.num_layers; ++l) {
    nlohmann::json experts = nlohmann::json::array();
    for (int e = 0; e < l2p.num_experts; ++e) {
      nlohmann::json slots = nlohmann::json::array();
      for (int k = 0; k < l2p.max_count; ++k) slots.push_back(l2p.at(l, e, k));
      experts.push_back(std::move(slots));
    }
    layers.push_back(std::move(experts));
  }
  return layers;
}

// eplb.py returns one row per input layer, so `eplb plan` keeps the all-zero layers a recorded
// file holds (DeepSeek-V3's dense layers 0-2): a file or bundled recording loads with
// drop_zero_layers=false unless the spec sets it.
std::string keep_zero_layers(const std::string& spec_or_path) {
  const std::string canonical = resolve_workload_spec(spec_or_path);
  const Spec spec = parse_spec(canonical);
  const auto& params = workload_registry().find(spec.name).params;
  const auto is_drop = [](const auto& p) { return p.key == "drop_zero_layers"; };
  if (std::none_of(params.begin(), params.end(), is_drop)) return canonical;
  // A spec that sets it keeps its choice (the canonical form omits a default value).
  try {
    const Spec given = parse_spec(spec_or_path);
    if (given.name == spec.name && std::any_of(given.params.begin(), given.params.end(), is_drop)) {
      return canonical;
    }
  } catch (const InputError&) {
    // a file path, not a spec
  }
  return canonical + (spec.params.empty() ? ":" : ",") + "drop_zero_layers=false";
}

// Rows of `m` listed in `rows`.
template <class Matrix>
Matrix select_rows(const Matrix& m, const std::vector<int>& rows) {
  Matrix out(static_cast<Eigen::Index>(rows.size()), m.cols());
  for (std::size_t i = 0; i < rows.size(); ++i)
    out.row(static_cast<Eigen::Index>(i)) = m.row(rows[i]);
  return out;
}

// Counts print as integers; ratios (larger or smaller is better, e.g. gap) with 6 decimals.
bool is_count(const MetricInfo& info) {
  return std::string_view(info.name) == "duplicate_replicas" ||
         std::string_view(info.name) == "zero_load_layers";
}

}  // namespace

int cmd_plan(const Args& args) {
  po::options_description options("eplb plan options");
  options.add_options()("workload,w", po::value<std::string>(),
                        "load file (wide CSV layer,e0..eN; SGLang/vLLM JSON; HarMoEny CSV) or a "
                        "workload spec (see 'eplb workloads')")(
      "strategy,s", po::value<std::string>()->default_value("deepseek"),
      "strategy spec (see 'eplb list'), e.g. seed003 or deepseek:policy=global")(
      "step", po::value<int>(),
      "plan on this step of a multi-step workload (default: the sum of all steps)")(
      "out,o", po::value<std::string>(),
      "write the placement to this file (see --format)")(
      "log2phy-order", po::value<std::string>()->default_value("rank"),
      "order of each expert's slots in log2phy: rank (replica rank, as eplb.py) or slot "
      "(ascending slot index)")(
      "threads", po::value<int>()->default_value(1),
      "plan the layers on this many threads (same placement for any value)")(
      "previous", po::value<std::string>(),
      "the placement in force (a JSON file written by --out, same topology and shape): relabel "
      "the new plan to keep as many replicas in their slots as possible (keep_slots) and report "
      "the moves with and without keeping")(
      "expert-bytes", po::value<double>()->default_value(kDeepSeekV3ExpertBytes, "44050944"),
      "bytes of one expert of one layer, for bytes_moved (default: DeepSeek-V3 FP8 expert)")(
      "format", po::value<std::string>()->default_value("eplb"),
      "format of --out: eplb (phy2log, log2phy, logcnt, metrics), sglang "
      "(--init-expert-location), vllm (offline EPLB mapping JSONL), trtllm (moe_load_balancer "
      "YAML), ascend (vllm-ascend expert map)")(
      "model-layers", po::value<int>()->default_value(0),
      "layers of the model, for --format sglang, which lists every model layer (default: the "
      "last planned layer + 1)");
  add_topology_options(options);
  po::variables_map vm;
  if (!parse_args("plan",
                  "eplb plan --workload FILE --replicas R --groups G --nodes N --gpus P "
                  "[--strategy SPEC] [--step K] [--threads N] [--previous OLD.json] [--out FILE] [--format NAME]",
                  args, options, vm)) {
    return 0;
  }
  require_option("plan", vm, "workload");
  const Topology topo = topology_from("plan", vm);
  const int threads = vm["threads"].as<int>();
  if (threads < 1 || threads > kMaxPlanThreads) {
    throw InputError(
        fmt::format("--threads {} is out of range: use 1..{}", threads, kMaxPlanThreads));
  }
  const EngineFormat format = parse_engine_format(vm["format"].as<std::string>());
  if (format != EngineFormat::kEplb && vm.count("out") == 0U) {
    throw InputError(fmt::format("eplb plan: --format {} needs --out FILE", to_string(format)));
  }
  if (vm["model-layers"].as<int>() < 0) {
    throw InputError("eplb plan: --model-layers must be >= 0 (0: the last planned layer + 1)");
  }
  const auto made = make_strategy(vm["strategy"].as<std::string>());
  const std::string order = vm["log2phy-order"].as<std::string>();
  if (order != "rank" && order != "slot") {
    throw InputError(
        fmt::format("--log2phy-order {}: valid values are rank (eplb.py's order) and "
                    "slot (ascending slot index)",
                    order));
  }
  const Workload workload = make_workload(keep_zero_layers(vm["workload"].as<std::string>()));

  LoadMatrix load;
  std::string window;
  if (vm.count("step") != 0U) {
    const int step = vm["step"].as<int>();
    if (step < 0 || step >= workload.num_steps()) {
      throw InputError(fmt::format("--step {} is out of range: workload '{}' has {} step(s), 0..{}",
                                   step, workload.spec, workload.num_steps(),
                                   workload.num_steps() - 1));
    }
    load = workload.steps[static_cast<std::size_t>(step)];
    window = fmt::format("step {} of {}", step, workload.num_steps());
  } else {
    load = workload.steps.front();
    for (std::size_t k = 1; k < workload.steps.size(); ++k) load += workload.steps[k];
    window =
        workload.num_steps() == 1
            ? std::string("the only step")
            : fmt::format("the sum of all {} steps (use --step K for one)", workload.num_steps());
  }
  check_load_matrix(load, fmt::format("{} ({})", workload.spec, window));
  topo.validate(static_cast<int>(load.cols()));
  check_plan_size(static_cast<int>(load.rows()), topo);

  const auto start = std::chrono::steady_clock::now();
  Placement placement = plan_layers(*made.product, load, topo, threads);
  const auto stop = std::chrono::steady_clock::now();
  require_valid(placement, topo, static_cast<int>(load.rows()), static_cast<int>(load.cols()),
                made.canonical);
  // Every row is planned (and written), but metrics skip the all-zero layers, as `eplb run` does
  // (it drops them when loading): their ratio of 1.0 would flatter balancedness_layer_mean.
  std::vector<int> scored;
  std::vector<long long> skipped;
  for (int l = 0; l < static_cast<int>(load.rows()); ++l) {
    if ((load.row(l).array() == 0.0).all()) {
      skipped.push_back(workload.layer_id(l));
    } else {
      scored.push_back(l);
    }
  }
  const auto score = [&](const Placement& scored_placement) {
    if (skipped.empty()) return compute_metrics(load, scored_placement, topo);
    Placement part;
    part.policy = scored_placement.policy;
    part.phy2log = select_rows(scored_placement.phy2log, scored);
    part.logcnt = select_rows(scored_placement.logcnt, scored);
    Metrics m = compute_metrics(select_rows(load, scored), part, topo);
    if (m.worst_layer >= 0) m.worst_layer = scored[static_cast<std::size_t>(m.worst_layer)];
    return m;
  };
  const Metrics metrics = score(placement);
  for (const MetricInfo& info : metric_infos()) {
    if (!std::isfinite(metric_value(metrics, info.name))) {
      throw InputError(
          fmt::format("{}: metric {} is not finite ({}); the loads are too large or "
                      "too small to score in double precision",
                      workload.spec, info.name, metric_value(metrics, info.name)));
    }
  }

  // --previous: relabel against the deployed placement; the metrics must not move by one bit.
  nlohmann::json migration_doc;
  std::string migration_text;
  if (vm.count("previous") != 0U) {
    const std::string path = vm["previous"].as<std::string>();
    const double expert_bytes = vm["expert-bytes"].as<double>();
    if (!(expert_bytes >= 0.0) || expert_bytes > 1e15) {
      throw InputError(fmt::format("--expert-bytes {}: expected a number in [0, 1e15]",
                                   expert_bytes));
    }
    const PlacementFile previous = read_placement_file(path);
    const Topology& pt = previous.topology;
    if (pt.num_replicas != topo.num_replicas || pt.num_groups != topo.num_groups ||
        pt.num_nodes != topo.num_nodes || pt.num_gpus != topo.num_gpus) {
      throw InputError(fmt::format("--previous {}: it was planned for topology {}, this plan is "
                                   "for {}; pass the same --replicas/--groups/--nodes/--gpus",
                                   path, pt.to_string(), topo.to_string()));
    }
    check_same_shape(previous.placement, placement, topo, "--previous " + path);
    const Migration without = migration(previous.placement, placement, topo, expert_bytes);
    Placement kept = keep_slots(placement, previous.placement, topo);
    require_valid(kept, topo, static_cast<int>(load.rows()), static_cast<int>(load.cols()),
                  made.canonical + " (slots kept)");
    const Metrics kept_metrics = score(kept);
    if (kept_metrics.balancedness != metrics.balancedness) {
      throw Error("keep_slots changed balancedness (a bug: it must only relabel)");
    }
    const Migration with = migration(previous.placement, kept, topo, expert_bytes);
    placement = std::move(kept);
    auto line = [](const char* what, const Migration& m) {
      return fmt::format("{:<26} {:>8} replicas  {:>6} max/GPU  {:>3} layers  {:>9.3f} GB\n", what,
                         m.replicas_moved, m.max_moves_per_gpu, m.layers_changed,
                         m.bytes_moved / 1e9);
    };
    migration_text = fmt::format("moves from {} (expert_bytes {}):\n", path,
                                 format_double(expert_bytes)) +
                     line("without keeping slots", without) + line("with keep_slots (written)", with);
    auto as_json = [](const Migration& m) {
      return nlohmann::json{{"replicas_moved", m.replicas_moved},
                            {"max_moves_per_gpu", m.max_moves_per_gpu},
                            {"layers_changed", m.layers_changed},
                            {"bytes_moved", m.bytes_moved}};
    };
    migration_doc = {{"previous", path},
                     {"expert_bytes", expert_bytes},
                     {"kept", as_json(with)},
                     {"without_keep", as_json(without)}};
  }

  fmt::print("strategy   {}\n", made.canonical);
  fmt::print("policy     {}\n", to_string(placement.policy));
  fmt::print("workload   {}  ({} layers x {} experts; planned and scored on {})\n", workload.spec,
             load.rows(), load.cols(), window);
  for (const std::string& note : workload.notes) fmt::print("           note: {}\n", note);
  if (!skipped.empty()) {
    fmt::print(
        "           note: metrics skip {} all-zero layer(s) (model layers {}); the plan "
        "keeps them\n",
        skipped.size(), fmt::join(skipped, ", "));
  }
  fmt::print("topology   {}\n", topo.to_string());
  fmt::print("plan time  {:.1f} us (one call on {} thread{}, not a benchmark; see eplb_bench)\n\n",
             std::chrono::duration<double, std::micro>(stop - start).count(), threads,
             threads == 1 ? "" : "s");
  fmt::print("{:<26} {:>12}\n", "metric", "value");
  for (const MetricInfo& info : metric_infos()) {
    const double v = metric_value(metrics, info.name);
    fmt::print("{:<26} {:>12}\n", info.name,
               is_count(info) ? fmt::format("{:.0f}", v) : fmt::format("{:.6f}", v));
  }
  fmt::print("{:<26} {:>12}\n", "worst_layer",
             metrics.worst_layer < 0 ? -1 : workload.layer_id(metrics.worst_layer));
  if (!migration_text.empty()) fmt::print("\n{}", migration_text);

  if (vm.count("out") != 0U && format != EngineFormat::kEplb) {
    const EnginePlan plan = make_engine_plan(placement, load, topo, workload.layer_ids,
                                             vm["model-layers"].as<int>());
    const std::string path = vm["out"].as<std::string>();
    write_file_atomic(path, write_engine_placement(format, plan));
    fmt::print("\nwrote {} ({})\n", path, to_string(format));
  } else if (vm.count("out") != 0U) {
    nlohmann::json doc;
    doc["strategy"] = made.canonical;
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [key, value] : made.values.items()) params[key] = value;
    doc["strategy_params"] = params;
    doc["workload"] = workload.spec;
    doc["window"] = window;
    doc["topology"] = {{"num_replicas", topo.num_replicas},
                       {"num_groups", topo.num_groups},
                       {"num_nodes", topo.num_nodes},
                       {"num_gpus", topo.num_gpus}};
    doc["policy"] = to_string(placement.policy);
    nlohmann::json layer_ids = nlohmann::json::array();
    for (int l = 0; l < static_cast<int>(load.rows()); ++l)
      layer_ids.push_back(workload.layer_id(l));
    doc["layers"] = layer_ids;  // the model's layer id of each row below
    doc["phy2log"] = rows_json(placement.phy2log);
    doc["log2phy_order"] = order;
    doc["log2phy"] = log2phy_json(placement.log2phy(order == "slot"));
    doc["logcnt"] = rows_json(placement.logcnt);
    nlohmann::json m = nlohmann::json::object();
    for (const MetricInfo& info : metric_infos()) m[info.name] = metric_value(metrics, info.name);
    m["worst_layer"] = metrics.worst_layer < 0 ? -1 : workload.layer_id(metrics.worst_layer);
    m["skipped_zero_layers"] = skipped;
    doc["metrics"] = m;
    if (!migration_doc.is_null()) doc["migration"] = migration_doc;
    const std::string path = vm["out"].as<std::string>();
    write_file_atomic(path, doc.dump() + "\n");
    fmt::print("\nwrote {}\n", path);
  }
  return 0;
}

}  // namespace eplb::cli
