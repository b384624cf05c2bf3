// What it costs to deploy a placement where another one is already in force.
//
// Between a placement in force (`from`) and its successor (`to`) on one topology:
//   replicas_moved     slots, over all layers, whose logical expert changes (each such slot must
//                      receive the new expert's weights)
//   max_moves_per_gpu  max over GPUs of that GPU's moved slots, summed over layers: the replicas
//                      the busiest receiver must take in, the transfer bottleneck of one
//                      rearrangement
//   layers_changed     layers with at least one moved slot
//   bytes_moved        replicas_moved x expert_bytes
// A slot counts even when another slot of the same GPU already holds the new expert: engines
// (vLLM, SGLang) load each slot's weights into its own buffer, so no slot is filled for free.
//
// Default expert_bytes (kDeepSeekV3ExpertBytes): one DeepSeek-V3 routed expert of one layer in
// its released FP8 format. The expert is a SwiGLU MLP with hidden size 7168 and expert
// intermediate size 2048: gate_proj and up_proj [2048 x 7168], down_proj [7168 x 2048], so
// 3 x 7168 x 2048 = 44,040,192 one-byte FP8 weights, plus one float32 scale per 128 x 128 weight
// block (weight_block_size [128, 128]): 3 x (7168/128) x (2048/128) = 3 x 56 x 16 = 2688 scales =
// 10,752 bytes. Total 44,050,944 bytes (42.0 MiB).
#pragma once

#include <string_view>

#include "eplb/types.hpp"

namespace eplb {

inline constexpr double kDeepSeekV3ExpertBytes = 3.0 * 7168.0 * 2048.0 + 3.0 * 56.0 * 16.0 * 4.0;

struct Migration {
  long replicas_moved = 0;
  long max_moves_per_gpu = 0;
  int layers_changed = 0;
  double bytes_moved = 0.0;
};

// Throws InputError, prefixed by `what` (e.g. "--previous plan.json"), unless `from` and `to`
// have the same layer count, slot count (the topology's R) and expert count.
void check_same_shape(const Placement& from, const Placement& to, const Topology& topology,
                      std::string_view what);

long replicas_moved(const Placement& from, const Placement& to);
long max_moves_per_gpu(const Placement& from, const Placement& to, const Topology& topology);
double bytes_moved(const Placement& from, const Placement& to,
                   double expert_bytes = kDeepSeekV3ExpertBytes);

// All of the above in one pass. Checks shapes (InputError naming "migration").
Migration migration(const Placement& from, const Placement& to, const Topology& topology,
                    double expert_bytes = kDeepSeekV3ExpertBytes);

}  // namespace eplb
