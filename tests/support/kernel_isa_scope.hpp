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

// Selects an instruction set for one scope and restores the previous one.
class IsaScope {
 public:
  explicit IsaScope(KernelIsa isa) { set_kernel_isa(isa); }
  ~IsaScope() { set_kernel_isa(saved_); }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;

 private:
  KernelIsa saved_ = kernel_isa();
};

}  // namespace eplb::test
