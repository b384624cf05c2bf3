// Recorded expert loads: the file formats eplb-lab reads, and the recordings bundled with it.
//
// Formats (workloads/README.md, "Formats", has examples):
//   csv       wide CSV: key columns [model,][dataset,][step,]layer, then expert columns e0..eN-1
//             (or 0..N-1); one matrix, or a time series when a step column is present
//   sglang    SGLang expert-distribution JSON {"logical_count": [[...]]}, layers x experts
//   vllm      vLLM EPLB load history JSON {"load_history": [{"logical_expert_load": [[...]]}, ...]}
//   harmoeny  HarMoEny long CSV `,dataset,iteration,layer_idx,0,...,E-1` (pandas index first)
//   vllm_stats  vLLM offline-EPLB load statistics, JSON Lines: records {"record_type":
//             "eplb_load_stats","step":S,"expert_load":[L][P],"p2l_map":[L][P]} (one step each,
//             physical loads folded to logical experts through p2l_map; other records ignored)
//   trtllm    TensorRT-LLM expert statistics: a directory with meta_info.json ({"num_experts":E})
//             and rank<r>.safetensors (keys "<iter>_<layer>", E counts each), summed over ranks
// `auto` detects the format from the content: a directory with meta_info.json is TensorRT-LLM's;
// JSON by its first character, JSON Lines by a "record_type" key on the first line, SGLang/vLLM
// JSON by the top-level key, HarMoEny by its header, otherwise the wide CSV.
//
// Every loader reports bad input as InputError naming the file and the line (CSV) or the key path
// (JSON), and the fix. Numbers are parsed with correctly rounding parsers (std::from_chars,
// nlohmann_json's strtod-based lexer). The vLLM history is read with a streaming (SAX) parser that
// sums windows as it goes, so a long history never holds more than one window's matrices beside
// the text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eplb/types.hpp"

namespace eplb {

enum class RecordedFormat { kAuto, kCsv, kSglang, kVllm, kHarmoeny, kVllmStats, kTrtllm };

// "auto", "csv", "sglang", "vllm", "harmoeny", "vllm_stats", "trtllm"
const char* to_string(RecordedFormat format);
// Throws InputError listing the valid names.
RecordedFormat parse_recorded_format(std::string_view text);

struct RecordingOptions {
  RecordedFormat format = RecordedFormat::kAuto;
  // Row filters for files with a model / dataset column. "auto" accepts a file that holds exactly
  // one value; with several, the error lists them.
  std::string model = "auto";
  std::string dataset = "auto";
  // Drops layers whose load is zero in every step (DeepSeek-V3's dense layers 0-2), with a note.
  bool drop_zero_layers = true;
  // Sums consecutive steps into windows of this many steps; an incomplete last window is
  // dropped with a note.
  int window = 1;
};

struct Recording {
  RecordedFormat format = RecordedFormat::kAuto;  // the detected (or forced) format
  std::string what;                               // one line: format and raw shape
  std::vector<std::string> notes;                 // dropped layers, dropped steps, layer ids
  std::vector<LoadMatrix> steps;                  // >= 1, all of one shape, finite and >= 0
  std::vector<long long> layer_ids;               // the model's layer id of each row
};

// Parses `text`, the content of the file `where` (used in messages only).
Recording parse_recording(std::string_view text, const RecordingOptions& options,
                          std::string_view where);
// Reads `path` and parses it; a missing or unreadable file is an InputError. A directory (or its
// meta_info.json) is read as TensorRT-LLM statistics.
Recording read_recording(const std::string& path, const RecordingOptions& options);

// One rank<r>.safetensors file of TensorRT-LLM's expert statistics: its name and its bytes.
struct TrtllmRankFile {
  std::string name;
  std::string bytes;
};

// TensorRT-LLM statistics from memory: meta_info.json's text and the rank files. The safetensors
// are parsed by hand (8-byte little-endian header length, JSON header, raw little-endian data)
// and checked strictly: dtype, shape [num_experts], offsets inside the data and tiling it
// exactly, keys "<iter>_<layer>", every (iteration, layer) present. Steps are iterations, rows
// are layers (their model layer ids go to the notes), counts summed over the ranks.
Recording parse_trtllm_statistics(std::string_view meta_info, const std::vector<TrtllmRankFile>& ranks,
                                  const RecordingOptions& options, std::string_view where);

// A recording shipped in workloads/data (provenance in workloads/data/SOURCES.md), reachable as
// `recorded:name=<name>` so that experiments never spell paths.
struct BundledRecording {
  std::string name;
  std::string file;  // relative to bundled_data_dir()
  RecordedFormat format = RecordedFormat::kAuto;
  std::string model = "auto";
  std::string dataset = "auto";
  std::string doc;  // one line: model, data, shape
};

const std::vector<BundledRecording>& bundled_recordings();
// Throws InputError listing the bundled names.
const BundledRecording& find_bundled_recording(std::string_view name);

// $EPLB_DATA_DIR when set, else <EPLB_SOURCE_DIR>/workloads/data (compiled in).
std::string bundled_data_dir();

}  // namespace eplb
