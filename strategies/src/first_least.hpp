// ARGMIN of a short array without a loop-carried compare-select chain (greedy packing and the
// label-aware packers call it once per item).
#pragma once

#include <algorithm>

namespace eplb::detail {

// The lowest index of the least value of v[0..n) (n >= 1; no NaN): the least value by four
// independent min chains, then the first index holding it, branch-free from the back. Its
// critical path is about a quarter of a left-to-right compare-select scan's.
inline int first_least(const double* v, int n) {
  double a0 = v[0];
  double a1 = a0;
  double a2 = a0;
  double a3 = a0;
  int k = 1;
  for (; k + 4 <= n; k += 4) {
    a0 = std::min(a0, v[k]);
    a1 = std::min(a1, v[k + 1]);
    a2 = std::min(a2, v[k + 2]);
    a3 = std::min(a3, v[k + 3]);
  }
  for (; k < n; ++k) a0 = std::min(a0, v[k]);
  const double least = std::min(std::min(a0, a1), std::min(a2, a3));
  int best = n - 1;
  for (int q = n - 2; q >= 0; --q) best = v[q] == least ? q : best;
  return best;
}

}  // namespace eplb::detail
