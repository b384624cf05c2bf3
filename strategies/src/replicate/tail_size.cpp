// Tail size of the hybrid_tail and peak_tail replicators: how many of the `red` redundant slots
// of a node are allocated by the tail rule instead of D'Hondt.
//
//   tail = min(red, max(tail_min, round(red * tail_fraction)))
//
// Origin: seed003 uses max(1, red / 10) (floor), seed004 / seed001 / seed000 use
// max(1, (red + 9) / 10) (ceil), COMPOSITION.md sections 4.2, 4.3 and 6 (assumption A2). Both are
// integer formulas. Evaluating red * 0.1 in floating point would not reproduce them: 0.1 is not a
// double, and e.g. ceil(30 * 0.1) = ceil(3.0000000000000004) = 4, while (30 + 9) / 10 = 3. So the
// fraction is first rounded to an integer number of parts per million and the rounding is done in
// integer arithmetic.
//
// Limits: the fraction has a resolution of 1e-6 (fractions closer than that are the same fraction);
// red * 1e6 must fit in 64 bits, which holds for any int red. A tail of 0 (tail_min = 0 with a
// small fraction) makes the replicator plain D'Hondt.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "apportion.hpp"
#include "components.hpp"
#include "eplb/error.hpp"

namespace eplb::detail {

int tail_size(const ReplicateOptions& options, int red) {
  constexpr std::int64_t kMillion = 1'000'000;
  const std::int64_t ppm = std::llround(options.tail_fraction * 1e6);
  const std::int64_t scaled = static_cast<std::int64_t>(red) * ppm;
  const std::int64_t rounded = options.tail_rounding == TailRounding::kFloor
                                   ? scaled / kMillion
                                   : (scaled + kMillion - 1) / kMillion;
  const std::int64_t tail = std::max<std::int64_t>(options.tail_min, rounded);
  return static_cast<int>(std::min<std::int64_t>(tail, red));
}

void check_tail_options(const ReplicateOptions& options, const char* replicator) {
  if (!(options.tail_fraction >= 0.0 && options.tail_fraction <= 1.0))
    throw InputError(fmt::format("replicate={}: tail={} is out of range; use a fraction in [0, 1]",
                                 replicator, options.tail_fraction));
  if (options.tail_min < 0)
    throw InputError(fmt::format("replicate={}: tail_min={} is negative; use 0 or more", replicator,
                                 options.tail_min));
}

}  // namespace eplb::detail
