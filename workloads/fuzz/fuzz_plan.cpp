// libFuzzer target for the strategies on extreme magnitudes: the input bytes build a small load
// matrix whose values range over zero, subnormals, ordinary numbers and 1e300..1.8e308, and a
// topology; whatever passes check_load_matrix (the loaders' contract: finite values, finite row
// and total sums) must plan validly with finite metrics for every registered strategy.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "eplb/error.hpp"
#include "eplb/workload.hpp"
#include "fuzz_plan_check.hpp"

namespace {

// One load from two bytes: the first picks the magnitude class, the second the mantissa.
double value_of(std::uint8_t cls, std::uint8_t mant) {
  const double m = 1.0 + mant / 256.0;
  switch (cls % 8) {
    case 0:
      return 0.0;
    case 1:  // subnormal
      return std::numeric_limits<double>::denorm_min() * (1 + mant * 997.0);
    case 2:  // just above the smallest normal
      return std::numeric_limits<double>::min() * m;
    case 3:
      return mant;  // small integers, many ties
    case 4:
      return m * 1e6;
    case 5:
      return m * 1e300;
    case 6:
      return m * 1e307;
    default:  // up to DBL_MAX
      return std::numeric_limits<double>::max() / m;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const int layers = 1 + data[0] % 4;
  const int experts = 1 + data[1] % 16;
  const std::uint8_t selector = data[2];
  eplb::LoadMatrix load(layers, experts);
  std::size_t k = 3;
  for (int l = 0; l < layers; ++l) {
    for (int e = 0; e < experts; ++e) {
      const std::uint8_t cls = k < size ? data[k] : 0;
      const std::uint8_t mant = k + 1 < size ? data[k + 1] : 0;
      k += 2;
      load(l, e) = value_of(cls, mant);
    }
  }
  try {
    eplb::check_load_matrix(load, "fuzz");
  } catch (const eplb::InputError&) {
    return 0;  // the loaders refuse it; nothing reaches a strategy
  }
  eplb::fuzz::plan_with_every_strategy(load, selector);
  return 0;
}
