#include "eplb/migration.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <vector>

#include "eplb/error.hpp"

namespace eplb {

void check_same_shape(const Placement& from, const Placement& to, const Topology& topology,
                      std::string_view what) {
  if (from.phy2log.rows() != to.phy2log.rows()) {
    throw InputError(
        fmt::format("{}: has {} layers, the new plan {}; plans of one workload "
                    "shape are needed",
                    what, from.phy2log.rows(), to.phy2log.rows()));
  }
  if (from.phy2log.cols() != to.phy2log.cols() || to.phy2log.cols() != topology.num_replicas) {
    throw InputError(
        fmt::format("{}: has {} slots per layer, the new plan {} (topology {}); "
                    "use the same topology",
                    what, from.phy2log.cols(), to.phy2log.cols(), topology.to_string()));
  }
  if (from.logcnt.cols() != to.logcnt.cols() || from.logcnt.rows() != to.logcnt.rows()) {
    throw InputError(fmt::format("{}: has {} logical experts, the new plan {}", what,
                                 from.logcnt.cols(), to.logcnt.cols()));
  }
}

Migration migration(const Placement& from, const Placement& to, const Topology& topology,
                    double expert_bytes) {
  check_same_shape(from, to, topology, "migration");
  Migration m;
  const int spg = topology.slots_per_gpu();
  std::vector<long> per_gpu(static_cast<std::size_t>(topology.num_gpus), 0);
  for (Eigen::Index l = 0; l < to.phy2log.rows(); ++l) {
    long in_layer = 0;
    for (Eigen::Index s = 0; s < to.phy2log.cols(); ++s) {
      if (from.phy2log(l, s) == to.phy2log(l, s)) continue;
      ++in_layer;
      ++per_gpu[static_cast<std::size_t>(s / spg)];
    }
    m.replicas_moved += in_layer;
    if (in_layer > 0) ++m.layers_changed;
  }
  m.max_moves_per_gpu = per_gpu.empty() ? 0 : *std::max_element(per_gpu.begin(), per_gpu.end());
  m.bytes_moved = static_cast<double>(m.replicas_moved) * expert_bytes;
  return m;
}

long replicas_moved(const Placement& from, const Placement& to) {
  if (from.phy2log.rows() != to.phy2log.rows() || from.phy2log.cols() != to.phy2log.cols()) {
    throw InputError(fmt::format("replicas_moved: placements {}x{} and {}x{} differ in shape",
                                 from.phy2log.rows(), from.phy2log.cols(), to.phy2log.rows(),
                                 to.phy2log.cols()));
  }
  return static_cast<long>((from.phy2log.array() != to.phy2log.array()).count());
}

long max_moves_per_gpu(const Placement& from, const Placement& to, const Topology& topology) {
  return migration(from, to, topology).max_moves_per_gpu;
}

double bytes_moved(const Placement& from, const Placement& to, double expert_bytes) {
  return static_cast<double>(replicas_moved(from, to)) * expert_bytes;
}

}  // namespace eplb
