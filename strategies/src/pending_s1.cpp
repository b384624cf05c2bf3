// TEMPORARY: seed 001/003/004 components not implemented yet (owner: strategies helper 1).
// Delete each function when its real component lands in its own file; then remove this file.
#include "components.hpp"
#include "eplb/error.hpp"

namespace eplb {

void apply_fixup(const ReplicateOptions& options, std::span<const double>, ReplicaLayout&) {
  if (options.fixup != FixupKind::kNone) throw Error("fix-ups are not implemented yet");
}

namespace detail {

int tail_size(const ReplicateOptions&, int) { throw Error("tail_size not implemented yet"); }
std::unique_ptr<Replicator> make_hybrid_tail_replicator(const ReplicateOptions&) {
  throw Error("hybrid_tail is not implemented yet");
}
std::unique_ptr<Replicator> make_peak_tail_replicator(const ReplicateOptions&) {
  throw Error("peak_tail is not implemented yet");
}
std::unique_ptr<Refiner> make_nearest_refiner(const StageOptions&) {
  throw Error("nearest is not implemented yet");
}
std::unique_ptr<Refiner> make_k_swap_refiner(const StageOptions&) {
  throw Error("k_swap is not implemented yet");
}

}  // namespace detail
}  // namespace eplb
