// Plan file parser and validator (schema in experiments/README.md, "Plan schema").
//
// Strict by design: an unknown key is an error (a typo such as "protocl" would otherwise be
// ignored silently and the sweep would run with the default), and every message names the file
// and the JSON key, e.g. `experiments/x.json: strategies[1].grid.tail[2]: expected a number`.
#include "eplb/plan_files/plan.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "eplb/error.hpp"
#include "eplb/parallel_plan.hpp"
#include "eplb/spec.hpp"
#include "eplb/storage/files.hpp"
#include "eplb/strategy.hpp"

namespace eplb {
namespace {

using nlohmann::json;

class PlanParser {
 public:
  explicit PlanParser(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void fail(std::string_view key, std::string_view message) const {
    throw InputError(fmt::format("{}: {}: {}", where_, key, message));
  }

  void check_keys(const json& object, std::string_view key,
                  std::initializer_list<const char*> allowed) const {
    for (const auto& item : object.items()) {
      bool known = false;
      for (const char* a : allowed) known = known || item.key() == a;
      if (known) continue;
      std::string list;
      for (const char* a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
      fail(key.empty() ? item.key() : fmt::format("{}.{}", key, item.key()),
           fmt::format("unknown key (valid keys: {})", list));
    }
  }

  const json& object(const json& value, std::string_view key) const {
    if (!value.is_object()) fail(key, "expected an object {...}");
    return value;
  }

  std::string string(const json& value, std::string_view key) const {
    if (!value.is_string()) fail(key, "expected a string");
    std::string s = value.get<std::string>();
    if (s.empty()) fail(key, "empty string");
    return s;
  }

  long long integer(const json& value, std::string_view key, long long min, long long max) const {
    if (!value.is_number_integer()) fail(key, "expected an integer");
    const long long v =
        value.is_number_unsigned()
            ? static_cast<long long>(std::min<std::uint64_t>(
                  value.get<std::uint64_t>(),
                  static_cast<std::uint64_t>(std::numeric_limits<long long>::max())))
            : value.get<long long>();
    if (v < min || v > max) fail(key, fmt::format("{} is out of range [{}, {}]", v, min, max));
    return v;
  }

  bool boolean(const json& value, std::string_view key) const {
    if (!value.is_boolean()) fail(key, "expected true or false");
    return value.get<bool>();
  }

  // A grid value as it must appear in a spec.
  std::string scalar_text(const json& value, std::string_view key) const {
    if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
    if (value.is_number_integer()) {
      return value.is_number_unsigned() ? std::to_string(value.get<std::uint64_t>())
                                        : std::to_string(value.get<long long>());
    }
    if (value.is_number_float()) {
      const double v = value.get<double>();
      if (!std::isfinite(v)) fail(key, "expected a finite number");
      return format_double(v);
    }
    if (value.is_string()) return string(value, key);
    fail(key, "expected a number, a string or true/false");
  }

  const json& array(const json& value, std::string_view key, bool allow_empty = false) const {
    if (!value.is_array()) fail(key, "expected a list [...]");
    if (!allow_empty && value.empty()) fail(key, "empty list");
    return value;
  }

  std::vector<std::int64_t> seeds(const json& value, std::string_view key) const {
    std::vector<std::int64_t> out;
    const json& list = array(value, key);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string k = fmt::format("{}[{}]", key, i);
      out.push_back(integer(list[i], k, 0, std::numeric_limits<std::int64_t>::max()));
      if (std::count(out.begin(), out.end(), out.back()) > 1) fail(k, "repeated seed");
    }
    return out;
  }

  Topology topology(const json& value, std::string_view key) const {
    object(value, key);
    check_keys(value, key, {"replicas", "groups", "nodes", "gpus"});
    auto field = [&](const char* name, bool required) -> int {
      const std::string k = fmt::format("{}.{}", key, name);
      if (!value.contains(name)) {
        if (required) fail(k, "missing (a topology needs replicas and gpus; groups, nodes: 1)");
        return 1;
      }
      return static_cast<int>(integer(value[name], k, 1, kMaxTopologySize));
    };
    Topology t;
    t.num_replicas = field("replicas", true);
    t.num_groups = field("groups", false);
    t.num_nodes = field("nodes", false);
    t.num_gpus = field("gpus", true);
    return t;
  }

  std::vector<Topology> topologies(const json& value, std::string_view key) const {
    std::vector<Topology> out;
    const json& list = array(value, key);
    for (std::size_t i = 0; i < list.size(); ++i) {
      out.push_back(topology(list[i], fmt::format("{}[{}]", key, i)));
    }
    return out;
  }

  PlanStrategy strategy(const json& value, const std::string& key) const {
    PlanStrategy s;
    s.key = key;
    if (value.is_string()) {
      s.spec = string(value, key);
      return s;
    }
    if (!value.is_object()) fail(key, "expected a spec string or {\"spec\": ..., \"grid\": {...}}");
    check_keys(value, key, {"spec", "grid"});
    if (!value.contains("spec")) fail(key + ".spec", "missing");
    s.spec = string(value["spec"], key + ".spec");
    if (value.contains("grid")) {
      const std::string gkey = key + ".grid";
      const json& grid = object(value["grid"], gkey);
      if (grid.empty()) fail(gkey, "empty grid (drop it or list parameter -> values)");
      for (const auto& item : grid.items()) {
        const std::string pkey = fmt::format("{}.{}", gkey, item.key());
        std::vector<std::string> values;
        const json& list = array(item.value(), pkey);
        for (std::size_t i = 0; i < list.size(); ++i) {
          values.push_back(scalar_text(list[i], fmt::format("{}[{}]", pkey, i)));
        }
        s.grid.emplace_back(item.key(), std::move(values));
      }
    }
    return s;
  }

  PlanWorkload workload(const json& value, const std::string& key) const {
    PlanWorkload w;
    w.key = key;
    if (value.is_string()) {
      w.spec = string(value, key);
      return w;
    }
    if (!value.is_object()) {
      fail(key, "expected a spec string (or path) or {\"spec\": ..., \"seeds\": [...]}");
    }
    check_keys(value, key, {"spec", "seeds", "split", "topologies"});
    if (!value.contains("spec")) fail(key + ".spec", "missing");
    w.spec = string(value["spec"], key + ".spec");
    if (value.contains("seeds")) w.seeds = seeds(value["seeds"], key + ".seeds");
    if (value.contains("split")) w.split = string(value["split"], key + ".split");
    if (value.contains("topologies")) {
      w.topologies = topologies(value["topologies"], key + ".topologies");
    }
    return w;
  }

  std::vector<PlanWorkload> workloads(const json& value, const std::string& key) const {
    std::vector<PlanWorkload> out;
    const json& list = array(value, key);
    for (std::size_t i = 0; i < list.size(); ++i) {
      out.push_back(workload(list[i], fmt::format("{}[{}]", key, i)));
    }
    return out;
  }

 private:
  std::string where_;
};

// 1-based line of byte offset `pos` in `text`.
std::size_t line_of(std::string_view text, std::size_t pos) {
  pos = std::min(pos, text.size());
  return 1 + static_cast<std::size_t>(
                 std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

// The "rebalance" object: swept keys take a value or a list (cartesian product, first key
// outermost); warmup and expert_bytes take one value.
std::vector<RebalanceConfig> parse_rebalance(const PlanParser& p, const json& value) {
  const json& r = p.object(value, "rebalance");
  p.check_keys(r, "rebalance",
               {"every", "estimate", "keep", "skip_below", "skip_layer_below", "max_layers",
                "warmup", "expert_bytes"});
  auto list = [&](const char* key) -> std::vector<json> {
    if (!r.contains(key)) return {json()};
    const json& v = r[key];
    if (!v.is_array()) return {v};
    const json& a = p.array(v, fmt::format("rebalance.{}", key));
    return std::vector<json>(a.begin(), a.end());
  };
  auto item_key = [&](const char* key, std::size_t i, std::size_t n) {
    return n == 1 && !r[key].is_array() ? fmt::format("rebalance.{}", key)
                                         : fmt::format("rebalance.{}[{}]", key, i);
  };
  auto number = [&](const json& v, const std::string& key, double min, double max) {
    if (!v.is_number()) p.fail(key, "expected a number");
    const double d = v.get<double>();
    if (!(d >= min && d <= max)) p.fail(key, fmt::format("{} is outside [{}, {}]", d, min, max));
    return d;
  };
  RebalanceConfig base;
  if (r.contains("warmup")) {
    base.warmup = static_cast<int>(p.integer(r["warmup"], "rebalance.warmup", 1, 1 << 20));
  }
  if (r.contains("expert_bytes")) {
    base.expert_bytes = number(r["expert_bytes"], "rebalance.expert_bytes", 0.0, 1e15);
  }
  std::vector<RebalanceConfig> out = {base};
  auto sweep = [&](const char* key, auto apply) {
    const std::vector<json> values = list(key);
    if (values.size() == 1 && values[0].is_null()) return;
    std::vector<RebalanceConfig> next;
    for (const RebalanceConfig& c : out) {
      for (std::size_t i = 0; i < values.size(); ++i) {
        RebalanceConfig d = c;
        apply(d, values[i], item_key(key, i, values.size()));
        next.push_back(d);
      }
    }
    out = std::move(next);
  };
  sweep("every", [&](RebalanceConfig& c, const json& v, const std::string& k) {
    c.every = static_cast<int>(p.integer(v, k, 1, 1 << 20));
  });
  sweep("estimate", [&](RebalanceConfig& c, const json& v, const std::string& k) {
    c.estimate = p.string(v, k);
  });
  sweep("keep", [&](RebalanceConfig& c, const json& v, const std::string& k) {
    c.keep = p.boolean(v, k);
  });
  sweep("skip_below", [&](RebalanceConfig& c, const json& v, const std::string& k) {
    c.skip_below = number(v, k, 0.0, 1.0);
  });
  sweep("skip_layer_below", [&](RebalanceConfig& c, const json& v, const std::string& k) {
    c.skip_layer_below = number(v, k, 0.0, 1.0);
  });
  sweep("max_layers", [&](RebalanceConfig& c, const json& v, const std::string& k) {
    c.max_layers = static_cast<int>(p.integer(v, k, 0, 1 << 20));
  });
  return out;
}

}  // namespace

std::string RebalanceConfig::label() const {
  std::string text = fmt::format("rebalance:every={},estimate={},keep={},skip_below={}", every,
                                 estimate, keep ? "true" : "false", format_double(skip_below));
  if (skip_layer_below != 0.0) text += ",skip_layer_below=" + format_double(skip_layer_below);
  if (max_layers != 0) text += fmt::format(",max_layers={}", max_layers);
  if (warmup != 1) text += fmt::format(",warmup={}", warmup);
  if (expert_bytes != kDeepSeekV3ExpertBytes) text += ",expert_bytes=" + format_double(expert_bytes);
  return text;
}

const char* to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::kInSample:
      return "in-sample";
    case Protocol::kNextWindow:
      return "next-window";
    case Protocol::kCross:
      return "cross";
    case Protocol::kRebalance:
      return "rebalance";
  }
  return "?";
}

Protocol parse_protocol(std::string_view text, std::string_view where) {
  for (Protocol p :
       {Protocol::kInSample, Protocol::kNextWindow, Protocol::kCross, Protocol::kRebalance}) {
    if (text == to_string(p)) return p;
  }
  throw InputError(fmt::format(
      "{}: unknown protocol '{}' (valid: in-sample, next-window, cross, rebalance)", where, text));
}

std::string fingerprint(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

Plan parse_plan(std::string_view text, const std::filesystem::path& path) {
  const std::string where = path.string();
  json root;
  // JSON parsers keep one of two repeated keys silently; in a plan that hides a mistake.
  std::vector<std::vector<std::string>> keys_seen;
  std::string last_key = "(top level)";  // names the key of a value the parser rejects
  const json::parser_callback_t reject_repeats = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys_seen.emplace_back();
    if (event == json::parse_event_t::object_end) keys_seen.pop_back();
    if (event == json::parse_event_t::key) {
      const std::string key = parsed.get<std::string>();
      auto& seen = keys_seen.back();
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        throw InputError(
            fmt::format("{}: {}: repeated key (a JSON object must not repeat a key)", where, key));
      }
      seen.push_back(key);
      last_key = key;
    }
    return true;
  };
  try {
    root = json::parse(text.begin(), text.end(), reject_repeats);
  } catch (const json::parse_error& e) {
    throw InputError(fmt::format("{}:{}: not valid JSON: {}", where, line_of(text, e.byte),
                                 printable(e.what())));
  } catch (const json::out_of_range& e) {
    // nlohmann reports a number beyond double range (1e400) as out_of_range 406, without a place.
    throw InputError(
        fmt::format("{}: key '{}' (or the value after it): {}; numbers must fit a "
                    "double (|x| < 1.8e308)",
                    where, printable(last_key), printable(e.what())));
  }
  const PlanParser p(where);
  if (!root.is_object()) p.fail("(top level)", "a plan is a JSON object {...}");
  p.check_keys(root, "",
               {"comment", "description", "strategies", "workloads", "score_workloads",
                "topologies", "protocol", "rebalance", "seeds", "max_steps", "timing", "per_layer",
                "baseline", "guard", "skip_invalid_topologies"});

