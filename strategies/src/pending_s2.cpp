// TEMPORARY: seed 000/002 components not implemented yet (owner: strategies helper 2). Delete
// each function when its real component lands in its own file; this file must then be removed.
#include "components.hpp"
#include "eplb/error.hpp"

namespace eplb::detail {

std::unique_ptr<Replicator> make_waterfill_replicator(const ReplicateOptions&) {
  throw Error("waterfill is not implemented yet");
}
std::unique_ptr<Packer> make_near_tie_packer() { throw Error("near_tie is not implemented yet"); }
std::unique_ptr<Packer> make_diverse_packer(bool) { throw Error("diverse is not implemented yet"); }
std::unique_ptr<Refiner> make_adaptive_swap_refiner(const StageOptions&) {
  throw Error("adaptive_swap is not implemented yet");
}

}  // namespace eplb::detail
