// Running a test under every kernel instruction set this CPU has (eplb/kernel_isa.hpp), so that
// both the portable and the wide kernels are held to the same references.
#pragma once

#include <vector>

#include "eplb/kernel_isa.hpp"

namespace eplb::test {

// The kernel instruction sets this CPU runs, portable first.
inline std::vector<KernelIsa> available_isas() {
  std::vector<KernelIsa> isas;
  for (const KernelIsa isa : {KernelIsa::kPortable, KernelIsa::kAvx512})
    if (kernel_isa_available(isa)) isas.push_back(isa);
  return isas;
}

// The scope that selects one: eplb::KernelIsaScope (eplb/kernel_isa.hpp).
using IsaScope = KernelIsaScope;

}  // namespace eplb::test
