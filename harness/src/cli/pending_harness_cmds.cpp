// TEMPORARY (owner: harness helper): replace with the real commands; then delete this file.
#include "eplb/cli.hpp"
#include "eplb/error.hpp"

namespace eplb::cli {

int cmd_run(const Args&) { throw Error("eplb run is not implemented yet"); }
int cmd_report(const Args&) { throw Error("eplb report is not implemented yet"); }
int cmd_merge(const Args&) { throw Error("eplb merge is not implemented yet"); }

}  // namespace eplb::cli
