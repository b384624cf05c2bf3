// Writers and readers of the engines' placement files (eplb/export/engine_formats.hpp).
//
// The writers take a validated placement and only renumber its layers; they never change a slot.
// The readers exist so that every format is tested by a round trip, and so that a file an engine
// wrote or a user edited can be checked: they accept what the engine's own loader accepts and
// reject, with the key or line, what it would misread.
#include "eplb/export/engine_formats.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "eplb/error.hpp"

namespace eplb {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// The rows an engine that numbers MoE layers (vLLM, vllm-ascend) lists, in order. Those engines
// count MoE layers from 0, so the MoE rows must be consecutive model layers: a recording of model
// layers 0, 7 and 15 only cannot say what MoE layers 1-6 should hold.
std::vector<int> moe_rows_numbered_from_zero(const EnginePlan& plan, const char* engine) {
  std::vector<int> rows;
  for (int r = 0; r < static_cast<int>(plan.moe_rows.size()); ++r) {
    if (plan.moe_rows[static_cast<std::size_t>(r)]) rows.push_back(r);
  }
  if (rows.empty()) {
    throw InputError(fmt::format(
        "--format {}: every planned layer has zero load, so no layer is an MoE layer to map",
        engine));
  }
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const long long prev = plan.layer_ids[static_cast<std::size_t>(rows[i - 1])];
    const long long here = plan.layer_ids[static_cast<std::size_t>(rows[i])];
    if (here != prev + 1) {
      throw InputError(fmt::format(
          "--format {}: {} numbers MoE layers from 0 and needs a map for every one, but the planned "
          "MoE layers jump from model layer {} to {}; plan on loads of every MoE layer (or use "
          "--format sglang or trtllm, which name model layers)",
          engine, engine, prev, here));
    }
  }
  return rows;
}

std::vector<int> row_values(const EnginePlan& plan, int row) {
  std::vector<int> out(static_cast<std::size_t>(plan.phy2log.cols()));
  for (Eigen::Index s = 0; s < plan.phy2log.cols(); ++s) {
    out[static_cast<std::size_t>(s)] = plan.phy2log(row, s);
  }
  return out;
}

std::string write_sglang(const EnginePlan& plan) {
  // SGLang maps every model layer, dense ones included; its own trivial map (slot s holds expert
  // s mod E) stands in for a layer without routed experts or without a plan.
  std::map<long long, int> row_of;
  for (int r = 0; r < static_cast<int>(plan.layer_ids.size()); ++r) {
    if (plan.moe_rows[static_cast<std::size_t>(r)]) row_of[plan.layer_ids[static_cast<std::size_t>(r)]] = r;
  }
  const auto slots = static_cast<int>(plan.phy2log.cols());
  OrderedJson rows = OrderedJson::array();
  for (long long layer = 0; layer < plan.model_layers; ++layer) {
    const auto it = row_of.find(layer);
    if (it != row_of.end()) {
      rows.push_back(row_values(plan, it->second));
      continue;
    }
    OrderedJson trivial = OrderedJson::array();
    for (int s = 0; s < slots; ++s) trivial.push_back(s % plan.num_experts);
    rows.push_back(std::move(trivial));
  }
  OrderedJson doc = OrderedJson::object();
  doc["physical_to_logical_map"] = std::move(rows);
  return doc.dump() + "\n";
}

std::string write_vllm(const EnginePlan& plan) {
  const std::vector<int> rows = moe_rows_numbered_from_zero(plan, "vllm");
  OrderedJson assignments = OrderedJson::object();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    assignments[std::to_string(i)] = row_values(plan, rows[i]);
  }
  OrderedJson record = OrderedJson::object();
  record["record_type"] = "eplb_initial_mapping";
  record["version"] = 1;
  record["num_redundant_experts"] = plan.phy2log.cols() - plan.num_experts;
  record["num_slots"] = plan.phy2log.cols();
  record["initial_global_assignments"] = std::move(assignments);
  return record.dump() + "\n";
}

