// Constructors of the individual components, one per source file. Only factories.cpp calls them;
// tests reach components through the factories or the registry.
#pragma once

#include <memory>

#include "eplb/pipeline.hpp"

namespace eplb::detail {

// replicate_dhondt.cpp
std::unique_ptr<Replicator> make_dhondt_replicator();
// replicate_hybrid_tail.cpp (seeds 003, 004)
std::unique_ptr<Replicator> make_hybrid_tail_replicator(const ReplicateOptions& options);
// replicate_peak_tail.cpp (seeds 001, 000)
std::unique_ptr<Replicator> make_peak_tail_replicator(const ReplicateOptions& options);
// replicate_waterfill.cpp (seed 002)
std::unique_ptr<Replicator> make_waterfill_replicator(const ReplicateOptions& options);

// pack_greedy.cpp
std::unique_ptr<Packer> make_greedy_packer();
// pack_near_tie.cpp (seed 000)
std::unique_ptr<Packer> make_near_tie_packer();
// pack_diverse.cpp (seed 002)
std::unique_ptr<Packer> make_diverse_packer(bool micro_swap);

// refine_nearest.cpp (seeds 003, 001)
std::unique_ptr<Refiner> make_nearest_refiner(const StageOptions& options);
// refine_k_swap.cpp (seed 004)
std::unique_ptr<Refiner> make_k_swap_refiner(const StageOptions& options);
// refine_adaptive_swap.cpp (seed 000)
std::unique_ptr<Refiner> make_adaptive_swap_refiner(const StageOptions& options);

// Number of tail steps: max(tail_min, round(red * fraction)) capped at red, with the rounding done
// exactly on the decimal fraction (0.1 * 30 must give 3 for ceil, not 4).
int tail_size(const ReplicateOptions& options, int red);

}  // namespace eplb::detail
