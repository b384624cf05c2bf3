// Reader for the golden vectors in tests/data/golden (format: tests/data/golden/README.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eplb/types.hpp"

namespace eplb::test {

struct GoldenInstance {
  std::string set;
  std::string id;
  Topology topology;
  std::string policy;  // "hierarchical" or "global", as the file says
  bool ties = false;
  LoadMatrix weight;
  std::optional<IndexMatrix> phy2log;  // exact expectation (ties == false)
  std::optional<IndexMatrix> logcnt;
  std::optional<IndexMatrix> ref_phy2log;  // tiebreak_reference (ties == true)
  std::optional<IndexMatrix> ref_logcnt;
  std::vector<double> balancedness_per_layer;
};

// Every set of one variant directory ("baseline", "seed000", ...), in file-name order.
std::vector<GoldenInstance> load_golden(const std::string& variant);

// Per-layer GPU balancedness exactly as the golden README defines it.
std::vector<double> golden_balancedness(const LoadMatrix& w, const IndexMatrix& phy2log,
                                        const IndexMatrix& logcnt, int num_gpus);

}  // namespace eplb::test
