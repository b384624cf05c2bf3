// Options -> component objects. The one place that maps each enum value to its component.
#include "components.hpp"

namespace eplb {

std::unique_ptr<Replicator> make_replicator(const ReplicateOptions& options) {
  switch (options.kind) {
    case ReplicateKind::kDhondt:
      return detail::make_dhondt_replicator();
    case ReplicateKind::kHybridTail:
      return detail::make_hybrid_tail_replicator(options);
    case ReplicateKind::kPeakTail:
      return detail::make_peak_tail_replicator(options);
    case ReplicateKind::kWaterfill:
      return detail::make_waterfill_replicator(options);
  }
  return nullptr;
}

std::unique_ptr<Packer> make_packer(const StageOptions& options) {
  switch (options.pack) {
    case PackKind::kGreedy:
      return detail::make_greedy_packer();
    case PackKind::kNearTie:
      return detail::make_near_tie_packer();
    case PackKind::kDiverse:
      return detail::make_diverse_packer(options.micro_swap);
  }
  return nullptr;
}

std::unique_ptr<Refiner> make_refiner(const StageOptions& options) {
  switch (options.refine) {
    case RefineKind::kNone:
      return nullptr;
    case RefineKind::kNearest:
      return detail::make_nearest_refiner(options);
    case RefineKind::kKSwap:
      return detail::make_k_swap_refiner(options);
    case RefineKind::kAdaptiveSwap:
      return detail::make_adaptive_swap_refiner(options);
  }
  return nullptr;
}

}  // namespace eplb
