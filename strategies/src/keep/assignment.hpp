// Minimum-cost perfect matching on a square integer cost matrix (Hungarian method with
// potentials, O(n^3)). Deterministic: the same matrix always gives the same matching.
#pragma once

#include <vector>

namespace eplb::detail {

// cost[i * n + j]: cost of assigning row i to column j. Returns col_of_row (size n).
std::vector<int> min_cost_assignment(const std::vector<long>& cost, int n, long* total = nullptr);

}  // namespace eplb::detail
