// Placements in the formats serving engines load at start-up (`eplb plan --format NAME`).
//
//   sglang  {"physical_to_logical_map": [[...]]}           SGLang --init-expert-location FILE
//   vllm    one JSON Lines record "eplb_initial_mapping"    vLLM offline EPLB (initial mapping)
//   trtllm  YAML num_slots / initial_global_assignments     TensorRT-LLM moe_load_balancer: FILE
//   ascend  {"moe_layer_count", "layer_list": [...]}        vllm-ascend expert_map_path
//   eplb    eplb-lab's own JSON (phy2log, log2phy, logcnt, metrics), written by `eplb plan`
//
// Exact schemas, and which layers each engine numbers how: harness/src/export/README.md.
// In every engine slot s of a layer lives on GPU (EP rank) s / (R / P), as in eplb-lab.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eplb/types.hpp"

namespace eplb {

enum class EngineFormat { kEplb, kSglang, kVllm, kTrtllm, kAscend };

struct EngineFormatInfo {
  EngineFormat format;
  const char* name;    // the --format value
  const char* engine;  // who loads it, and how
  const char* layers;  // which layers the file lists, numbered how
};

const std::vector<EngineFormatInfo>& engine_formats();
const char* to_string(EngineFormat format);
// Throws InputError listing the valid names.
EngineFormat parse_engine_format(std::string_view name);

// A validated placement with what the engine formats need to number its layers.
struct EnginePlan {
  IndexMatrix phy2log;               // [rows x R], one row per planned layer
  int num_experts = 0;               // E (logical experts)
  int num_gpus = 1;                  // P (EP ranks); R % P == 0
  std::vector<long long> layer_ids;  // the model's layer id of each row, ascending
  // false for a row whose load is zero (a dense layer: DeepSeek-V3's layers 0-2 have no routed
  // experts, so an engine that numbers MoE layers does not count them).
  std::vector<bool> moe_rows;
  int model_layers = 0;  // layers of the model (sglang lists them all); >= last layer id + 1
};

// Builds the EnginePlan of `placement`, planned on `load` (rows = placement rows). `layer_ids`
// empty means row l is model layer l; `model_layers` 0 means last layer id + 1. Throws InputError
// when the ids are not ascending or model_layers is too small.
EnginePlan make_engine_plan(const Placement& placement, const LoadMatrix& load,
                            const Topology& topology, std::vector<long long> layer_ids,
                            int model_layers);

// The file content of `plan` in `format` (not kEplb, which `eplb plan` writes with its metrics).
// Throws InputError when the engine cannot number the layers (vllm/ascend count MoE layers from 0,
// so the planned MoE rows must be consecutive model layers).
std::string write_engine_placement(EngineFormat format, const EnginePlan& plan);

// What an engine reads back from one of these files: the slot -> expert map of each layer it
// lists, keyed by that engine's layer number (model layer for sglang and trtllm, MoE layer index
// for vllm and ascend).
struct EnginePlacement {
  std::vector<long long> layers;  // ascending
  IndexMatrix phy2log;            // [layers x slots]
  int num_gpus = 0;               // ascend lists devices; 0 where the format does not say
};

// Parses a file written in `format` (not kEplb). Strict: a wrong key, a ragged row, a negative
// or non-integer id or a layer listed twice is an InputError naming `where` and the key or line.
EnginePlacement read_engine_placement(EngineFormat format, std::string_view text,
                                      std::string_view where);

}  // namespace eplb
