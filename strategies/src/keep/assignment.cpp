#include "assignment.hpp"

#include <limits>

namespace eplb::detail {

std::vector<int> min_cost_assignment(const std::vector<long>& cost, int n, long* total) {
  // Shortest augmenting paths with row/column potentials u, v; 1-based with a virtual column 0.
  const long inf = std::numeric_limits<long>::max() / 4;
  const auto N = static_cast<std::size_t>(n) + 1;
  std::vector<long> u(N, 0), v(N, 0), minv(N);
  std::vector<int> row_of_col(N, 0), way(N, 0);
  std::vector<char> used(N);
  for (int i = 1; i <= n; ++i) {
    row_of_col[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[static_cast<std::size_t>(j0)] = 1;
      const int i0 = row_of_col[static_cast<std::size_t>(j0)];
      long delta = inf;
      int j1 = 0;
      for (int j = 1; j <= n; ++j) {
        const auto sj = static_cast<std::size_t>(j);
        if (used[sj]) continue;
        const long cur = cost[static_cast<std::size_t>(i0 - 1) * static_cast<std::size_t>(n) +
                              static_cast<std::size_t>(j - 1)] -
                         u[static_cast<std::size_t>(i0)] - v[sj];
        if (cur < minv[sj]) {
          minv[sj] = cur;
          way[sj] = j0;
        }
        if (minv[sj] < delta) {
          delta = minv[sj];
          j1 = j;
        }
      }
      for (int j = 0; j <= n; ++j) {
        const auto sj = static_cast<std::size_t>(j);
        if (used[sj]) {
          u[static_cast<std::size_t>(row_of_col[sj])] += delta;
          v[sj] -= delta;
        } else {
          minv[sj] -= delta;
        }
      }
      j0 = j1;
    } while (row_of_col[static_cast<std::size_t>(j0)] != 0);
    do {
      const int j1 = way[static_cast<std::size_t>(j0)];
      row_of_col[static_cast<std::size_t>(j0)] = row_of_col[static_cast<std::size_t>(j1)];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> col_of_row(static_cast<std::size_t>(n), -1);
  long sum = 0;
  for (int j = 1; j <= n; ++j) {
    const int i = row_of_col[static_cast<std::size_t>(j)] - 1;
    col_of_row[static_cast<std::size_t>(i)] = j - 1;
    sum += cost[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) +
                static_cast<std::size_t>(j - 1)];
  }
  if (total != nullptr) *total = sum;
  return col_of_row;
}

}  // namespace eplb::detail
