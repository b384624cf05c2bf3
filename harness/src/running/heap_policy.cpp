// See eplb/running/heap_policy.hpp.
#include "eplb/running/heap_policy.hpp"

#include <cstdlib>  // defines __GLIBC__ (through <features.h>) before the test below

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace eplb {

void keep_freed_heap() {
#if defined(__GLIBC__)
  // Fixed thresholds also turn off glibc's own adjustment of them. 32 MB is the largest mmap
  // threshold it accepts on 64-bit; the trim threshold only bounds what stays cached.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace eplb
