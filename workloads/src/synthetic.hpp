// Seeded synthetic load generators (the families are documented in workloads/README.md).
//
// Each layer has a popularity ranking of its "units" (experts, or expert groups for hot_groups):
// a weight per rank, fixed by the family, and a permutation saying which unit holds which rank.
// Drift moves the ranking by random adjacent transpositions between steps; sampling noise replaces
// the expected loads by a multinomial draw of `batch` tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/types.hpp"

namespace eplb::detail {

enum class Family { kUniform, kZipf, kHotExperts, kHotGroups };

struct SyntheticConfig {
  Family family = Family::kZipf;
  std::uint64_t seed = 0;
  int layers = 58;
  int experts = 256;
  int steps = 1;
  double tokens = 65536.0;  // load per layer per step
  double drift = 0.0;       // expected adjacent rank swaps per step, as a multiple of units - 1
  int batch = 0;            // multinomial draws per layer per step; 0 = expected loads
  double exponent = 1.0;    // zipf
  double spread = 0.0;      // zipf: per-layer exponent uniform in exponent +- spread
  bool permute = true;      // zipf: which expert is popular differs per layer
  int hot = 8;              // hot_experts: number of hot experts
  double factor = 10.0;     // hot_experts / hot_groups: hot weight relative to a cold one
  int groups = 8;           // hot_groups: expert groups (contiguous blocks, as num_groups)
  int hot_groups = 1;       // hot_groups: number of hot groups
};

// The steps; throws InputError naming `owner` for impossible combinations (more hot experts than
// experts, experts not divisible by groups, a size beyond the guards).
std::vector<LoadMatrix> generate_synthetic(const SyntheticConfig& config, std::string_view owner);

// One line: family, shape, skew parameters, noise.
std::string describe_synthetic(const SyntheticConfig& config);

}  // namespace eplb::detail