std::string write_trtllm(const EnginePlan& plan) {
  // The layout of TensorRT-LLM's own generate_eplb_config.py (yaml.dump: keys sorted, lists in
  // flow style), keyed by model layer id as its statistics are.
  std::string out = "initial_global_assignments:\n";
  bool any = false;
  for (int r = 0; r < static_cast<int>(plan.layer_ids.size()); ++r) {
    if (!plan.moe_rows[static_cast<std::size_t>(r)]) continue;
    any = true;
    out += fmt::format("  {}: [", plan.layer_ids[static_cast<std::size_t>(r)]);
    for (Eigen::Index s = 0; s < plan.phy2log.cols(); ++s) {
      out += fmt::format("{}{}", s == 0 ? "" : ", ", plan.phy2log(r, s));
    }
    out += "]\n";
  }
  if (!any) {
    throw InputError(
        "--format trtllm: every planned layer has zero load, so no layer is an MoE layer to map");
  }
  out += "layer_updates_per_iter: 0\n";
  out += fmt::format("num_slots: {}\n", plan.phy2log.cols());
  return out;
}

std::string write_ascend(const EnginePlan& plan) {
  const std::vector<int> rows = moe_rows_numbered_from_zero(plan, "ascend");
  const auto slots_per_gpu = static_cast<int>(plan.phy2log.cols()) / plan.num_gpus;
  OrderedJson layers = OrderedJson::array();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    OrderedJson devices = OrderedJson::array();
    for (int d = 0; d < plan.num_gpus; ++d) {
      OrderedJson experts = OrderedJson::array();
      for (int k = 0; k < slots_per_gpu; ++k) experts.push_back(plan.phy2log(rows[i], d * slots_per_gpu + k));
      OrderedJson device = OrderedJson::object();
      device["device_id"] = d;
      device["device_expert"] = std::move(experts);
      devices.push_back(std::move(device));
    }
    OrderedJson layer = OrderedJson::object();
    layer["layer_id"] = i;
    layer["device_count"] = plan.num_gpus;
    layer["device_list"] = std::move(devices);
    layers.push_back(std::move(layer));
  }
  OrderedJson doc = OrderedJson::object();
  doc["moe_layer_count"] = rows.size();
  doc["layer_list"] = std::move(layers);
  return doc.dump() + "\n";
}

// ---- readers ----

[[noreturn]] void fail(std::string_view where, const std::string& what) {
  throw InputError(fmt::format("{}: {}", where, what));
}

Json parse_json(std::string_view text, std::string_view where) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {  // parse_error, or out_of_range (number overflow)
    std::string_view msg = e.what();
    const std::size_t close = msg.find("] ");
    if (close != std::string_view::npos) msg.remove_prefix(close + 2);
    fail(where, fmt::format("invalid JSON: {}", msg));
  }
}

int index_value(const Json& v, std::string_view where, const std::string& path) {
  if (!v.is_number_integer() || v.get<long long>() < 0 ||
      v.get<long long>() > std::numeric_limits<std::int32_t>::max()) {
    fail(where, fmt::format("{} is {}, expected a non-negative integer id", path, v.dump()));
  }
  return static_cast<int>(v.get<long long>());
}

const Json& key(const Json& object, const char* name, std::string_view where,
                const std::string& path) {
  const auto it = object.find(name);
  if (it == object.end()) fail(where, fmt::format("{} has no key '{}'", path, name));
  return *it;
}

// Appends one slot -> expert row read from a JSON array, checking its length against the others.
void add_json_row(const Json& row, std::vector<std::vector<int>>& rows, std::string_view where,
                  const std::string& path) {
  if (!row.is_array() || row.empty()) {
    fail(where, fmt::format("{} is {}, expected a non-empty array of expert ids", path,
                            row.is_array() ? "empty" : row.type_name()));
  }
  std::vector<int> values;
  for (std::size_t s = 0; s < row.size(); ++s) {
    values.push_back(index_value(row[s], where, fmt::format("{}[{}]", path, s)));
  }
  if (!rows.empty() && values.size() != rows.front().size()) {
    fail(where, fmt::format("{} has {} slots, but the first layer has {}", path, values.size(),
                            rows.front().size()));
  }
  rows.push_back(std::move(values));
}