  Plan plan;
  plan.path = path;
  plan.name = path.stem().string();
  plan.text = std::string(text);
  if (root.contains("description")) plan.description = p.string(root["description"], "description");
  if (root.contains("comment")) {
    const json& c = root["comment"];
    if (!c.is_string() && !c.is_array())
      p.fail("comment", "expected a string or a list of strings");
  }

  for (const char* required : {"strategies", "workloads", "topologies"}) {
    if (!root.contains(required)) p.fail(required, "missing (required)");
  }
  const json& strategies = p.array(root["strategies"], "strategies");
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    plan.strategies.push_back(p.strategy(strategies[i], fmt::format("strategies[{}]", i)));
  }
  plan.workloads = p.workloads(root["workloads"], "workloads");
  plan.topologies = p.topologies(root["topologies"], "topologies");

  if (root.contains("protocol")) {
    const json& value = root["protocol"];
    if (value.is_string()) {
      plan.protocols.push_back(parse_protocol(p.string(value, "protocol"), where + ": protocol"));
    } else {
      const json& list = p.array(value, "protocol");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string k = fmt::format("protocol[{}]", i);
        const Protocol proto = parse_protocol(p.string(list[i], k), where + ": " + k);
        if (std::find(plan.protocols.begin(), plan.protocols.end(), proto) != plan.protocols.end())
          p.fail(k, "repeated protocol");
        plan.protocols.push_back(proto);
      }
    }
  } else {
    plan.protocols.push_back(Protocol::kInSample);
  }
  const bool cross = std::find(plan.protocols.begin(), plan.protocols.end(), Protocol::kCross) !=
                     plan.protocols.end();
  if (root.contains("score_workloads")) {
    if (!cross)
      p.fail("score_workloads", "only used by protocol \"cross\"; add it or drop this key");
    plan.score_workloads = p.workloads(root["score_workloads"], "score_workloads");
  } else if (cross) {
    plan.score_workloads = plan.workloads;  // every ordered pair of distinct workloads
  }

  const bool rebalance = std::find(plan.protocols.begin(), plan.protocols.end(),
                                   Protocol::kRebalance) != plan.protocols.end();
  if (root.contains("rebalance")) {
    if (!rebalance) p.fail("rebalance", "only used by protocol \"rebalance\"; add it or drop this key");
    plan.rebalances = parse_rebalance(p, root["rebalance"]);
  } else if (rebalance) {
    plan.rebalances.emplace_back();  // the defaults: every step, from the last step
  }

  if (root.contains("seeds")) plan.seeds = p.seeds(root["seeds"], "seeds");
  if (root.contains("max_steps")) {
    plan.max_steps = static_cast<int>(p.integer(root["max_steps"], "max_steps", 0, 1 << 30));
  }
  if (root.contains("timing")) {
    const json& t = p.object(root["timing"], "timing");
    p.check_keys(t, "timing", {"warmup", "repeats", "threads"});
    if (t.contains("warmup")) {
      plan.warmup = static_cast<int>(p.integer(t["warmup"], "timing.warmup", 0, 1000));
    }
    if (t.contains("repeats")) {
      plan.repeats = static_cast<int>(p.integer(t["repeats"], "timing.repeats", 0, 100000));
    }
    if (t.contains("threads")) {
      plan.plan_threads =
          static_cast<int>(p.integer(t["threads"], "timing.threads", 1, kMaxPlanThreads));
    }
  }
  if (root.contains("per_layer")) plan.per_layer = p.boolean(root["per_layer"], "per_layer");
  if (root.contains("skip_invalid_topologies")) {
    plan.skip_invalid_topologies =
        p.boolean(root["skip_invalid_topologies"], "skip_invalid_topologies");
  }
  if (root.contains("baseline")) {
    // Matched against the canonical specs of the results, so `deepseek:policy=auto` is deepseek;
    // a name no strategy has would silently drop the delta column.
    const std::string text_value = p.string(root["baseline"], "baseline");
    try {
      plan.baseline = strategy_registry().canonical(text_value);
    } catch (const InputError& e) {
      p.fail("baseline", printable(e.what()));
    }
  }
  if (root.contains("guard")) {
    const json& g = p.object(root["guard"], "guard");
    p.check_keys(g, "guard", {"max_runs"});
    if (g.contains("max_runs")) {
      plan.max_runs = static_cast<long>(p.integer(g["max_runs"], "guard.max_runs", 1, 1L << 40));
    }
  }
  return plan;
}

Plan load_plan(const std::filesystem::path& path) { return parse_plan(read_text_file(path), path); }

}  // namespace eplb
