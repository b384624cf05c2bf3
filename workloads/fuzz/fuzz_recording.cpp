// libFuzzer target for one recorded-file loader, chosen at compile time by EPLB_FUZZ_FORMAT
// (csv, sglang, vllm, harmoeny, vllm_stats; see fuzz/CMakeLists.txt). The input is the file content.
//
// Contract checked: the loader either returns a recording that satisfies every documented
// invariant (finite row and total sums included), or throws InputError; and every registered
// strategy plans what it returns validly, with finite metrics. Any other exception, a crash, a
// sanitizer report, a hang or a blow-up of memory is a finding (and becomes a test in
// tests/workloads/test_workloads_loaders.cpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "eplb/error.hpp"
#include "eplb/recorded.hpp"
#include "eplb/workload.hpp"
#include "fuzz_plan_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The first byte picks the window and zero-layer option, so windowing is fuzzed too.
  eplb::RecordingOptions options;
  options.format = eplb::RecordedFormat::EPLB_FUZZ_FORMAT;
  if (size > 0) {
    options.window = 1 + (data[0] & 3);
    options.drop_zero_layers = (data[0] & 4) == 0;
  }
  try {
    const eplb::Recording r = eplb::parse_recording(text, options, "fuzz");
    if (r.steps.empty()) std::abort();
    for (const eplb::LoadMatrix& step : r.steps) {
      if (step.rows() != r.steps.front().rows() || step.cols() != r.steps.front().cols()) {
        std::abort();
      }
      eplb::check_load_matrix(step, "fuzz result");  // throws -> not caught below -> finding
    }
    // Whatever a loader accepts, every strategy must plan validly with finite metrics.
    eplb::fuzz::plan_with_every_strategy(r.steps.front(), size > 1 ? data[1] : 0);
  } catch (const eplb::InputError& e) {
    if (std::string_view(e.what()).rfind("fuzz", 0) != 0) std::abort();  // must name the file
  }
  return 0;
}
