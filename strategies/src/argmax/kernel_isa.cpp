// Detection and selection of the kernels' instruction set (eplb/kernel_isa.hpp).
#include "eplb/kernel_isa.hpp"

#include <fmt/core.h>

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "argmax/first_extreme_avx512.hpp"
#include "eplb/error.hpp"

namespace eplb {
namespace {

bool cpu_has_avx512() {
#if EPLB_HAVE_AVX512_KERNELS
  // libgcc's check includes the OS's XCR0 bits for the AVX-512 register state.
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") != 0;
#else
  return false;
#endif
}

KernelIsa best_available() {
  static const KernelIsa best = cpu_has_avx512() ? KernelIsa::kAvx512 : KernelIsa::kPortable;
  return best;
}

// EPLB_KERNEL_ISA (portable | avx512) overrides the CPU's best; read once, at first use. A bad
// value throws every time it is read (the static below stays unset), so no plan runs on it.
KernelIsa initial() {
  const char* env = std::getenv("EPLB_KERNEL_ISA");
  if (env == nullptr || *env == '\0') return best_available();
  const std::string_view value(env);
  if (value == "portable") return KernelIsa::kPortable;
  if (value == "avx512") {
    if (best_available() != KernelIsa::kAvx512)
      throw InputError(
          "EPLB_KERNEL_ISA=avx512, but this CPU or build has no AVX-512F kernels; unset it or "
          "set it to 'portable'");
    return KernelIsa::kAvx512;
  }
  throw InputError(fmt::format(
      "EPLB_KERNEL_ISA='{}' is not a kernel instruction set; use 'portable' or 'avx512', or "
      "unset it for the CPU's best",
      printable(value)));
}

std::atomic<int>& selected() {
  static std::atomic<int> isa{static_cast<int>(initial())};
  return isa;
}

}  // namespace

bool kernel_isa_available(KernelIsa isa) {
  return isa == KernelIsa::kPortable || best_available() == KernelIsa::kAvx512;
}

KernelIsa kernel_isa() {
  return static_cast<KernelIsa>(selected().load(std::memory_order_relaxed));
}

void set_kernel_isa(KernelIsa isa) {
  if (!kernel_isa_available(isa))
    throw InputError(fmt::format(
        "kernel instruction set '{}' is not available on this CPU or build; use 'portable'",
        to_string(isa)));
  selected().store(static_cast<int>(isa), std::memory_order_relaxed);
}

std::string_view to_string(KernelIsa isa) {
  return isa == KernelIsa::kAvx512 ? "avx512" : "portable";
}

}  // namespace eplb
