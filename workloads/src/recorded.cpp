// Recorded workloads: format dispatch, the post-processing every format shares (windowing,
// dropping all-zero layers, final checks), the bundled recordings and check_load_matrix.
#include "eplb/recorded.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "eplb/error.hpp"
#include "eplb/workload.hpp"
#include "loader_common.hpp"

namespace eplb {
namespace detail {

std::optional<double> parse_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() == '+') return std::nullopt;
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves `value` untouched here; strtod (also correctly rounding) gives the
    // overflow as +-inf, which the caller reports, and an underflow as 0 or a subnormal.
    const std::string copy(text);
    return std::strtod(copy.c_str(), nullptr);
  }
  if (ec != std::errc()) return std::nullopt;
  return value;
}

std::optional<long long> parse_index(std::string_view text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  return value;
}

std::string_view json_error_text(std::string_view what) {
  const std::size_t close = what.find("] ");
  if (close != std::string_view::npos) what.remove_prefix(close + 2);
  return what;
}

const char* load_value_problem(double value) {
  if (std::isnan(value)) return "is NaN";
  if (std::isinf(value)) return "is infinite";
  if (value < 0.0) return "is negative";
  return "";
}

std::string read_file_text(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(fmt::format("{}: no such file", path));
  if (fs::is_directory(status)) {
    throw InputError(fmt::format("{}: is a directory; give a recorded load file", path));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw InputError(fmt::format("{}: cannot open the file for reading", path));
  std::string text;
  char buffer[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw InputError(fmt::format("{}: read error", path));
  return text;
}

std::string format_id_ranges(const std::vector<long long>& ids) {
  std::string out;
  std::size_t i = 0;
  while (i < ids.size()) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += j == i ? fmt::format("{}", ids[i]) : fmt::format("{}-{}", ids[i], ids[j]);
    i = j + 1;
  }
  return out;
}

StepCollector::StepCollector(int window, std::string where)
    : window_(window), where_(std::move(where)) {}

void StepCollector::add(const double* values, Eigen::Index layers, Eigen::Index experts,
                        std::string_view at) {
  if (layers > kMaxLayers || experts > kMaxExperts ||
      static_cast<long long>(layers) * experts > kMaxMatrixCells) {
    throw InputError(fmt::format(
        "{}: {} has {} layers x {} experts, beyond the limits of {} layers, {} experts and {} "
        "values per step (README, Limits)",
        where_, at, layers, experts, kMaxLayers, kMaxExperts, kMaxMatrixCells));
  }
  if (layers_ < 0) {
    layers_ = layers;
    experts_ = experts;
    first_at_ = std::string(at);
  } else if (layers != layers_ || experts != experts_) {
    throw InputError(
        fmt::format("{}: {} has {} layers x {} experts, but {} has {} x {}; every step must have "
                    "the same shape",
                    where_, at, layers, experts, first_at_, layers_, experts_));
  }
  ++raw_steps_;
  const Eigen::Map<const LoadMatrix> step(values, layers, experts);
  if (window_ == 1) {
    out_.emplace_back(step);
    return;
  }
  if (in_acc_ == 0) {
    acc_ = step;
  } else {
    acc_ += step;
  }
  if (++in_acc_ == window_) {
    out_.push_back(std::move(acc_));
    acc_ = LoadMatrix();
    in_acc_ = 0;
  }
}

std::vector<LoadMatrix> StepCollector::finish(std::vector<std::string>& notes) {
  if (raw_steps_ == 0) throw InputError(fmt::format("{}: no steps (no load matrix)", where_));
  if (out_.empty()) {
    throw InputError(
        fmt::format("{}: window={} is longer than the {} step(s) recorded; lower "
                    "the window",
                    where_, window_, raw_steps_));
  }
  if (window_ > 1) {
    notes.push_back(fmt::format("summed {} recorded steps into {} windows of {}",
                                raw_steps_ - in_acc_, out_.size(), window_));
  }
  if (in_acc_ > 0) {
    notes.push_back(fmt::format("dropped the last {} recorded step(s): an incomplete window of {}",
                                in_acc_, window_));
  }
  return std::move(out_);
}

}  // namespace detail

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Removes the layers that are zero in every step; returns the ids of the removed ones.
std::vector<long long> drop_zero_layers(std::vector<LoadMatrix>& steps,
                                        std::vector<long long>& layer_ids) {
  const Eigen::Index layers = steps.front().rows();
  std::vector<Eigen::Index> keep;
  std::vector<long long> dropped;
  for (Eigen::Index l = 0; l < layers; ++l) {
    bool zero = true;
    for (const LoadMatrix& step : steps) zero = zero && (step.row(l).array() == 0.0).all();
    if (zero) {
      dropped.push_back(layer_ids[static_cast<std::size_t>(l)]);
    } else {
      keep.push_back(l);
    }
  }
  if (dropped.empty() || keep.empty()) return dropped;
  for (LoadMatrix& step : steps) {
    LoadMatrix kept(static_cast<Eigen::Index>(keep.size()), step.cols());
    for (std::size_t i = 0; i < keep.size(); ++i) {
      kept.row(static_cast<Eigen::Index>(i)) = step.row(keep[i]);
    }
    step = std::move(kept);
  }
  std::vector<long long> kept_ids;
  for (const Eigen::Index l : keep) kept_ids.push_back(layer_ids[static_cast<std::size_t>(l)]);
  layer_ids = std::move(kept_ids);
  return dropped;
}

}  // namespace

