// `eplb merge --out DIR SHARD_DIR...`: join the shard directories of one sweep.
#include "cli_common.hpp"
#include "eplb/error.hpp"
#include "eplb/running/experiment.hpp"

namespace eplb::cli {

int cmd_merge(const Args& args) {
  std::string out;
  std::vector<std::string> shards;
  po::options_description options("Options");
  options.add_options()("out,o", po::value(&out)->required(), "merged results directory (created)")(
      "shards", po::value(&shards)->multitoken()->required(), "shard results directories")(
      "no-plots", "tables only");
  po::positional_options_description positional;
  positional.add("shards", -1);
  po::variables_map vm;
  const char* usage =
      "eplb merge --out DIR SHARD_DIR...\n\n"
      "Joins the results directories written by `eplb run PLAN --shard i/n` (one per i) into DIR,\n"
      "as if the sweep had run unsharded: same results.csv rows in the same order, summary.md and\n"
      "plots. The shards must come from the same plan text and the same eplb build. Missing runs\n"
      "(an unfinished shard) are reported; merge again once it finishes.";
  if (!parse_args("merge", usage, args, options, vm, &positional)) return 0;
  MergeConfig config;
  config.plots = vm.count("no-plots") == 0;
  config.command_line = {"eplb", "merge"};
  config.command_line.insert(config.command_line.end(), args.begin(), args.end());
  std::vector<std::filesystem::path> dirs(shards.begin(), shards.end());
  const Outcome outcome = merge_results(dirs, out, config);
  return outcome.runs_found == outcome.runs_expected ? 0 : 1;
}

}  // namespace eplb::cli
