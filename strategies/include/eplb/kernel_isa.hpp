// The instruction set of the strategies' innermost loops: the searches for the least or greatest
// of a few dozen values (packs, experts), the sort's passes, water-filling's bisection. Every
// choice gives the same placements bit for bit: the wide kernels compute the very doubles and
// first indices the portable ones do; only speed differs.
//
// The default is the widest the CPU (and the OS, which must save the wide registers) supports,
// detected once at first use; the environment variable EPLB_KERNEL_ISA=portable (or avx512)
// overrides it for the process. Tests and benchmarks switch it to compare both paths.
#pragma once

#include <string_view>

namespace eplb {

enum class KernelIsa {
  kPortable,  // plain C++ plus SSE2 where the target has it (every x86-64 CPU)
  kAvx512,    // AVX-512F (x86-64 Intel Skylake-SP / Ice Lake / Sapphire Rapids, AMD Zen 4 / 5)
};

// True if this build has kernels for `isa` and this CPU runs them.
bool kernel_isa_available(KernelIsa isa);
// The instruction set in use (process-wide). Throws InputError, naming the variable and its
// accepted values, while EPLB_KERNEL_ISA holds something else or an ISA the CPU lacks.
KernelIsa kernel_isa();
// Selects `isa` for the whole process (threads planning at the same moment may see either).
// Throws InputError if it is not available here.
void set_kernel_isa(KernelIsa isa);
std::string_view to_string(KernelIsa isa);

// Selects `isa` for one scope and restores the previous choice (tests and benchmarks that compare
// both paths).
class KernelIsaScope {
 public:
  explicit KernelIsaScope(KernelIsa isa) : saved_(kernel_isa()) { set_kernel_isa(isa); }
  ~KernelIsaScope() { set_kernel_isa(saved_); }
  KernelIsaScope(const KernelIsaScope&) = delete;
  KernelIsaScope& operator=(const KernelIsaScope&) = delete;

 private:
  KernelIsa saved_;
};

}  // namespace eplb
