// Layer-parallel planning: blocks of consecutive layers planned on a worker pool and stitched.
#include "eplb/parallel_plan.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <vector>

#include "eplb/error.hpp"
#include "worker_pool.hpp"

namespace eplb {
namespace {

// Copies rows [first, first + block.rows()) of a placement matrix; an empty block matrix (a
// field the strategy leaves unfilled) leaves `out` empty too.
void put_rows(const IndexMatrix& block, Eigen::Index first, Eigen::Index layers, IndexMatrix& out) {
  if (block.size() == 0) return;
  if (out.size() == 0) out.resize(layers, block.cols());
  out.middleRows(first, block.rows()) = block;
}

// Replica ranks (CONTRACTS.md 1: Placement::phyrank, [layers x R], empty when the strategy does
// not fill it), stitched like phy2log wherever Placement has them.
template <class P>
void put_ranks(const P& part, Eigen::Index first, Eigen::Index layers, P& out) {
  if constexpr (requires { part.phyrank; }) put_rows(part.phyrank, first, layers, out.phyrank);
}

}  // namespace

Placement plan_layers(const Strategy& strategy, const LoadMatrix& load, const Topology& topology,
                      int threads) {
  if (threads < 1 || threads > kMaxPlanThreads) {
    throw InputError(
        fmt::format("threads={} is out of range: use 1..{}", threads, kMaxPlanThreads));
  }
  const Eigen::Index layers = load.rows();
  if (threads == 1 || layers <= 1) return strategy.plan(load, topology);

  // Four blocks per thread even out layers of unequal cost without paying much per block.
  const Eigen::Index blocks =
      std::min<Eigen::Index>(layers, 4 * static_cast<Eigen::Index>(threads));
  auto first_of = [&](Eigen::Index b) { return b * layers / blocks; };
  std::vector<Placement> parts(static_cast<std::size_t>(blocks));
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(blocks));
  const std::function<void(int)> task = [&](int b) {
    const Eigen::Index first = first_of(b);
    const Eigen::Index count = first_of(b + 1) - first;
    try {
      const LoadMatrix block = load.middleRows(first, count);
      parts[static_cast<std::size_t>(b)] = strategy.plan(block, topology);
    } catch (...) {
      errors[static_cast<std::size_t>(b)] = std::current_exception();
    }
  };
  detail::WorkerPool::instance().run(static_cast<int>(blocks), threads, task);
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }

  Placement out;
  out.policy = parts.front().policy;
  for (Eigen::Index b = 0; b < blocks; ++b) {
    const Placement& part = parts[static_cast<std::size_t>(b)];
    const Eigen::Index first = first_of(b);
    put_rows(part.phy2log, first, layers, out.phy2log);
    put_rows(part.logcnt, first, layers, out.logcnt);
    put_ranks(part, first, layers, out);
  }
  return out;
}

}  // namespace eplb
