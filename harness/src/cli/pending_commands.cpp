// TEMPORARY: subcommands not implemented yet; each owner moves its command to its own file.
#include "eplb/cli.hpp"
#include "eplb/error.hpp"

namespace eplb::cli {

int cmd_list(const Args&) { throw Error("eplb list is not implemented yet"); }
int cmd_workloads(const Args&) { throw Error("eplb workloads is not implemented yet"); }
int cmd_describe_workload(const Args&) {
  throw Error("eplb describe-workload is not implemented yet");
}
int cmd_run(const Args&) { throw Error("eplb run is not implemented yet"); }
int cmd_report(const Args&) { throw Error("eplb report is not implemented yet"); }
int cmd_merge(const Args&) { throw Error("eplb merge is not implemented yet"); }
int cmd_plan(const Args&) { throw Error("eplb plan is not implemented yet"); }

}  // namespace eplb::cli
