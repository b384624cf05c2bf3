// vLLM offline-EPLB load statistics: JSON Lines, one record per line. Records
// {"record_type":"eplb_load_stats","step":S,"expert_load":[L][P],"p2l_map":[L][P],...} are steps;
// every other record type (e.g. "eplb_load_meta") is ignored and counted in a note.
//
// expert_load is the load of each physical slot; p2l_map names the logical expert in each slot,
// so slot loads are folded (summed) into logical expert loads: logical[l][p2l[l][p]] +=
// expert_load[l][p], as vLLM's own tools/eplb/generate_static_mapping.py does. The number of
// logical experts is the record's num_logical_experts when present, else max(p2l_map) + 1, and
// every logical expert must hold a slot in every layer (a map without one is not a placement).
// Rows are vLLM's MoE layers, numbered 0..L-1.
#include <fmt/core.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "eplb/error.hpp"
#include "../loader_common.hpp"

namespace eplb::detail {
namespace {

using Json = nlohmann::json;

constexpr const char* kStatsType = "eplb_load_stats";

[[noreturn]] void fail(const std::string& at, const std::string& what) {
  throw InputError(fmt::format("{}: {}", at, what));
}

const Json& member(const Json& record, const char* key, const std::string& at) {
  const auto it = record.find(key);
  if (it == record.end()) fail(at, fmt::format("the {} record has no key '{}'", kStatsType, key));
  return *it;
}

long long index_of(const Json& v, const std::string& at, const std::string& path) {
  if (!v.is_number_integer() || v.get<long long>() < 0) {
    fail(at, fmt::format("{} is {}, expected a non-negative integer", path, v.dump()));
  }
  return v.get<long long>();
}

// Checks that `m` is a non-empty [rows][cols] array of arrays and returns (rows, cols).
std::pair<std::size_t, std::size_t> matrix_shape(const Json& m, const std::string& at,
                                                 const char* key) {
  if (!m.is_array() || m.empty()) fail(at, fmt::format("{} must be a non-empty array of layers", key));
  std::size_t cols = 0;
  for (std::size_t l = 0; l < m.size(); ++l) {
    if (!m[l].is_array() || m[l].empty()) {
      fail(at, fmt::format("{}[{}] must be a non-empty array (one value per physical slot)", key, l));
    }
    if (l == 0) cols = m[l].size();
    if (m[l].size() != cols) {
      fail(at, fmt::format("{}[{}] has {} slots, but {}[0] has {}", key, l, m[l].size(), key, cols));
    }
  }
  return {m.size(), cols};
}

}  // namespace

RawRecording parse_vllm_stats_recording(std::string_view text, const RecordingOptions& options,
                                        std::string_view where) {
  if (options.model != "auto" || options.dataset != "auto") {
    throw InputError(fmt::format(
        "{}: model= and dataset= select rows of CSV files; vLLM load statistics have neither",
        where));
  }
  StepCollector collector(options.window, std::string(where));
  std::map<std::string, long long> ignored;
  long long last_step = -1;
  std::size_t last_line = 0;
  std::size_t layers = 0;
  std::size_t slots = 0;
  std::size_t experts = 0;
  std::vector<double> logical;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string at = fmt::format("{}: line {}", where, line_no);
    Json record;
    try {
      record = Json::parse(line.begin(), line.end());
    } catch (const Json::exception& e) {  // parse_error, or out_of_range (number overflow)
      const std::string_view msg = json_error_text(e.what());
      fail(at, fmt::format("invalid JSON: {} (JSON Lines: one record per line)", msg));
    }
    if (!record.is_object()) fail(at, "expected a JSON object (one record per line)");
    const auto type = record.find("record_type");
    if (type == record.end() || !type->is_string()) {
      fail(at, "the record has no string 'record_type' (vLLM offline-EPLB records carry one)");
    }
    if (*type != kStatsType) {
      ++ignored[type->get<std::string>()];
      continue;
    }
    const long long step = index_of(member(record, "step", at), at, "step");
    if (step <= last_step) {
      fail(at, fmt::format("step {} does not follow step {} (line {}); records must be in "
                           "increasing step order",
                           step, last_step, last_line));
    }
    last_step = step;
    last_line = line_no;
    const Json& load = member(record, "expert_load", at);
    const Json& p2l = member(record, "p2l_map", at);
    const auto [rows, cols] = matrix_shape(load, at, "expert_load");
    const auto p2l_shape = matrix_shape(p2l, at, "p2l_map");
    if (p2l_shape != std::make_pair(rows, cols)) {
      fail(at, fmt::format("p2l_map is {} x {}, but expert_load is {} x {}; they must match",
                           p2l_shape.first, p2l_shape.second, rows, cols));
    }
    long long num_logical = 0;
    for (std::size_t l = 0; l < rows; ++l) {
      for (std::size_t p = 0; p < cols; ++p) {
        const long long e = index_of(p2l[l][p], at, fmt::format("p2l_map[{}][{}]", l, p));
        if (e >= static_cast<long long>(cols)) {
          fail(at, fmt::format("p2l_map[{}][{}] is {}, but there are only {} physical slots (every "
                               "logical expert needs one)",
                               l, p, e, cols));
        }
        num_logical = std::max(num_logical, e + 1);
      }
    }
    if (const auto given = record.find("num_logical_experts"); given != record.end()) {
      const long long n = index_of(*given, at, "num_logical_experts");
      if (n < num_logical || n > static_cast<long long>(cols)) {
        fail(at, fmt::format("num_logical_experts is {}, but p2l_map names expert {} and has {} "
                             "slots",
                             n, num_logical - 1, cols));
      }
      num_logical = n;
    }
    const auto e_count = static_cast<std::size_t>(num_logical);
    logical.assign(rows * e_count, 0.0);
    std::vector<char> has_slot(e_count);
    for (std::size_t l = 0; l < rows; ++l) {
      std::fill(has_slot.begin(), has_slot.end(), 0);
      for (std::size_t p = 0; p < cols; ++p) {
        const Json& v = load[l][p];
        const std::string path = fmt::format("expert_load[{}][{}]", l, p);
        if (!v.is_number()) fail(at, fmt::format("{} is {}, expected a number", path, v.dump()));
        const double x = v.get<double>();
        if (const char* problem = load_value_problem(x); *problem != '\0') {
          fail(at, fmt::format("{}: {} {}; loads must be finite and >= 0", path, x, problem));
        }
        const auto e = p2l[l][p].get<std::size_t>();
        logical[l * e_count + e] += x + 0.0;
        has_slot[e] = 1;
      }
      for (std::size_t e = 0; e < e_count; ++e) {
        if (has_slot[e] == 0) {
          fail(at, fmt::format("p2l_map[{}] gives logical expert {} no slot; every logical expert "
                               "of a layer must hold at least one",
                               l, e));
        }
      }
    }
    layers = rows;
    slots = cols;
    experts = e_count;
    collector.add(logical.data(), static_cast<Eigen::Index>(rows),
                  static_cast<Eigen::Index>(e_count), fmt::format("line {} (step {})", line_no, step));
  }
  if (collector.raw_steps() == 0) {
    std::string seen;
    for (const auto& [type, n] : ignored) seen += fmt::format("{}{} x {}", seen.empty() ? "" : ", ", n, type);
    throw InputError(fmt::format("{}: no \"record_type\": \"{}\" record{}", where, kStatsType,
                                 seen.empty() ? std::string() : " (found " + seen + ")"));
  }
  RawRecording out;
  out.format = RecordedFormat::kVllmStats;
  const long long raw_steps = collector.raw_steps();
  out.steps = collector.finish(out.notes);
  out.notes.push_back(fmt::format("folded {} physical slots into {} logical experts through p2l_map",
                                  slots, experts));
  for (const auto& [type, n] : ignored) {
    out.notes.push_back(fmt::format("ignored {} record(s) of type '{}'", n, type));
  }
  out.layer_ids.resize(layers);
  for (std::size_t l = 0; l < layers; ++l) out.layer_ids[l] = static_cast<long long>(l);
  out.what = fmt::format(
      "vLLM offline-EPLB load statistics JSONL ({}): {} step(s) of {} MoE layers x {} logical "
      "experts ({} physical slots)",
      kStatsType, raw_steps, layers, experts, slots);
  return out;
}

}  // namespace eplb::detail