const char* to_string(RecordedFormat format) {
  switch (format) {
    case RecordedFormat::kAuto:
      return "auto";
    case RecordedFormat::kCsv:
      return "csv";
    case RecordedFormat::kSglang:
      return "sglang";
    case RecordedFormat::kVllm:
      return "vllm";
    case RecordedFormat::kHarmoeny:
      return "harmoeny";
    case RecordedFormat::kVllmStats:
      return "vllm_stats";
    case RecordedFormat::kTrtllm:
      return "trtllm";
  }
  return "?";
}

RecordedFormat parse_recorded_format(std::string_view text) {
  for (const RecordedFormat f :
       {RecordedFormat::kAuto, RecordedFormat::kCsv, RecordedFormat::kSglang, RecordedFormat::kVllm,
        RecordedFormat::kHarmoeny, RecordedFormat::kVllmStats, RecordedFormat::kTrtllm}) {
    if (text == to_string(f)) return f;
  }
  throw InputError(fmt::format(
      "unknown recorded format '{}'; valid: auto, csv, sglang, vllm, harmoeny, vllm_stats, trtllm",
      text));
}

Recording parse_recording(std::string_view text, const RecordingOptions& options,
                          std::string_view where) {
  if (options.window < 1) {
    throw InputError(fmt::format("{}: window={} must be >= 1", where, options.window));
  }
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    throw InputError(fmt::format(
        "{}: the file is empty; expected a CSV header such as 'layer,e0,e1,...' or a JSON object "
        "with 'logical_count' (SGLang) or 'load_history' (vLLM)",
        where));
  }
  if (options.format == RecordedFormat::kTrtllm) {
    throw InputError(fmt::format(
        "{}: format=trtllm reads a directory (meta_info.json and rank<r>.safetensors); give the "
        "directory",
        where));
  }
  const bool json_like = text[first] == '{' || text[first] == '[';
  // JSON Lines: vLLM's offline-EPLB records each carry "record_type".
  const std::size_t first_end = text.find('\n', first);
  const bool jsonl_like =
      json_like && text.substr(first, first_end == std::string_view::npos ? std::string_view::npos
                                                                          : first_end - first)
                           .find("\"record_type\"") != std::string_view::npos;
  const RecordedFormat format = options.format;
  if (format == RecordedFormat::kVllmStats || (format == RecordedFormat::kAuto && jsonl_like)) {
    if (!json_like) {
      throw InputError(fmt::format(
          "{}: format=vllm_stats expects JSON Lines records, but the file starts with '{}'", where,
          text[first]));
    }
    return detail::finish_recording(detail::parse_vllm_stats_recording(text, options, where),
                                    options, where);
  }
  const bool want_json = format == RecordedFormat::kSglang || format == RecordedFormat::kVllm;
  const bool want_csv = format == RecordedFormat::kCsv || format == RecordedFormat::kHarmoeny;
  if (want_json && !json_like) {
    throw InputError(
        fmt::format("{}: format={} expects a JSON object, but the file starts with "
                    "'{}'; use format=auto to detect the format",
                    where, to_string(format), text[first]));
  }
  if (want_csv && json_like) {
    throw InputError(
        fmt::format("{}: format={} expects CSV, but the file looks like JSON; use "
                    "format=auto to detect the format",
                    where, to_string(format)));
  }
  return detail::finish_recording(json_like ? detail::parse_json_recording(text, options, where)
                                            : detail::parse_csv_recording(text, options, where),
                                  options, where);
}

