// Replica layouts (COMPOSITION.md section 3.4).
#include <algorithm>

#include "eplb/pipeline.hpp"

namespace eplb {

void logical_layout(ReplicaLayout& layout) {
  // Sized once, then written in place: with a push_back per slot this function was 6% of a
  // seed002 plan's instructions.
  std::size_t total = 0;
  for (const int c : layout.cnt) total += static_cast<std::size_t>(std::max(c, 0));
  layout.phy2m.resize(total);
  layout.rank.resize(total);
  std::size_t slot = 0;
  for (std::size_t e = 0; e < layout.cnt.size(); ++e) {
    for (int r = 0; r < layout.cnt[e]; ++r, ++slot) {
      layout.phy2m[slot] = static_cast<int>(e);
      layout.rank[slot] = r;
    }
  }
}

}  // namespace eplb
