// libFuzzer target for the TensorRT-LLM statistics loader (meta_info.json + rank<r>.safetensors).
// One input holds all the files: the first byte picks window / zero-layer options, the next two
// bytes (little-endian) the length of meta_info.json's text, and the rest is split into rank files
// at each "\nRANK\n" marker, so the fuzzer mutates the JSON and the binary safetensors together.
//
// Contract checked: the loader returns a recording that satisfies every documented invariant, or
// throws InputError naming the directory ("fuzz"). Anything else is a finding (and becomes a test
// in tests/workloads/test_workloads_engine_stats.cpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/recorded.hpp"
#include "eplb/workload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  eplb::RecordingOptions options;
  options.window = 1 + (data[0] & 3);
  options.drop_zero_layers = (data[0] & 4) == 0;
  std::size_t meta_len = static_cast<std::size_t>(data[1]) | (static_cast<std::size_t>(data[2]) << 8);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  meta_len = std::min(meta_len, rest.size());
  const std::string_view meta = rest.substr(0, meta_len);
  std::vector<eplb::TrtllmRankFile> ranks;
  std::string_view files = rest.substr(meta_len);
  constexpr std::string_view kMarker = "\nRANK\n";
  while (!files.empty() || ranks.empty()) {
    const std::size_t cut = files.find(kMarker);
    ranks.push_back({"rank" + std::to_string(ranks.size()) + ".safetensors",
                     std::string(files.substr(0, cut))});
    if (cut == std::string_view::npos) break;
    files.remove_prefix(cut + kMarker.size());
  }
  try {
    const eplb::Recording r = eplb::parse_trtllm_statistics(meta, ranks, options, "fuzz");
    if (r.steps.empty() || r.layer_ids.size() != static_cast<std::size_t>(r.steps.front().rows())) {
      std::abort();
    }
    for (const eplb::LoadMatrix& step : r.steps) {
      if (step.rows() != r.steps.front().rows() || step.cols() != r.steps.front().cols()) {
        std::abort();
      }
      eplb::check_load_matrix(step, "fuzz result");
    }
  } catch (const eplb::InputError& e) {
    if (std::string_view(e.what()).rfind("fuzz", 0) != 0) std::abort();
  }
  return 0;
}
