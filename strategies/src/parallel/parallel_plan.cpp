// Layer-parallel planning: blocks of consecutive layers planned on a worker pool, each writing its
// rows of the result.
#include "eplb/parallel_plan.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "eplb/error.hpp"
#include "worker_pool.hpp"

namespace eplb {
namespace {

// Replica ranks (CONTRACTS.md 1: Placement::phyrank, [layers x R], empty when the strategy does
// not fill it), wherever Placement has them: sized from the first finished block, copied per
// block (false when the block has none or the result was sized without them).
template <class P>
void put_ranks_shape(const P& part, Eigen::Index layers, P& out) {
  if constexpr (requires { part.phyrank; }) {
    if (part.phyrank.size() != 0) out.phyrank.resize(layers, part.phyrank.cols());
  }
}
template <class P>
bool put_ranks(const P& part, Eigen::Index first, P& out) {
  if constexpr (requires { part.phyrank; }) {
    if (part.phyrank.size() == 0 || out.phyrank.rows() == 0) return false;
    out.phyrank.middleRows(first, part.phyrank.rows()) = part.phyrank;
    return true;
  }
  return false;
}
template <class P>
void clear_ranks(P& out) {
  if constexpr (requires { out.phyrank; }) out.phyrank = IndexMatrix();
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
  // Guided blocks: each takes half of what is left per thread, rounded up to whole batches of
  // the strategy (at least 2 layers), so the threads start on large blocks (few calls) and finish
  // on small ones (a short tail when one thread is late), and no block but the last leaves a
  // batch's interleaved lanes half empty (a global-policy block of 2 layers ran its greedy
  // chains at 2 lanes of 8).
  const auto batch = static_cast<Eigen::Index>(std::max(1, strategy.layer_batch(topology)));
  std::vector<Eigen::Index> first{0};
  while (first.back() < layers) {
    const Eigen::Index left = layers - first.back();
    Eigen::Index size = std::max<Eigen::Index>(2, left / (2 * static_cast<Eigen::Index>(threads)));
    size = (size + batch - 1) / batch * batch;
    first.push_back(first.back() + std::min(left, size));
  }
  const auto blocks = static_cast<int>(first.size()) - 1;
  // Each block writes its rows of the result itself: no serial stitching after the loop. A
  // strategy that plans rows in place writes them directly (shape_rows); any other plans each
  // block on its own and copies it.
  Placement out;
  const bool in_place = strategy.shape_rows(layers, load.cols(), topology, out);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(blocks));
  std::mutex shape;            // the first finished block sizes the result
  std::atomic<int> ranked{0};  // blocks whose plan has replica ranks
  const std::function<void(int)> task = [&](int b) {
    const Eigen::Index begin = first[static_cast<std::size_t>(b)];
    const Eigen::Index count = first[static_cast<std::size_t>(b) + 1] - begin;
    try {
      if (in_place) {
        strategy.plan_rows(load, begin, count, topology, out);
        return;
      }
      const LoadMatrix block = load.middleRows(begin, count);
      const Placement part = strategy.plan(block, topology);
      {
        const std::lock_guard<std::mutex> lock(shape);
        if (out.phy2log.size() == 0) {
          out.policy = part.policy;
          out.phy2log.resize(layers, part.phy2log.cols());
          out.logcnt.resize(layers, part.logcnt.cols());
          put_ranks_shape(part, layers, out);
        }
      }
      out.phy2log.middleRows(begin, count) = part.phy2log;
      out.logcnt.middleRows(begin, count) = part.logcnt;
      if (put_ranks(part, begin, out)) ranked.fetch_add(1);
    } catch (...) {
      errors[static_cast<std::size_t>(b)] = std::current_exception();
    }
  };
  detail::WorkerPool::instance().run(blocks, threads, task);
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  if (!in_place && ranked.load() != blocks) clear_ranks(out);  // ranks are all or nothing
  return out;
}

}  // namespace eplb
