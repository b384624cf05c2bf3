// Packing several same-size instances item by item side by side (Packer::pack_many). A greedy
// packer's choice for one item waits for the previous item's load update, so one instance alone
// leaves the core mostly idle; advancing up to 8 independent instances in turn overlaps their
// dependency chains. Each instance gets exactly what packing it alone gives.
#pragma once

#include <algorithm>
#include <array>
#include <span>

#include "eplb/pipeline.hpp"

namespace eplb::detail {

constexpr std::size_t kMaxLanes = 8;

// The sum of w from 0.0 in index order: the label-aware packers' eps is a fraction of its mean.
inline double row_sum(std::span<const double> w) {
  double sum = 0.0;
  for (const double x : w) sum += x;
  return sum;
}

// `start(lane, job, sum)` prepares a lane (sum: row_sum(job.w)), `step(lane, t)` places the t-th
// item, `finish(lane)` ends it. Returns false (doing nothing) unless there are two or more jobs of
// one size and m <= max_m.
template <class Lane, class Start, class Step, class Finish>
bool pack_interleaved(std::span<const PackJob> jobs, int m, std::array<Lane, kMaxLanes>& lanes,
                      Start start, Step step, Finish finish, int max_m = 16) {
  const std::size_t n = jobs.empty() ? 0 : jobs.front().w.size();
  const bool same_size =
      std::all_of(jobs.begin(), jobs.end(), [&](const PackJob& j) { return j.w.size() == n; });
  // A packer whose step scans every pack keeps wide instances (the global policy's 32 GPUs and
  // hundreds of labels) apart: their per-lane label tables measured slower interleaved. One
  // whose step is a short dependency chain (a winner-tree update) gains at any width.
  if (jobs.size() <= 1 || !same_size || m > max_m) return false;
  for (std::size_t first = 0; first < jobs.size(); first += kMaxLanes) {
    const std::size_t count = std::min(kMaxLanes, jobs.size() - first);
    // The batch's row sums side by side: each is a chain of dependent adds, which one row alone
    // leaves latency-bound (2-4% of seed000's hierarchical plans). Rows past `count`
    // repeat the first, so that the loop has a fixed width and keeps the sums in registers.
    std::array<const double*, kMaxLanes> row{};
    for (std::size_t k = 0; k < kMaxLanes; ++k) row[k] = jobs[first + (k < count ? k : 0)].w.data();
    std::array<double, kMaxLanes> sum{};
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t k = 0; k < kMaxLanes; ++k) sum[k] += row[k][j];
    }
    for (std::size_t k = 0; k < count; ++k) start(lanes[k], jobs[first + k], sum[k]);
    for (std::size_t t = 0; t < n; ++t) {
      for (std::size_t k = 0; k < count; ++k) step(lanes[k], t);
    }
    for (std::size_t k = 0; k < count; ++k) finish(lanes[k]);
  }
  return true;
}

}  // namespace eplb::detail
