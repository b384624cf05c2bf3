// The workload registry: every built-in source, listed here explicitly (no static
// self-registration), and make_workload, which turns a spec or a file path into a Workload.
//
// Entries: `file` (a recorded file in any supported format), `recorded` (a bundled recording by
// name), and the synthetic families `uniform`, `zipf`, `hot_experts`, `hot_groups`. Every entry
// has `window`, which sums consecutive steps, so a plan-on-t / score-on-t+1 protocol can use
// windows of any length.
#include <fmt/core.h>

#include <filesystem>

#include "eplb/error.hpp"
#include "eplb/recorded.hpp"
#include "eplb/workload.hpp"
#include "loader_common.hpp"
#include "synthetic.hpp"

namespace eplb {
namespace {

// String parameters cannot default to "" (the spec grammar has no empty values), so a required
// path or name defaults to this marker and the source refuses it.
constexpr const char* kRequired = "required";

ParamDesc window_param() {
  return int_param("window", 1, 1, 1 << 20,
                   "sum consecutive steps into windows of this many (an incomplete last window is "
                   "dropped)");
}

// FNV-1a 64 of the file content: cheap, and enough for a manifest to notice that a file changed
// under the same path.
std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Loads a recorded file into a Workload; `spec` and `origin` (e.g. the SOURCES.md section of a
// bundled file) are the caller's.
Workload load_recording(const std::string& path, const RecordingOptions& options, std::string spec,
                        std::string_view origin) {
  std::string text;  // the bytes the checksum covers
  Recording r;
  if (options.format == RecordedFormat::kTrtllm ||
      (options.format == RecordedFormat::kAuto && detail::is_trtllm_statistics(path))) {
    const detail::TrtllmFiles files = detail::read_trtllm_files(path);
    text = files.meta_info;
    for (const TrtllmRankFile& f : files.ranks) text += f.bytes;
    r = parse_trtllm_statistics(files.meta_info, files.ranks, options, files.dir);
  } else {
    text = detail::read_file_text(path);
    r = parse_recording(text, options, path);
  }
  Workload w;
  w.spec = std::move(spec);
  w.description = r.what;
  w.provenance = fmt::format("file {} ({} bytes, fnv1a64 {:016x}, format {}){}", path, text.size(),
                             fnv1a64(text), to_string(r.format), origin);
  w.notes = std::move(r.notes);
  w.steps = std::move(r.steps);
  w.layer_ids = std::move(r.layer_ids);
  w.content_hash = fmt::format("fnv1a64:{:016x}", fnv1a64(text));
  return w;
}

class FileSource final : public WorkloadSource {
 public:
  explicit FileSource(const ParamValues& v)
      : spec_(canonical_spec("file", v)), path_(v.get_string("path")) {
    if (path_ == kRequired) {
      throw InputError(
          "workload 'file': give the file with path=PATH (paths cannot contain ',', '=' or "
          "whitespace)");
    }
    options_.format = parse_recorded_format(v.get_string("format"));
    options_.model = v.get_string("model");
    options_.dataset = v.get_string("dataset");
    options_.drop_zero_layers = v.get_bool("drop_zero_layers");
    options_.window = v.get_int("window");
  }

  Workload load() const override { return load_recording(path_, options_, spec_, ""); }

 private:
  std::string spec_;
  std::string path_;
  RecordingOptions options_;
};

class BundledSource final : public WorkloadSource {
 public:
  explicit BundledSource(const ParamValues& v) : spec_(canonical_spec("recorded", v)) {
    const std::string& name = v.get_string("name");
    if (name == kRequired) {
      std::string names;
      for (const BundledRecording& r : bundled_recordings()) {
        names += names.empty() ? r.name : ", " + r.name;
      }
      throw InputError(fmt::format("workload 'recorded': give name=NAME, one of: {}", names));
    }
    recording_ = &find_bundled_recording(name);
    options_.format = recording_->format;
    options_.model = recording_->model;
    options_.dataset = recording_->dataset;
    options_.drop_zero_layers = v.get_bool("drop_zero_layers");
    options_.window = v.get_int("window");
  }

  Workload load() const override {
    const std::string dir = bundled_data_dir();
    const std::string path = dir + "/" + recording_->file;
    if (!std::filesystem::exists(path)) {
      throw InputError(
          fmt::format("recorded:name={}: {} does not exist; bundled data are read from "
                      "<source>/workloads/data, or from $EPLB_DATA_DIR when set (now: {})",
                      recording_->name, path, dir));
    }
    Workload w =
        load_recording(path, options_, spec_,
                       fmt::format("; workloads/data/SOURCES.md, {}",
                                   recording_->file.substr(0, recording_->file.find('/'))));
    w.description = fmt::format("{} [{}]", recording_->doc, w.description);
    return w;
  }

 private:
  std::string spec_;
  const BundledRecording* recording_ = nullptr;
  RecordingOptions options_;
};

class SyntheticSource final : public WorkloadSource {
 public:
  SyntheticSource(const char* name, detail::SyntheticConfig config, int window)
      : name_(name), config_(config), window_(window) {}

  Workload load() const override {
    const std::string owner = fmt::format("workload '{}'", name_);
    Workload w;
    w.spec = spec_;
    w.description = detail::describe_synthetic(config_);
    w.provenance = fmt::format(
        "synthetic: generator {}, seed {} (workloads/src/synthetic.cpp; mt19937_64 streams "
        "seeded by SplitMix64, portable distributions)",
        name_, config_.seed);
    std::vector<LoadMatrix> raw = detail::generate_synthetic(config_, owner);
    detail::StepCollector collector(window_, owner);
    for (std::size_t t = 0; t < raw.size(); ++t) {
      collector.add(raw[t].data(), raw[t].rows(), raw[t].cols(), fmt::format("step {}", t));
    }
    w.steps = collector.finish(w.notes);
    if (config_.family == detail::Family::kUniform && config_.drift > 0.0) {
      w.notes.push_back("drift has no effect on uniform loads");
    }
    return w;
  }

  void set_spec(std::string spec) { spec_ = std::move(spec); }

 private:
  std::string name_;
  detail::SyntheticConfig config_;
  int window_;
  std::string spec_;
};

std::vector<ParamDesc> synthetic_params(std::vector<ParamDesc> family) {
  std::vector<ParamDesc> params = {
      int_param("seed", 0, 0, 2147483647, "random seed (mt19937_64 streams per layer and step)"),
      int_param("layers", 58, 1, 4096, "MoE layers"),
      int_param("experts", 256, 1, 65536, "logical experts per layer"),
      int_param("steps", 1, 1, 1000000, "steps (time series length)"),
      double_param("tokens", 65536.0, 1e-9, 1e15, "load per layer per step"),
      double_param("drift", 0.0, 0.0, 100.0,
                   "popularity drift: adjacent rank swaps per step, as a multiple of units - 1 "
                   "(0: every step has the same expected load)"),
      int_param("batch", 0, 0, 1 << 30,
                "multinomial draws per layer per step, scaled to tokens (0: exact expected "
                "loads)"),
  };
  for (ParamDesc& d : family) params.push_back(std::move(d));
  params.push_back(window_param());
  return params;
}

detail::SyntheticConfig common_config(detail::Family family, const ParamValues& v) {
  detail::SyntheticConfig c;
  c.family = family;
  c.seed = static_cast<std::uint64_t>(v.get_int("seed"));
  c.layers = v.get_int("layers");
  c.experts = v.get_int("experts");
  c.steps = v.get_int("steps");
  c.tokens = v.get_double("tokens");
  c.drift = v.get_double("drift");
  c.batch = v.get_int("batch");
  return c;
}

using Entry = Registry<WorkloadSource>::Entry;

Entry synthetic_entry(const char* name, const char* doc, detail::Family family,
                      std::vector<ParamDesc> family_params,
                      void (*configure)(detail::SyntheticConfig&, const ParamValues&)) {
  return {name, "generator", doc, synthetic_params(std::move(family_params)),
          [name, family, configure](const ParamValues& v) -> std::unique_ptr<WorkloadSource> {
            detail::SyntheticConfig c = common_config(family, v);
            configure(c, v);
            auto source = std::make_unique<SyntheticSource>(name, c, v.get_int("window"));
            source->set_spec(canonical_spec(name, v));
            return source;
          }};
}

Registry<WorkloadSource> build_registry() {
  Registry<WorkloadSource> r("workload");
  r.add({"file",
         "recorded",
         "a recorded load file: wide CSV, SGLang JSON, vLLM history JSON, HarMoEny CSV, vLLM "
         "offline-EPLB stats JSONL or a TensorRT-LLM statistics directory",
         {string_param("path", kRequired,
                       "the file (required; no ',', '=' or whitespace in the path)"),
          choice_param("format", "auto",
                       {"auto", "csv", "sglang", "vllm", "harmoeny", "vllm_stats", "trtllm"},
                       "file format; auto detects it from the content"),
          string_param("model", "auto", "rows of this model (CSV with a model column)"),
          string_param("dataset", "auto",
                       "rows of this dataset (CSV with a dataset column, e.g. HarMoEny)"),
          bool_param("drop_zero_layers", true, "drop layers that are zero in every step"),
          window_param()},
         [](const ParamValues& v) { return std::make_unique<FileSource>(v); }});
  r.add({"recorded",
         "recorded",
         "a recording bundled in workloads/data, by name (eplb workloads lists them)",
         {string_param("name", kRequired,
                       "bundled recording (required), e.g. "
                       "v3_decode_in1000out1000, harmoeny_qwen_wikitext"),
          bool_param("drop_zero_layers", true, "drop layers that are zero in every step"),
          window_param()},
         [](const ParamValues& v) { return std::make_unique<BundledSource>(v); }});
  r.add(synthetic_entry("uniform", "equal expected load on every expert (sampling noise only)",
                        detail::Family::kUniform, {},
                        [](detail::SyntheticConfig&, const ParamValues&) {}));
  r.add(synthetic_entry(
      "zipf", "Zipf popularity, a per-layer permutation of the popular experts",
      detail::Family::kZipf,
      {double_param("exponent", 1.0, 0.0, 10.0, "Zipf exponent s: rank r gets weight r^-s"),
       double_param("spread", 0.0, 0.0, 10.0,
                    "per-layer exponent drawn uniformly from exponent +- spread (floored at 0)"),
       bool_param("permute", true, "shuffle which expert holds which rank, per layer")},
      [](detail::SyntheticConfig& c, const ParamValues& v) {
        c.exponent = v.get_double("exponent");
        c.spread = v.get_double("spread");
        c.permute = v.get_bool("permute");
      }));
  r.add(synthetic_entry(
      "hot_experts", "a few very hot experts per layer, chosen at random",
      detail::Family::kHotExperts,
      {int_param("hot", 8, 1, 65536, "hot experts per layer"),
       double_param("factor", 10.0, 1.0, 1e6, "load of a hot expert relative to a cold one")},
      [](detail::SyntheticConfig& c, const ParamValues& v) {
        c.hot = v.get_int("hot");
        c.factor = v.get_double("factor");
      }));
  r.add(synthetic_entry(
      "hot_groups", "load concentrated in some expert groups (what breaks the hierarchical policy)",
      detail::Family::kHotGroups,
      {int_param("groups", 8, 1, 65536,
                 "expert groups of experts/groups consecutive experts (match num_groups)"),
       int_param("hot_groups", 1, 1, 65536, "hot groups per layer"),
       double_param("factor", 8.0, 1.0, 1e6, "load of a hot group relative to a cold one")},
      [](detail::SyntheticConfig& c, const ParamValues& v) {
        c.groups = v.get_int("groups");
        c.hot_groups = v.get_int("hot_groups");
        c.factor = v.get_double("factor");
      }));
  return r;
}

bool spec_safe_path(std::string_view path) {
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ',' || c == '=') return false;
  }
  return !path.empty();
}

}  // namespace

