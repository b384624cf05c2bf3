// TEMPORARY: components not implemented yet. Each helper deletes its functions from this file
// when it adds the real component in its own source file. This file must be gone before release.
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
std::unique_ptr<Replicator> make_waterfill_replicator(const ReplicateOptions&) {
  throw Error("waterfill is not implemented yet");
}
std::unique_ptr<Packer> make_near_tie_packer() { throw Error("near_tie is not implemented yet"); }
std::unique_ptr<Packer> make_diverse_packer(bool) { throw Error("diverse is not implemented yet"); }
std::unique_ptr<Refiner> make_nearest_refiner(const StageOptions&) {
  throw Error("nearest is not implemented yet");
}
std::unique_ptr<Refiner> make_k_swap_refiner(const StageOptions&) {
  throw Error("k_swap is not implemented yet");
}
std::unique_ptr<Refiner> make_adaptive_swap_refiner(const StageOptions&) {
  throw Error("adaptive_swap is not implemented yet");
}

}  // namespace detail
}  // namespace eplb