Recording parse_trtllm_statistics(std::string_view meta_info,
                                  const std::vector<TrtllmRankFile>& ranks,
                                  const RecordingOptions& options, std::string_view where) {
  if (options.window < 1) {
    throw InputError(fmt::format("{}: window={} must be >= 1", where, options.window));
  }
  return detail::finish_recording(detail::parse_trtllm_recording(meta_info, ranks, options, where),
                                  options, where);
}

Recording detail::finish_recording(RawRecording raw, const RecordingOptions& options,
                                   std::string_view where) {
  Recording out;
  out.format = raw.format;
  out.what = std::move(raw.what);
  out.notes = std::move(raw.notes);
  if (options.drop_zero_layers) {
    const std::vector<long long> dropped = drop_zero_layers(raw.steps, raw.layer_ids);
    if (dropped.size() == static_cast<std::size_t>(raw.steps.front().rows())) {
      throw InputError(fmt::format(
          "{}: every layer is zero in every step, nothing to balance (drop_zero_layers=false "
          "keeps them)",
          where));
    }
    if (!dropped.empty()) {
      out.notes.push_back(fmt::format("dropped {} all-zero layer(s): {}", dropped.size(),
                                      detail::format_id_ranges(dropped)));
    }
  }
  bool identity = true;
  for (std::size_t i = 0; i < raw.layer_ids.size(); ++i) {
    identity = identity && raw.layer_ids[i] == static_cast<long long>(i);
  }
  if (!identity) {
    out.notes.push_back(
        fmt::format("rows are the model's layers {}", detail::format_id_ranges(raw.layer_ids)));
  }
  // The parsers check every value as they read it; this re-check of the final matrices keeps the
  // guarantee in one visible place (and costs one pass over data already in cache).
  for (std::size_t s = 0; s < raw.steps.size(); ++s) {
    check_load_matrix(raw.steps[s], fmt::format("{} (step {})", where, s));
  }
  out.steps = std::move(raw.steps);
  out.layer_ids = std::move(raw.layer_ids);
  return out;
}

Recording read_recording(const std::string& path, const RecordingOptions& options) {
  if (options.format == RecordedFormat::kTrtllm ||
      (options.format == RecordedFormat::kAuto && detail::is_trtllm_statistics(path))) {
    const detail::TrtllmFiles files = detail::read_trtllm_files(path);
    return parse_trtllm_statistics(files.meta_info, files.ranks, options, files.dir);
  }
  return parse_recording(detail::read_file_text(path), options, path);
}

