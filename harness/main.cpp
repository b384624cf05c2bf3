// Entry point of the `eplb` command: dispatches to one subcommand (harness/src/cli/).
#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/cli.hpp"
#include "eplb/error.hpp"
#include "eplb/running/heap_policy.hpp"
#if EPLB_WITH_PYTHON
#include "eplb/python_strategy.hpp"
#endif

namespace {

struct Command {
  const char* name;
  int (*run)(const eplb::cli::Args&);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"plan", eplb::cli::cmd_plan, "plan one workload with one strategy, print metrics, write JSON"},
    {"run", eplb::cli::cmd_run, "run an experiment plan (sweep) and write results"},
    {"report", eplb::cli::cmd_report, "re-draw tables and plots of a results directory"},
    {"merge", eplb::cli::cmd_merge, "merge shard result directories into one"},
    {"compare", eplb::cli::cmd_compare, "paired statistics between two results (or strategies)"},
    {"list", eplb::cli::cmd_list, "list strategies and components with their parameters"},
    {"workloads", eplb::cli::cmd_workloads, "list workload sources with their parameters"},
    {"describe-workload", eplb::cli::cmd_describe_workload,
     "print shape, totals and skew statistics of a workload"},
};

void print_usage(std::FILE* out) {
  fmt::print(out, "usage: eplb <command> [options]   (eplb <command> --help for details)\n\n");
  for (const Command& c : kCommands) fmt::print(out, "  {:<18} {}\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  eplb::keep_freed_heap();  // sweeps plan thousands of times
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return 0;
  }
  const eplb::cli::Args args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    try {
#if EPLB_WITH_PYTHON
      // Families outside eplb_strategies are added explicitly, before any thread plans.
      eplb::register_python_strategy();
#endif
      return c.run(args);
    } catch (const std::exception& e) {
      // Messages quote input files: escape their control bytes before they reach a terminal.
      fmt::print(stderr, "eplb {}: error: {}\n", c.name, eplb::printable(e.what()));
      return 2;
    }
  }
  fmt::print(stderr, "eplb: error: unknown command '{}'\n\n", eplb::printable(name));
  print_usage(stderr);
  return 2;
}