const Registry<WorkloadSource>& workload_registry() {
  static const Registry<WorkloadSource> registry = build_registry();
  return registry;
}

std::string resolve_workload_spec(std::string_view spec_or_path) {
  const Registry<WorkloadSource>& registry = workload_registry();
  std::string spec_problem;
  try {
    const Spec spec = parse_spec(spec_or_path);
    if (!registry.contains(spec.name)) registry.find(spec.name);  // throws "unknown workload ..."
  } catch (const InputError& e) {
    spec_problem = e.what();
  }
  // A registered name is a spec whatever files exist; its parameter errors are its own.
  if (spec_problem.empty()) return registry.canonical(spec_or_path);
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string path(spec_or_path);
  if (!path.empty() && fs::exists(path, ec)) {
    if (fs::is_directory(path, ec) && !detail::is_trtllm_statistics(path)) {
      throw InputError(
          fmt::format("{}: is a directory; give a recorded load file, a TensorRT-LLM statistics directory (with meta_info.json) or a workload "
                      "spec",
                      path));
    }
    if (!spec_safe_path(path)) {
      throw InputError(
          fmt::format("{}: workload paths cannot contain ',', '=' or whitespace "
                      "(they go into specs like file:path=...); rename or link the "
                      "file",
                      path));
    }
    return registry.canonical("file:path=" + path);
  }
  throw InputError(fmt::format("'{}' is neither a workload spec ({}) nor an existing file",
                               spec_or_path, spec_problem));
}

Workload make_workload(std::string_view spec_or_path) {
  const std::string spec = resolve_workload_spec(spec_or_path);
  Registry<WorkloadSource>::Made made = workload_registry().create(spec);
  Workload w = made.product->load();
  w.spec = made.canonical;
  return w;
}

}  // namespace eplb
