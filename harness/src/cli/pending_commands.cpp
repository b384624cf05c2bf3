// TEMPORARY (owner: lead): plan and list land in cmd_plan.cpp / cmd_list.cpp.
#include "eplb/cli.hpp"
#include "eplb/error.hpp"

namespace eplb::cli {

int cmd_list(const Args&) { throw Error("eplb list is not implemented yet"); }
int cmd_plan(const Args&) { throw Error("eplb plan is not implemented yet"); }

}  // namespace eplb::cli
