// Replica layouts (COMPOSITION.md section 3.4).
#include "eplb/pipeline.hpp"

namespace eplb {

void logical_layout(ReplicaLayout& layout) {
  layout.phy2m.clear();
  layout.rank.clear();
  for (std::size_t e = 0; e < layout.cnt.size(); ++e) {
    for (int r = 0; r < layout.cnt[e]; ++r) {
      layout.phy2m.push_back(static_cast<int>(e));
      layout.rank.push_back(r);
    }
  }
}

}  // namespace eplb