IndexMatrix to_matrix(const std::vector<std::vector<int>>& rows) {
  IndexMatrix m(static_cast<Eigen::Index>(rows.size()),
                rows.empty() ? 0 : static_cast<Eigen::Index>(rows.front().size()));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t s = 0; s < rows[r].size(); ++s) {
      m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(s)) = rows[r][s];
    }
  }
  return m;
}

long long parse_layer_key(std::string_view text, std::string_view where, const std::string& what) {
  long long value = -1;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    fail(where, fmt::format("{} '{}' is not a layer number (a non-negative integer)", what, text));
  }
  return value;
}

EnginePlacement read_sglang(std::string_view text, std::string_view where) {
  const Json doc = parse_json(text, where);
  if (!doc.is_object()) fail(where, "expected a JSON object {\"physical_to_logical_map\": [...]}");
  for (const auto& [k, v] : doc.items()) {
    if (k != "physical_to_logical_map") {
      fail(where, fmt::format("unexpected key '{}': SGLang passes every key to init_by_mapping as "
                              "a keyword argument, so only 'physical_to_logical_map' is allowed",
                              k));
    }
  }
  const Json& map = key(doc, "physical_to_logical_map", where, "the top-level object");
  if (!map.is_array() || map.empty()) {
    fail(where, "physical_to_logical_map must be a non-empty array of layers");
  }
  std::vector<std::vector<int>> rows;
  EnginePlacement out;
  for (std::size_t l = 0; l < map.size(); ++l) {
    add_json_row(map[l], rows, where, fmt::format("physical_to_logical_map[{}]", l));
    out.layers.push_back(static_cast<long long>(l));
  }
  out.phy2log = to_matrix(rows);
  return out;
}

EnginePlacement read_vllm(std::string_view text, std::string_view where) {
  EnginePlacement out;
  bool found = false;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    ++line_no;
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string at = fmt::format("{} line {}", where, line_no);
    const Json record = parse_json(line, at);
    if (!record.is_object()) fail(at, "expected a JSON object (one record per line)");
    const Json& type = key(record, "record_type", at, "the record");
    if (type != "eplb_initial_mapping") continue;  // other record types are not the mapping
    if (found) fail(at, "a second eplb_initial_mapping record; a mapping file holds one");
    found = true;
    if (key(record, "version", at, "the record") != 1) {
      fail(at, fmt::format("version {} is not supported (expected 1)", record["version"].dump()));
    }
    const int slots = index_value(key(record, "num_slots", at, "the record"), at, "num_slots");
    const int redundant = index_value(key(record, "num_redundant_experts", at, "the record"), at,
                                      "num_redundant_experts");
    const Json& assignments = key(record, "initial_global_assignments", at, "the record");
    if (!assignments.is_object() || assignments.empty()) {
      fail(at, "initial_global_assignments must be a non-empty object {\"<layer>\": [...]}");
    }
    std::map<long long, const Json*> by_layer;
    for (const auto& [k, v] : assignments.items()) {
      by_layer[parse_layer_key(k, at, "initial_global_assignments key")] = &v;
    }
    std::vector<std::vector<int>> rows;
    long long expected = 0;
    for (const auto& [layer, row] : by_layer) {
      if (layer != expected) {
        fail(at, fmt::format("initial_global_assignments has no layer {} (vLLM numbers MoE layers "
                             "0..n-1 and needs every one)",
                             expected));
      }
      ++expected;
      add_json_row(*row, rows, at, fmt::format("initial_global_assignments[\"{}\"]", layer));
      out.layers.push_back(layer);
    }
    if (static_cast<int>(rows.front().size()) != slots) {
      fail(at, fmt::format("num_slots is {}, but the layers have {} slots", slots,
                           rows.front().size()));
    }
    if (redundant > slots) {
      fail(at, fmt::format("num_redundant_experts {} exceeds num_slots {}", redundant, slots));
    }
    const int experts = slots - redundant;
    for (std::size_t l = 0; l < rows.size(); ++l) {
      std::vector<bool> seen(static_cast<std::size_t>(experts), false);
      for (const int e : rows[l]) {
        if (e >= experts) {
          fail(at, fmt::format("layer {}: expert {} is out of range: num_slots - "
                               "num_redundant_experts = {} logical experts",
                               l, e, experts));
        }
        seen[static_cast<std::size_t>(e)] = true;
      }
      const auto missing = std::find(seen.begin(), seen.end(), false);
      if (missing != seen.end()) {
        fail(at, fmt::format("layer {}: logical expert {} has no slot", l, missing - seen.begin()));
      }
    }
    out.phy2log = to_matrix(rows);
  }
  if (!found) fail(where, "no record with \"record_type\": \"eplb_initial_mapping\"");
  return out;
}

