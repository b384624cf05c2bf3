#include "eplb/types.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

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

namespace {

[[noreturn]] void topology_fail(const Topology& t, int num_experts, const std::string& rule) {
  throw TopologyError(
      fmt::format("invalid topology ({}, {} experts): {}", t.to_string(), num_experts, rule));
}

}  // namespace

void Topology::validate(int num_experts) const {
  auto fail = [&](const std::string& rule) { topology_fail(*this, num_experts, rule); };
  if (num_replicas <= 0) fail("num_replicas must be > 0 (--replicas)");
  if (num_groups <= 0) fail("num_groups must be > 0 (--groups)");
  if (num_nodes <= 0) fail("num_nodes must be > 0 (--nodes)");
  if (num_gpus <= 0) fail("num_gpus must be > 0 (--gpus)");
  if (num_experts <= 0) fail("the load matrix must have at least one expert column");
  for (const auto& [value, option] :
       {std::pair{num_replicas, "num_replicas (--replicas)"},
        std::pair{num_groups, "num_groups (--groups)"}, std::pair{num_nodes, "num_nodes (--nodes)"},
        std::pair{num_gpus, "num_gpus (--gpus)"}}) {
    if (value > kMaxTopologySize) {
      fail(fmt::format("{} = {} exceeds the limit of {}", option, value, kMaxTopologySize));
    }
  }
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
}

void Topology::validate(int num_experts, Policy policy) const {
  validate(num_experts);
  if (resolve(policy) != Policy::kHierarchical) return;
  const std::string why = policy == Policy::kAuto
                              ? fmt::format(
                                    "policy=auto picks hierarchical because {} groups "
                                    "split evenly over {} nodes",
                                    num_groups, num_nodes)
                              : std::string("policy=hierarchical");
  if (num_gpus % num_nodes != 0) {
    topology_fail(*this, num_experts,
                  fmt::format("gpus % nodes == 0 is required by the hierarchical policy ({}): {} "
                              "GPUs do not split evenly over {} nodes; use policy=global",
                              why, num_gpus, num_nodes));
  }
  if (num_experts % num_groups != 0) {
    topology_fail(*this, num_experts,
                  fmt::format("experts % groups == 0 is required by the hierarchical policy ({}): "
                              "{} experts do not split evenly into {} groups; use policy=global",
                              why, num_experts, num_groups));
  }
}

void check_plan_size(int num_layers, const Topology& topology) {
  const long long cells = static_cast<long long>(num_layers) * topology.num_replicas;
  if (cells > kMaxMatrixCells) {
    throw TopologyError(fmt::format(
        "layers x replicas = {} x {} = {} exceeds the limit of {} slots per plan; lower "
        "--replicas or plan fewer layers",
        num_layers, topology.num_replicas, cells, kMaxMatrixCells));
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

Log2Phy Placement::log2phy(bool ascending) const {
  Log2Phy out;
  out.num_layers = static_cast<int>(logcnt.rows());
  out.num_experts = static_cast<int>(logcnt.cols());
  out.max_count = logcnt.size() == 0 ? 0 : std::max(0, logcnt.maxCoeff());
  out.data.assign(static_cast<std::size_t>(out.num_layers) *
                      static_cast<std::size_t>(out.num_experts) *
                      static_cast<std::size_t>(out.max_count),
                  -1);
  const bool by_rank = !ascending && phyrank.rows() == phy2log.rows() &&
                       phyrank.cols() == phy2log.cols() && phyrank.size() > 0;
  std::vector<int> fill(static_cast<std::size_t>(out.num_experts));
  for (int l = 0; l < out.num_layers; ++l) {
    std::fill(fill.begin(), fill.end(), 0);
    for (Eigen::Index s = 0; s < phy2log.cols(); ++s) {
      const int e = phy2log(l, s);
      if (e < 0 || e >= out.num_experts) continue;  // the validator reports it
      // eplb.py scatters slot s to log2phy[e][phyrank[s]]; a rank out of range (the validator
      // reports it too) must not write outside the row.
      int k = fill[static_cast<std::size_t>(e)]++;
      if (by_rank) k = phyrank(l, s);
      if (k < 0 || k >= out.max_count) continue;
      out.data[static_cast<std::size_t>((l * out.num_experts + e) * out.max_count + k)] =
          static_cast<std::int32_t>(s);
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
