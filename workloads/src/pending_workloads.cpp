// TEMPORARY: the workloads helper replaces this file with the real registry and loaders.
#include <fmt/core.h>

#include "eplb/error.hpp"
#include "eplb/workload.hpp"

namespace eplb {

const Registry<WorkloadSource>& workload_registry() {
  static const Registry<WorkloadSource> registry("workload");
  return registry;
}

Workload make_workload(std::string_view spec_or_path) {
  throw InputError(fmt::format("workloads are not implemented yet ({})", spec_or_path));
}

void check_load_matrix(const LoadMatrix&, std::string_view) {}

}  // namespace eplb
