// `eplb plan`: one workload, one strategy, one topology -> validated placement, metrics, JSON.
#include <fmt/core.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "eplb/storage/atomic_file.hpp"
#include "eplb/error.hpp"
#include "eplb/export/engine_formats.hpp"
#include "eplb/metrics.hpp"
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
                  "[--strategy SPEC] [--step K] [--out FILE] [--format NAME]",
                  args, options, vm)) {
    return 0;
  }
  require_option("plan", vm, "workload");
  const Topology topo = topology_from("plan", vm);
  const EngineFormat format = parse_engine_format(vm["format"].as<std::string>());
  if (format != EngineFormat::kEplb && vm.count("out") == 0U) {
    throw InputError(fmt::format("eplb plan: --format {} needs --out FILE", to_string(format)));
  }
  if (vm["model-layers"].as<int>() < 0) {
    throw InputError("eplb plan: --model-layers must be >= 0 (0: the last planned layer + 1)");
  }
  const auto made = make_strategy(vm["strategy"].as<std::string>());
  const Workload workload = make_workload(vm["workload"].as<std::string>());

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
  topo.validate(static_cast<int>(load.cols()));

  const auto start = std::chrono::steady_clock::now();
  const Placement placement = made.product->plan(load, topo);
  const auto stop = std::chrono::steady_clock::now();
  require_valid(placement, topo, static_cast<int>(load.rows()), static_cast<int>(load.cols()),
                made.canonical);
  const Metrics metrics = compute_metrics(load, placement, topo);

  fmt::print("strategy   {}\n", made.canonical);
  fmt::print("policy     {}\n", to_string(placement.policy));
  fmt::print("workload   {}  ({} layers x {} experts; planned and scored on {})\n", workload.spec,
             load.rows(), load.cols(), window);
  for (const std::string& note : workload.notes) fmt::print("           note: {}\n", note);
  fmt::print("topology   {}\n", topo.to_string());
  fmt::print("plan time  {:.1f} us (one call, not a benchmark; see eplb_bench)\n\n",
             std::chrono::duration<double, std::micro>(stop - start).count());
  fmt::print("{:<26} {:>12}\n", "metric", "value");
  for (const MetricInfo& info : metric_infos()) {
    const double v = metric_value(metrics, info.name);
    fmt::print("{:<26} {:>12}\n", info.name,
               info.higher_is_better ? fmt::format("{:.6f}", v) : fmt::format("{:.0f}", v));
  }
  fmt::print("{:<26} {:>12}\n", "worst_layer", metrics.worst_layer);

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
    doc["phy2log"] = rows_json(placement.phy2log);
    doc["log2phy"] = log2phy_json(placement.log2phy());
    doc["logcnt"] = rows_json(placement.logcnt);
    nlohmann::json m = nlohmann::json::object();
    for (const MetricInfo& info : metric_infos()) m[info.name] = metric_value(metrics, info.name);
    m["worst_layer"] = metrics.worst_layer;
    doc["metrics"] = m;
    const std::string path = vm["out"].as<std::string>();
    write_file_atomic(path, doc.dump() + "\n");
    fmt::print("\nwrote {}\n", path);
  }
  return 0;
}

}  // namespace eplb::cli