// A tiny reader for the YAML subset TensorRT-LLM's generate_eplb_config.py writes: top-level
// `key: integer` lines and the block mapping `initial_global_assignments:` whose indented lines
// are `layer: [e, e, ...]`. Comments and blank lines are allowed; anything else is an error.
EnginePlacement read_trtllm(std::string_view text, std::string_view where) {
  const auto trim = [](std::string_view s) {
    const std::size_t a = s.find_first_not_of(" \t\r");
    if (a == std::string_view::npos) return std::string_view();
    const std::size_t b = s.find_last_not_of(" \t\r");
    return s.substr(a, b - a + 1);
  };
  std::map<long long, std::vector<int>> by_layer;
  std::map<std::string, long long> scalars;
  bool in_map = false;
  bool saw_map = false;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    const std::string at = fmt::format("{} line {}", where, line_no);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    if (trim(line).empty()) continue;
    const bool indented = line.front() == ' ';
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) fail(at, "expected 'key: value'");
    const std::string_view k = trim(line.substr(0, colon));
    const std::string_view v = trim(line.substr(colon + 1));
    if (indented) {
      if (!in_map) fail(at, "an indented line outside initial_global_assignments");
      const long long layer = parse_layer_key(k, at, "layer");
      if (by_layer.count(layer) != 0U) fail(at, fmt::format("layer {} is listed twice", layer));
      if (v.size() < 2 || v.front() != '[' || v.back() != ']') {
        fail(at, fmt::format("layer {}: expected a flow list [e, e, ...]", layer));
      }
      std::vector<int> row;
      std::string_view items = v.substr(1, v.size() - 2);
      while (!trim(items).empty()) {
        const std::size_t comma = items.find(',');
        const std::string_view item = trim(items.substr(0, comma));
        const long long expert = parse_layer_key(item, at, "expert id");
        if (expert > std::numeric_limits<std::int32_t>::max()) {
          fail(at, fmt::format("expert id {} is too large", expert));
        }
        row.push_back(static_cast<int>(expert));
        if (comma == std::string_view::npos) break;
        items.remove_prefix(comma + 1);
      }
      if (row.empty()) fail(at, fmt::format("layer {}: the list is empty", layer));
      if (!by_layer.empty() && row.size() != by_layer.begin()->second.size()) {
        fail(at, fmt::format("layer {} has {} slots, but layer {} has {}", layer, row.size(),
                             by_layer.begin()->first, by_layer.begin()->second.size()));
      }
      by_layer[layer] = std::move(row);
      continue;
    }
    in_map = false;
    const std::string name(k);
    if (name == "initial_global_assignments") {
      if (!v.empty()) fail(at, "initial_global_assignments: expected the layers on indented lines");
      if (saw_map) fail(at, "initial_global_assignments appears twice");
      in_map = saw_map = true;
    } else if (name == "num_slots" || name == "layer_updates_per_iter") {
      if (scalars.count(name) != 0U) fail(at, fmt::format("{} appears twice", name));
      scalars[name] = parse_layer_key(v, at, name.c_str());
    } else {
      fail(at, fmt::format("unknown key '{}' (expected initial_global_assignments, num_slots, "
                           "layer_updates_per_iter)",
                           name));
    }
  }
  if (by_layer.empty()) fail(where, "initial_global_assignments lists no layer");
  const auto slots = scalars.find("num_slots");
  if (slots == scalars.end()) fail(where, "no num_slots");
  if (slots->second != static_cast<long long>(by_layer.begin()->second.size())) {
    fail(where, fmt::format("num_slots is {}, but the layers have {} slots", slots->second,
                            by_layer.begin()->second.size()));
  }
  EnginePlacement out;
  std::vector<std::vector<int>> rows;
  for (auto& [layer, row] : by_layer) {
    out.layers.push_back(layer);
    rows.push_back(std::move(row));
  }
  out.phy2log = to_matrix(rows);
  return out;
}