const std::vector<BundledRecording>& bundled_recordings() {
  static const std::vector<BundledRecording> list = [] {
    std::vector<BundledRecording> v;
    for (const char* run : {"decode_in1000out1000", "decode_in500out1500", "prefill_in512",
                            "prefill_in1024", "prefill_in4096", "prefill_in1000out1000",
                            "prefill_in1800out100", "prefill_in2000out100"}) {
      v.push_back({fmt::format("v3_{}", run), fmt::format("deepseek_v3_sglang/{}.json", run),
                   RecordedFormat::kSglang, "auto", "auto",
                   fmt::format("DeepSeek-V3 SGLang EP statistics, {}: 1 aggregate of 58 MoE "
                               "layers x 256 experts (top-8)",
                               run)});
    }
    for (const char* ds : {"bookcorpus", "wikitext", "wmt19", "random"}) {
      v.push_back({fmt::format("harmoeny_qwen_{}", ds),
                   "harmoeny/expert_freq_qwen_policy_datasets.csv", RecordedFormat::kHarmoeny,
                   "auto", ds,
                   fmt::format("HarMoEny Qwen1.5-MoE-A2.7B (argmax top-1 router), {}: 20 "
                               "iterations x 12 layers x 60 experts",
                               ds)});
    }
    for (const char* ds : {"bookcorpus", "wikitext", "wmt19", "random"}) {
      v.push_back({fmt::format("harmoeny_switch_{}", ds),
                   "harmoeny/expert_freq_switch128_datasets.csv", RecordedFormat::kHarmoeny, "auto",
                   ds,
                   fmt::format("HarMoEny switch-base-128, {}: 30 iterations x 12 layers (0-5 "
                               "encoder, 6-11 decoder) x 128 experts",
                               ds)});
    }
    const std::string olmoe = "olmoe_routing_analysis/olmoe_expert_counts_layers_0_7_15.csv";
    for (const char* ds : {"arxiv", "book", "c4", "github", "wikipedia", "tulu"}) {
      v.push_back({fmt::format("olmoe_{}", ds), olmoe, RecordedFormat::kCsv,
                   "allenai/OLMoE-1B-7B-0924", ds,
                   fmt::format("OLMoE-1B-7B (top-8), {} text, ~205k tokens: layers 0, 7, 15 x 64 "
                               "experts",
                               ds)});
    }
    v.push_back({"olmoe_sft_tulu", olmoe, RecordedFormat::kCsv, "allenai/OLMoE-1B-7B-0924-SFT",
                 "tulu", "OLMoE-1B-7B-SFT (top-8), tulu: layers 0, 7, 15 x 64 experts"});
    v.push_back({"olmoe_instruct_tulu", olmoe, RecordedFormat::kCsv,
                 "allenai/OLMoE-1B-7B-0924-Instruct", "tulu",
                 "OLMoE-1B-7B-Instruct (top-8), tulu: layers 0, 7, 15 x 64 experts"});
    for (const char* ds : {"arxiv", "book", "c4", "github", "wikipedia"}) {
      v.push_back({fmt::format("mixtral_{}", ds),
                   "olmoe_routing_analysis/mixtral_expert_counts_layers_0_7_15.csv",
                   RecordedFormat::kCsv, "mistralai/Mixtral-8x7B-v0.1", ds,
                   fmt::format("Mixtral-8x7B-v0.1 (top-2), {} text, ~205k tokens: layers 0, 7, "
                               "15 x 8 experts",
                               ds)});
    }
    v.push_back({"mixtral_eras",
                 "mixtral_8x7b_moe_eras/mixtral_8x7b_expert_activation_counts_32x8.csv",
                 RecordedFormat::kCsv, "auto", "auto",
                 "Mixtral-8x7B activation counts (MoE-ERAS; dataset not stated): 32 layers x 8 "
                 "experts"});
    return v;
  }();
  return list;
}

const BundledRecording& find_bundled_recording(std::string_view name) {
  std::string names;
  for (const BundledRecording& r : bundled_recordings()) {
    if (r.name == name) return r;
    names += names.empty() ? r.name : ", " + r.name;
  }
  throw InputError(fmt::format("unknown bundled recording '{}'; valid names: {}", name, names));
}

std::string bundled_data_dir() {
  const char* env = std::getenv("EPLB_DATA_DIR");
  if (env != nullptr && *env != '\0') return env;
  return std::string(EPLB_SOURCE_DIR) + "/workloads/data";
}

void check_load_matrix(const LoadMatrix& load, std::string_view where) {
  if (load.rows() < 1 || load.cols() < 1) {
    throw InputError(
        fmt::format("{}: the load matrix is {} layers x {} experts; it needs at "
                    "least one layer and one expert",
                    where, load.rows(), load.cols()));
  }
  double total = 0.0;
  for (Eigen::Index l = 0; l < load.rows(); ++l) {
    double row = 0.0;
    for (Eigen::Index e = 0; e < load.cols(); ++e) {
      const double v = load(l, e);
      if (!(v >= 0.0) || std::isinf(v)) {
        throw InputError(
            fmt::format("{}: layer {}, expert {}: value {} {}; loads must be finite "
                        "and >= 0",
                        where, l, e, v, detail::load_value_problem(v)));
      }
      row += v;
    }
    // Strategies and metrics add a layer's loads (pack, GPU, node and slot sums of rounded
    // replica loads, and refiners double differences of pack loads): a quarter of the double
    // range leaves room for both, so every sum they form, and every metric, stays finite.
    if (!(row <= kMaxLoadSum)) {
      throw InputError(
          fmt::format("{}: layer {}: the loads sum to {:.4g}, above the limit of {:.4g} (a quarter "
                      "of the double range, so that sums of replica loads stay finite); scale "
                      "the loads down",
                      where, l, row, kMaxLoadSum));
    }
    total += row;
    if (!(total <= kMaxLoadSum)) {
      throw InputError(
          fmt::format("{}: the loads of layers 0..{} sum to {:.4g}, above the limit of {:.4g} (a "
                      "quarter of the double range); scale the loads down",
                      where, l, total, kMaxLoadSum));
    }
  }
}

}  // namespace eplb
