// `eplb` subcommands. Each takes the arguments after its name, parses them with
// Boost.Program_options (every subcommand has --help), and returns the process exit status.
// Bad input throws eplb::InputError; main() prints it as `eplb: error: ...` and exits 2.
#pragma once

#include <string>
#include <vector>

namespace eplb::cli {

using Args = std::vector<std::string>;

int cmd_plan(const Args& args);               // plan one workload with one strategy
int cmd_list(const Args& args);               // strategies, components and their parameters
int cmd_workloads(const Args& args);          // registered workload sources
int cmd_describe_workload(const Args& args);  // shape and skew statistics of a workload
int cmd_run(const Args& args);                // run an experiment plan
int cmd_report(const Args& args);             // re-draw tables and plots from a results dir
int cmd_merge(const Args& args);              // join shard result dirs
int cmd_compare(const Args& args);            // paired statistics between two results

}  // namespace eplb::cli