EnginePlacement read_ascend(std::string_view text, std::string_view where) {
  const Json doc = parse_json(text, where);
  if (!doc.is_object()) fail(where, "expected a JSON object with moe_layer_count and layer_list");
  const int count = index_value(key(doc, "moe_layer_count", where, "the top-level object"), where,
                                "moe_layer_count");
  const Json& list = key(doc, "layer_list", where, "the top-level object");
  if (!list.is_array() || static_cast<int>(list.size()) != count || count == 0) {
    fail(where, fmt::format("layer_list must be an array of moe_layer_count = {} layers", count));
  }
  EnginePlacement out;
  std::vector<std::vector<int>> rows;
  for (std::size_t l = 0; l < list.size(); ++l) {
    const std::string path = fmt::format("layer_list[{}]", l);
    const Json& layer = list[l];
    if (!layer.is_object()) fail(where, fmt::format("{} must be an object", path));
    if (index_value(key(layer, "layer_id", where, path), where, path + ".layer_id") !=
        static_cast<int>(l)) {
      fail(where, fmt::format("{}.layer_id must be {} (vllm-ascend reads layers by position)",
                              path, l));
    }
    const int devices =
        index_value(key(layer, "device_count", where, path), where, path + ".device_count");
    if (out.num_gpus == 0) out.num_gpus = devices;
    if (devices != out.num_gpus || devices == 0) {
      fail(where, fmt::format("{}.device_count is {}, but layer 0 has {}", path, devices,
                              out.num_gpus));
    }
    const Json& device_list = key(layer, "device_list", where, path);
    if (!device_list.is_array() || static_cast<int>(device_list.size()) != devices) {
      fail(where, fmt::format("{}.device_list must be an array of device_count = {} devices", path,
                              devices));
    }
    Json flat = Json::array();
    std::size_t per_device = 0;
    for (std::size_t d = 0; d < device_list.size(); ++d) {
      const std::string dpath = fmt::format("{}.device_list[{}]", path, d);
      const Json& device = device_list[d];
      if (!device.is_object()) fail(where, fmt::format("{} must be an object", dpath));
      if (index_value(key(device, "device_id", where, dpath), where, dpath + ".device_id") !=
          static_cast<int>(d)) {
        fail(where, fmt::format("{}.device_id must be {}", dpath, d));
      }
      const Json& experts = key(device, "device_expert", where, dpath);
      if (!experts.is_array() || experts.empty()) {
        fail(where, fmt::format("{}.device_expert must be a non-empty array", dpath));
      }
      if (d == 0) per_device = experts.size();
      if (experts.size() != per_device) {
        fail(where, fmt::format("{}.device_expert has {} experts, but device 0 has {}", dpath,
                                experts.size(), per_device));
      }
      for (const Json& e : experts) flat.push_back(e);
    }
    add_json_row(flat, rows, where, path);
    out.layers.push_back(static_cast<long long>(l));
  }
  out.phy2log = to_matrix(rows);
  return out;
}

}  // namespace

