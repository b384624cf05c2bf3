#include "eplb/types.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "eplb/error.hpp"

namespace eplb {

const char* to_string(Policy policy) {
  switch (policy) {
    case Policy::kAuto:
      return "auto";
    case Policy::kHierarchical:
      return "hierarchical";
    case Policy::kGlobal:
      return "global";
  }
  return "?";
}

void Topology::validate(int num_experts) const {
  auto fail = [&](const std::string& rule) {
    throw TopologyError(
        fmt::format("invalid topology ({}, {} experts): {}", to_string(), num_experts, rule));
  };
  if (num_replicas <= 0) fail("num_replicas must be > 0 (--replicas)");
  if (num_groups <= 0) fail("num_groups must be > 0 (--groups)");
  if (num_nodes <= 0) fail("num_nodes must be > 0 (--nodes)");
  if (num_gpus <= 0) fail("num_gpus must be > 0 (--gpus)");
  if (num_experts <= 0) fail("the load matrix must have at least one expert column");
  if (num_replicas < num_experts) {
    fail(
        fmt::format("replicas >= experts is required: {} replicas cannot hold {} experts; raise "
                    "--replicas to at least {}",
                    num_replicas, num_experts, num_experts));
  }
  if (num_replicas % num_gpus != 0) {
    fail(
        fmt::format("replicas % gpus == 0 is required: {} replicas do not split evenly over {} "
                    "GPUs",
                    num_replicas, num_gpus));
  }
  if (num_gpus % num_nodes != 0) {
    fail(fmt::format("gpus % nodes == 0 is required: {} GPUs do not split evenly over {} nodes",
                     num_gpus, num_nodes));
  }
  if (num_experts % num_groups != 0) {
    fail(
        fmt::format("experts % groups == 0 is required: {} experts do not split evenly into {} "
                    "groups",
                    num_experts, num_groups));
  }
}

Policy Topology::resolve(Policy requested) const {
  const bool can_be_hierarchical = num_groups % num_nodes == 0;
  switch (requested) {
    case Policy::kAuto:
      return can_be_hierarchical ? Policy::kHierarchical : Policy::kGlobal;
    case Policy::kHierarchical:
      if (!can_be_hierarchical) {
        throw TopologyError(fmt::format(
            "policy=hierarchical needs groups % nodes == 0, but {} groups do not split evenly "
            "over {} nodes; use policy=global or policy=auto",
            num_groups, num_nodes));
      }
      return Policy::kHierarchical;
    case Policy::kGlobal:
      return Policy::kGlobal;
  }
  return Policy::kGlobal;
}

std::string Topology::to_string() const {
  return fmt::format("R={},G={},N={},P={}", num_replicas, num_groups, num_nodes, num_gpus);
}

Log2Phy Placement::log2phy() const {
  Log2Phy out;
  out.num_layers = static_cast<int>(logcnt.rows());
  out.num_experts = static_cast<int>(logcnt.cols());
  out.max_count = logcnt.size() == 0 ? 0 : std::max(0, logcnt.maxCoeff());
  out.data.assign(static_cast<std::size_t>(out.num_layers) *
                      static_cast<std::size_t>(out.num_experts) *
                      static_cast<std::size_t>(out.max_count),
                  -1);
  std::vector<int> fill(static_cast<std::size_t>(out.num_experts));
  for (int l = 0; l < out.num_layers; ++l) {
    std::fill(fill.begin(), fill.end(), 0);
    for (Eigen::Index s = 0; s < phy2log.cols(); ++s) {
      const int e = phy2log(l, s);
      if (e < 0 || e >= out.num_experts) continue;  // the validator reports it
      int& k = fill[static_cast<std::size_t>(e)];
      if (k >= out.max_count) continue;
      out.data[static_cast<std::size_t>((l * out.num_experts + e) * out.max_count + k)] =
          static_cast<std::int32_t>(s);
      ++k;
    }
  }
  return out;
}

IndexMatrix count_replicas(const IndexMatrix& phy2log, int num_experts) {
  IndexMatrix counts = IndexMatrix::Zero(phy2log.rows(), num_experts);
  for (Eigen::Index l = 0; l < phy2log.rows(); ++l) {
    for (Eigen::Index s = 0; s < phy2log.cols(); ++s) {
      const int e = phy2log(l, s);
      if (e >= 0 && e < num_experts) ++counts(l, e);
    }
  }
  return counts;
}

}  // namespace eplb
