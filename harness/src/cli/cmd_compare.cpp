// `eplb compare A B` / `eplb compare DIR --a S1 --b S2`: paired statistics between two results.
#include <fmt/core.h>

#include <filesystem>

#include "cli_common.hpp"
#include "eplb/error.hpp"
#include "eplb/reporting/compare.hpp"

namespace eplb::cli {

namespace {

CsvTable results_of(const std::string& path) {
  const std::filesystem::path p(path);
  std::error_code ec;
  return read_csv(std::filesystem::is_directory(p, ec) ? p / "results.csv" : p);
}

}  // namespace

int cmd_compare(const Args& args) {
  std::vector<std::string> inputs;
  std::string metric = "balancedness", a, b;
  po::options_description options("Options");
  options.add_options()("inputs", po::value(&inputs)->multitoken(),
                        "one or two results directories (or results.csv files)")(
      "a", po::value(&a), "with one input: strategy A (the reference)")(
      "b", po::value(&b), "with one input: strategy B (compared against A)")(
      "metric", po::value(&metric)->default_value("balancedness"), "metric column to compare");
  po::positional_options_description positional;
  positional.add("inputs", -1);
  po::variables_map vm;
  const char* usage =
      "eplb compare A B [--metric M]\neplb compare DIR --a STRATEGY --b STRATEGY [--metric M]\n\n"
      "Pairs rows on identical instances and prints, per workload group and overall, the mean\n"
      "Δ = B - A with a 95% bootstrap CI (resampling workloads, plan workloads for cross, or\n"
      "workload groups overall), the Wilcoxon signed-rank p and wins/ties/losses.";
  if (!parse_args("compare", usage, args, options, vm, &positional)) return 0;
  CompareOptions o;
  o.metric = metric;
  if (inputs.size() == 1) {
    if (a.empty() || b.empty()) {
      throw InputError("one input needs --a STRATEGY and --b STRATEGY (or give two inputs)");
    }
    o.strategy_a = a;
    o.strategy_b = b;
    const CsvTable t = results_of(inputs[0]);
    fmt::print("{}", compare_results(t, t, o));
    return 0;
  }
  if (inputs.size() != 2) throw InputError("expected one or two results directories");
  if (!a.empty() || !b.empty()) throw InputError("--a/--b apply to a single input only");
  o.label_a = inputs[0];
  o.label_b = inputs[1];
  fmt::print("{}", compare_results(results_of(inputs[0]), results_of(inputs[1]), o));
  return 0;
}

}  // namespace eplb::cli