const std::vector<EngineFormatInfo>& engine_formats() {
  static const std::vector<EngineFormatInfo> list = {
      {EngineFormat::kEplb, "eplb", "eplb-lab (phy2log, log2phy, logcnt, metrics)",
       "one row per planned layer"},
      {EngineFormat::kSglang, "sglang", "SGLang --init-expert-location FILE",
       "every model layer 0..M-1 (dense ones as slot s -> expert s mod E)"},
      {EngineFormat::kVllm, "vllm", "vLLM offline EPLB initial mapping (JSON Lines)",
       "MoE layers, numbered 0..n-1"},
      {EngineFormat::kTrtllm, "trtllm", "TensorRT-LLM moe_load_balancer YAML",
       "MoE layers, keyed by model layer id"},
      {EngineFormat::kAscend, "ascend", "vllm-ascend expert map JSON",
       "MoE layers, numbered 0..n-1"},
  };
  return list;
}

const char* to_string(EngineFormat format) {
  for (const EngineFormatInfo& info : engine_formats()) {
    if (info.format == format) return info.name;
  }
  return "?";
}

EngineFormat parse_engine_format(std::string_view name) {
  std::string names;
  for (const EngineFormatInfo& info : engine_formats()) {
    if (name == info.name) return info.format;
    names += names.empty() ? info.name : std::string(", ") + info.name;
  }
  throw InputError(fmt::format("--format {}: unknown placement format; valid: {}", name, names));
}

EnginePlan make_engine_plan(const Placement& placement, const LoadMatrix& load,
                            const Topology& topology, std::vector<long long> layer_ids,
                            int model_layers) {
  const Eigen::Index rows = placement.phy2log.rows();
  if (load.rows() != rows) {
    throw InputError(fmt::format("the placement has {} layers but the load {}", rows, load.rows()));
  }
  EnginePlan plan;
  plan.phy2log = placement.phy2log;
  plan.num_experts = static_cast<int>(load.cols());
  plan.num_gpus = topology.num_gpus;
  if (layer_ids.empty()) {
    for (Eigen::Index r = 0; r < rows; ++r) layer_ids.push_back(r);
  }
  if (static_cast<Eigen::Index>(layer_ids.size()) != rows) {
    throw InputError(fmt::format("{} layer ids for {} planned layers", layer_ids.size(), rows));
  }
  for (std::size_t i = 0; i < layer_ids.size(); ++i) {
    if (layer_ids[i] < 0 || (i > 0 && layer_ids[i] <= layer_ids[i - 1])) {
      throw InputError(fmt::format(
          "the model layer ids of the planned rows must be non-negative and ascending; row {} is "
          "layer {}",
          i, layer_ids[i]));
    }
  }
  plan.layer_ids = std::move(layer_ids);
  for (Eigen::Index r = 0; r < rows; ++r) plan.moe_rows.push_back(!(load.row(r).array() == 0.0).all());
  const long long needed = plan.layer_ids.empty() ? 0 : plan.layer_ids.back() + 1;
  if (model_layers == 0) model_layers = static_cast<int>(std::min<long long>(needed, 1 << 20));
  if (model_layers < needed) {
    throw InputError(fmt::format(
        "--model-layers {} is too small: the plan includes model layer {} (give at least {})",
        model_layers, plan.layer_ids.back(), needed));
  }
  plan.model_layers = model_layers;
  return plan;
}

std::string write_engine_placement(EngineFormat format, const EnginePlan& plan) {
  switch (format) {
    case EngineFormat::kSglang:
      return write_sglang(plan);
    case EngineFormat::kVllm:
      return write_vllm(plan);
    case EngineFormat::kTrtllm:
      return write_trtllm(plan);
    case EngineFormat::kAscend:
      return write_ascend(plan);
    case EngineFormat::kEplb:
      break;
  }
  throw InputError("--format eplb is written by eplb plan itself (it carries the metrics)");
}

EnginePlacement read_engine_placement(EngineFormat format, std::string_view text,
                                      std::string_view where) {
  switch (format) {
    case EngineFormat::kSglang:
      return read_sglang(text, where);
    case EngineFormat::kVllm:
      return read_vllm(text, where);
    case EngineFormat::kTrtllm:
      return read_trtllm(text, where);
    case EngineFormat::kAscend:
      return read_ascend(text, where);
    case EngineFormat::kEplb:
      break;
  }
  throw InputError(fmt::format("{}: no engine reader for format eplb", where));
}

}  // namespace eplb
