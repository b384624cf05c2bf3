// The process's heap policy for programs that plan many times (the `eplb` command, eplb_bench).
#pragma once

namespace eplb {

// Keeps freed heap memory in the process instead of returning it to the OS. glibc trims the top
// of the heap once more than 128 KB there is free (and serves blocks of 128 KB or more with their
// own mappings), so every plan whose result matrices total a few hundred KB (the 61-layer x
// 512-slot configuration) faulted its pages in again: measured at half the time of a global-policy
// plan on a VM. Call once at start-up, before any thread starts; no effect without glibc.
void keep_freed_heap();

}  // namespace eplb
