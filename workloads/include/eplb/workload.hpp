// Workloads: named sequences of load matrices ("steps") with their provenance.
//
// A workload is created from a spec string through `workload_registry()` (same grammar and
// registry as strategies). A recorded file is a step sequence too: one step for an aggregate
// (SGLang statistics), many for a time series (vLLM load history, HarMoEny iterations).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/spec.hpp"
#include "eplb/types.hpp"

namespace eplb {

struct Workload {
  std::string spec;         // canonical spec that recreates this workload
  std::string description;  // one line: what the numbers are
  std::string provenance;   // where they come from: file (+ SOURCES.md section) or generator + seed
  std::vector<std::string> notes;  // e.g. "dropped 3 all-zero layers (rows 0, 1, 2)"
  std::vector<LoadMatrix> steps;   // >= 1 step, all [layers x experts] with the same shape
  // The model's layer id of each row (recorded files: e.g. 3..60 after DeepSeek-V3's dense
  // layers are dropped); empty means row l is layer l.
  std::vector<long long> layer_ids;

  int num_steps() const { return static_cast<int>(steps.size()); }
  int num_layers() const { return steps.empty() ? 0 : static_cast<int>(steps.front().rows()); }
  int num_experts() const { return steps.empty() ? 0 : static_cast<int>(steps.front().cols()); }
  long long layer_id(int row) const {
    return layer_ids.empty() ? row : layer_ids[static_cast<std::size_t>(row)];
  }
};

class WorkloadSource {
 public:
  virtual ~WorkloadSource() = default;
  // Loads or generates the workload. Throws InputError naming the file and line (or key) on bad
  // input: never a silent fallback.
  virtual Workload load() const = 0;
};

const Registry<WorkloadSource>& workload_registry();

// Accepts a spec (`zipf:exponent=1.2`) or a path to a recorded file (format detected from the
// content, as `file:path=...`). Throws InputError.
Workload make_workload(std::string_view spec_or_path);

// The canonical spec that make_workload(spec_or_path) loads, without loading it: a registered
// spec is canonicalised, an existing file becomes `file:path=<it>`. Throws InputError.
std::string resolve_workload_spec(std::string_view spec_or_path);

// Checks a load matrix read from `where` (file name, or spec): at least one layer and one expert,
// every value finite and >= 0. Throws InputError naming `where` and the first bad cell.
void check_load_matrix(const LoadMatrix& load, std::string_view where);

}  // namespace eplb
