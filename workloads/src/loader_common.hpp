// Internal pieces the recorded-file loaders share: number parsing, the step collector that checks
// shapes and sums windows, and the raw result a format parser hands back to parse_recording.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/recorded.hpp"
#include "eplb/types.hpp"

namespace eplb::detail {

// A decimal number as written in CSV (leading '+' allowed, surrounding blanks trimmed by the
// caller); nullopt unless the whole text is a number. Correctly rounded (std::from_chars).
// "nan" and "inf" parse, so the caller can name them in its message.
std::optional<double> parse_number(std::string_view text);
// A non-negative integer index (layer, step).
std::optional<long long> parse_index(std::string_view text);

// nlohmann_json's exception text without its "[json.exception.parse_error.101] " prefix.
std::string_view json_error_text(std::string_view what);

// Describes why `value` is not a load ("is negative", "is NaN", "is infinite"), or "" if it is one.
const char* load_value_problem(double value);

// Receives the steps of a recording one by one, checks that they share one shape, and sums
// consecutive steps into windows of `window`.
class StepCollector {
 public:
  StepCollector(int window, std::string where);

  // Adds one step, row-major [layers x experts]. `at` says where the step came from ("line 12",
  // "load_history[3]") for the shape error.
  void add(const double* values, Eigen::Index layers, Eigen::Index experts, std::string_view at);

  long long raw_steps() const { return raw_steps_; }

  // The windowed steps. An incomplete last window is dropped with a note; a recording shorter than
  // one window is an InputError.
  std::vector<LoadMatrix> finish(std::vector<std::string>& notes);

 private:
  int window_;
  std::string where_;
  Eigen::Index layers_ = -1;
  Eigen::Index experts_ = -1;
  std::string first_at_;
  LoadMatrix acc_;
  int in_acc_ = 0;
  long long raw_steps_ = 0;
  std::vector<LoadMatrix> out_;
};

// What a format parser returns: windowed steps plus the model's id of each row.
struct RawRecording {
  RecordedFormat format = RecordedFormat::kAuto;
  std::string what;
  std::vector<std::string> notes;
  std::vector<LoadMatrix> steps;
  std::vector<long long> layer_ids;  // one per row
};

RawRecording parse_csv_recording(std::string_view text, const RecordingOptions& options,
                                 std::string_view where);
RawRecording parse_json_recording(std::string_view text, const RecordingOptions& options,
                                  std::string_view where);
RawRecording parse_vllm_stats_recording(std::string_view text, const RecordingOptions& options,
                                        std::string_view where);
RawRecording parse_trtllm_recording(std::string_view meta_info,
                                    const std::vector<TrtllmRankFile>& ranks,
                                    const RecordingOptions& options, std::string_view where);

// The windowed, checked Recording of a format parser's result: drops all-zero layers when asked,
// notes non-identity layer ids, checks every matrix.
Recording finish_recording(RawRecording raw, const RecordingOptions& options,
                           std::string_view where);

// A TensorRT-LLM statistics directory: `path` is the directory or its meta_info.json.
bool is_trtllm_statistics(const std::string& path);
struct TrtllmFiles {
  std::string dir;
  std::string meta_info;
  std::vector<TrtllmRankFile> ranks;  // in rank order
};
TrtllmFiles read_trtllm_files(const std::string& path);

// The whole content of `path`; InputError if it is missing, a directory or unreadable.
std::string read_file_text(const std::string& path);

// "0-2, 5, 7-9": compact text of ascending ids.
std::string format_id_ranges(const std::vector<long long>& ids);

}  // namespace eplb::detail
