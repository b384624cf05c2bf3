// `eplb list`: strategies (presets and the compose family), components and parameters, as text
// or Markdown (the README's strategy table is generated with `eplb list --markdown`).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "cli_common.hpp"
#include "eplb/estimate.hpp"
#include "eplb/strategy.hpp"

namespace eplb::cli {
namespace {

// A preset as the compose settings it changes: `seed003 = compose:replicate=hybrid_tail,...`.
std::string preset_expansion(const Registry<Strategy>::Entry& preset,
                             const Registry<Strategy>::Entry& compose) {
  std::vector<std::string> diffs;
  for (const ParamDesc& d : preset.params) {
    const auto it = std::find_if(compose.params.begin(), compose.params.end(),
                                 [&](const ParamDesc& c) { return c.key == d.key; });
    if (it == compose.params.end() || it->default_value != d.default_value) {
      diffs.push_back(d.key + "=" + d.default_value);
    }
  }
  return diffs.empty() ? std::string("compose") : fmt::format("compose:{}", fmt::join(diffs, ","));
}

// The parameter table of one strategy family; `family` empty for compose, whose parameters the
// presets share.
void print_params(bool md, const std::string& family, const std::vector<ParamDesc>& params) {
  if (md) {
    fmt::print("\n{}\n\n| parameter | type | default | range | meaning |\n|---|---|---|---|---|\n",
               family.empty()
                   ? std::string("Parameters of `compose` and every preset (presets change the "
                                 "defaults):")
                   : fmt::format("Parameters of `{0}` (`{0}:key=value,...`):", family));
  } else {
    fmt::print("\n{}\n", family.empty()
                             ? std::string("PARAMETERS (of compose and every preset; presets "
                                           "change the defaults)")
                             : fmt::format("PARAMETERS of {0} ({0}:key=value,...)", family));
  }
  for (const ParamDesc& d : params) {
    if (md) {
      fmt::print("| `{}` | {} | `{}` | {} | {} |\n", d.key, to_string(d.type), d.default_value,
                 d.range_text(), d.doc);
    } else {
      fmt::print("  {:<16} {:<6} {:<8} {:<44} {}\n", d.key, to_string(d.type), d.default_value,
                 d.range_text(), d.doc);
    }
  }
}

}  // namespace

int cmd_list(const Args& args) {
  po::options_description options("eplb list options");
  options.add_options()("markdown", "print Markdown tables");
  po::variables_map vm;
  if (!parse_args("list", "eplb list [--markdown]", args, options, vm)) return 0;
  const bool md = vm.count("markdown") != 0U;
  const auto& registry = strategy_registry();
  const auto& compose = registry.find("compose");

  if (md) {
    fmt::print("| strategy | kind | what it does | as compose settings |\n|---|---|---|---|\n");
  } else {
    fmt::print("STRATEGIES (use as --strategy NAME or NAME:key=value,...)\n");
  }
  for (const auto& e : registry.entries()) {
    const std::string expansion = e.kind == "preset" ? preset_expansion(e, compose) : "";
    if (md) {
      fmt::print("| `{}` | {} | {} | `{}` |\n", e.name, e.kind, e.doc,
                 expansion.empty() ? "-" : expansion);
    } else {
      fmt::print("  {:<9} {:<7} {}\n", e.name, e.kind, e.doc);
      if (!expansion.empty()) fmt::print("  {:<17} = {}\n", "", expansion);
    }
  }

  if (md) {
    fmt::print("\n| slot | component | from | what it does | reads |\n|---|---|---|---|---|\n");
  } else {
    fmt::print(
        "\nCOMPONENTS (values of replicate=, fixup=, node_pack=/gpu_pack=, "
        "node_refine=/gpu_refine=)\n");
  }
  for (const ComponentInfo& c : strategy_components()) {
    const std::string reads = c.params.empty() ? "-" : fmt::format("{}", fmt::join(c.params, ", "));
    if (md) {
      fmt::print("| {} | `{}` | {} | {} | {} |\n", c.slot, c.name, c.origin, c.doc, reads);
    } else {
      fmt::print("  {:<9} {:<14} {:<27} {}\n  {:<52} reads: {}\n", c.slot, c.name, c.origin, c.doc,
                 "", reads);
    }
  }

  print_params(md, "", compose.params);
  // The other families (joint, exact, python) take parameters of their own.
  for (const auto& e : registry.entries()) {
    if (e.kind == "family" && e.name != "compose") print_params(md, e.name, e.params);
  }

  // Load estimators: the values of rebalance.estimate in plan files (protocol rebalance).
  if (md) {
    fmt::print("\n| estimator | what it estimates | parameters |\n|---|---|---|\n");
  } else {
    fmt::print("\nESTIMATORS (rebalance.estimate in plan files, e.g. mean:k=4)\n");
  }
  for (const auto& e : estimator_registry().entries()) {
    std::string params;
    for (const ParamDesc& d : e.params) {
      params += fmt::format("{}{} = {} in {} ({})", params.empty() ? "" : "; ", d.key,
                            d.default_value, d.range_text(), d.doc);
    }
    if (md) {
      fmt::print("| `{}` | {} | {} |\n", e.name, e.doc, params.empty() ? "-" : params);
    } else {
      fmt::print("  {:<9} {:<52} {}\n", e.name, e.doc, params);
    }
  }
  return 0;
}

}  // namespace eplb::cli
