// TEMPORARY (owner: workloads helper): replace with cmd_workloads.cpp; then delete this file.
#include "eplb/cli.hpp"
#include "eplb/error.hpp"

namespace eplb::cli {

int cmd_workloads(const Args&) { throw Error("eplb workloads is not implemented yet"); }
int cmd_describe_workload(const Args&) {
  throw Error("eplb describe-workload is not implemented yet");
}

}  // namespace eplb::cli
