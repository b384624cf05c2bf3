// `eplb report DIR`: re-draw summary.md and plots/ of a results directory from results.csv.
#include "cli_common.hpp"
#include "eplb/error.hpp"
#include "eplb/running/experiment.hpp"

namespace eplb::cli {

int cmd_report(const Args& args) {
  std::string dir, baseline;
  po::options_description options("Options");
  options.add_options()("dir", po::value(&dir)->required(), "results directory")(
      "baseline", po::value(&baseline),
      "strategy spec for the delta column (default: the plan's baseline)")("no-plots",
                                                                           "tables only");
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  const char* usage =
      "eplb report DIR [options]\n\n"
      "Re-derives DIR/summary.md and DIR/plots/ from DIR/results.csv (and layers.csv), e.g. after\n"
      "editing the CSV or upgrading eplb. If the sweep was interrupted before results.csv was\n"
      "written, it is first assembled from DIR/runs/. Prints the summary and the plot paths.";
  if (!parse_args("report", usage, args, options, vm, &positional)) return 0;
  ReportConfig config;
  config.plots = vm.count("no-plots") == 0;
  if (vm.count("baseline") != 0) config.baseline = baseline;
  report_results(dir, config);
  return 0;
}

}  // namespace eplb::cli
