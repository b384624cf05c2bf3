// `eplb workloads`: the workload sources (registry entries with their parameters) and the bundled
// recordings, as text or Markdown. `eplb describe-workload`: shape, provenance, totals and skew
// statistics (eplb/workload_stats.hpp) of one workload, per step and optionally per layer.
#include <fmt/core.h>

#include <algorithm>

#include "cli_common.hpp"
#include "eplb/error.hpp"
#include "eplb/recorded.hpp"
#include "eplb/workload.hpp"
#include "eplb/workload_stats.hpp"

namespace eplb::cli {
namespace {

// `spec` with window=`window` (replacing a window already given).
std::string with_window(const std::string& spec_text, int window) {
  Spec spec = parse_spec(spec_text);
  const auto it = std::find_if(spec.params.begin(), spec.params.end(),
                               [](const SpecParam& p) { return p.key == "window"; });
  if (it != spec.params.end()) {
    it->value = std::to_string(window);
  } else {
    spec.params.push_back({"window", std::to_string(window)});
  }
  return spec.to_string();
}

}  // namespace

int cmd_workloads(const Args& args) {
  po::options_description options("eplb workloads options");
  options.add_options()("markdown", "print Markdown tables");
  po::variables_map vm;
  if (!parse_args("workloads", "eplb workloads [--markdown]", args, options, vm)) return 0;
  const bool md = vm.count("markdown") != 0U;

  if (md) {
    fmt::print("| workload | kind | what it gives | parameters |\n|---|---|---|---|\n");
  } else {
    fmt::print(
        "WORKLOADS (use as --workload NAME:key=value,... or a file path; "
        "eplb describe-workload SPEC shows one)\n");
  }
  for (const auto& e : workload_registry().entries()) {
    if (md) {
      std::string params;
      for (const ParamDesc& d : e.params) {
        params += fmt::format("{}`{}`={}", params.empty() ? "" : ", ", d.key, d.default_value);
      }
      fmt::print("| `{}` | {} | {} | {} |\n", e.name, e.kind, e.doc, params);
      continue;
    }
    fmt::print("\n  {:<12} {:<10} {}\n", e.name, e.kind, e.doc);
    for (const ParamDesc& d : e.params) {
      fmt::print("    {:<17} {:<6} {:<9} {:<22} {}\n", d.key, to_string(d.type), d.default_value,
                 d.range_text(), d.doc);
    }
  }

  if (md) {
    fmt::print(
        "\n| bundled recording (`recorded:name=...`) | file | what it holds |\n|---|---|---|\n");
  } else {
    fmt::print("\nBUNDLED RECORDINGS (recorded:name=NAME; data in {}, provenance in SOURCES.md)\n",
               bundled_data_dir());
  }
  for (const BundledRecording& r : bundled_recordings()) {
    if (md) {
      fmt::print("| `{}` | `{}` | {} |\n", r.name, r.file, r.doc);
    } else {
      fmt::print("  {:<36} {}\n", r.name, r.doc);
    }
  }
  return 0;
}

int cmd_describe_workload(const Args& args) {
  po::options_description options("eplb describe-workload options");
  int window = 0;
  int max_steps = 50;
  options.add_options()("workload", po::value<std::string>(),
                        "workload spec or recorded file (positional)")(
      "window", po::value<int>(&window),
      "sum consecutive steps into windows of this many (sets window= in the spec)")(
      "steps", po::value<int>(&max_steps)->default_value(50),
      "print at most this many steps (0: all)")("per-layer", "print every layer of each step");
  po::positional_options_description positional;
  positional.add("workload", 1);
  po::variables_map vm;
  if (!parse_args("describe-workload",
                  "eplb describe-workload SPEC|FILE [--window W] [--steps N] [--per-layer]", args,
                  options, vm, &positional)) {
    return 0;
  }
  require_option("describe-workload", vm, "workload");
  if (vm.count("window") != 0U && window < 1) {
    throw InputError(fmt::format("--window {} must be >= 1", window));
  }
  if (max_steps < 0) throw InputError(fmt::format("--steps {} must be >= 0", max_steps));
  const bool per_layer = vm.count("per-layer") != 0U;

  std::string spec = resolve_workload_spec(vm["workload"].as<std::string>());
  if (vm.count("window") != 0U) spec = with_window(spec, window);
  const Workload w = make_workload(spec);

  fmt::print("workload    {}\n", w.spec);
  fmt::print("what        {}\n", w.description);
  fmt::print("provenance  {}\n", w.provenance);
  for (const std::string& note : w.notes) fmt::print("note        {}\n", note);
  double total = 0.0;
  for (const LoadMatrix& step : w.steps) total += step.sum();
  fmt::print("shape       {} layers x {} experts, {} step(s)\n", w.num_layers(), w.num_experts(),
             w.num_steps());
  fmt::print("total       {:.6g} over all steps, {:.6g} per step, {:.6g} per layer per step\n",
             total, total / w.num_steps(), total / w.num_steps() / w.num_layers());
  fmt::print(
      "\nskew per step, over layers (max/mean: hottest expert / mean expert; gini: 0 even, "
      "-> 1 concentrated;\ntop10%: share of the load on the 10% most-loaded experts)\n");
  fmt::print("{:>6} {:>12} {:>5} {:>13} {:>12} {:>9} {:>8} {:>11} {:>10}\n", "step", "total",
             "zero", "max/mean avg", "max/mean max", "gini avg", "gini max", "top10% avg",
             "top10% max");
  const int shown = max_steps == 0 ? w.num_steps() : std::min(max_steps, w.num_steps());
  for (int t = 0; t < shown; ++t) {
    const LoadMatrix& load = w.steps[static_cast<std::size_t>(t)];
    const StepSkew s = step_skew(load);
    fmt::print("{:>6} {:>12.6g} {:>5} {:>13.4f} {:>12.4f} {:>9.4f} {:>8.4f} {:>11.4f} {:>10.4f}\n",
               t, s.total, s.zero_layers, s.mean_max_over_mean, s.max_max_over_mean, s.mean_gini,
               s.max_gini, s.mean_top10_share, s.max_top10_share);
    if (!per_layer) continue;
    fmt::print("{:>13} {:>12} {:>9} {:>8} {:>8}\n", "layer", "total", "max/mean", "gini", "top10%");
    const std::vector<LayerSkew> layers = layer_skews(load);
    for (std::size_t l = 0; l < layers.size(); ++l) {
      fmt::print("{:>13} {:>12.6g} {:>9.4f} {:>8.4f} {:>8.4f}\n", l, layers[l].total,
                 layers[l].max_over_mean, layers[l].gini, layers[l].top10_share);
    }
  }
  if (shown < w.num_steps()) {
    fmt::print("... {} more step(s) (--steps 0 prints all)\n", w.num_steps() - shown);
  }
  return 0;
}

}  // namespace eplb::cli
