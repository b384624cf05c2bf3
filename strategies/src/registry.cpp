// The strategy registry: the `compose` family (every component and parameter) and the presets,
// which are named default sets of the same parameters. Built-ins are listed here explicitly.
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <utility>

#include "deepseek_float32.hpp"
#include "eplb/error.hpp"
#include "eplb/pipeline.hpp"
#include "joint/joint_strategy.hpp"

namespace eplb {
namespace {

std::vector<ParamDesc> compose_params() {
  const std::vector<std::string> packs = {"greedy", "near_tie", "diverse"};
  const std::vector<std::string> refines = {"none", "nearest", "k_swap", "adaptive_swap"};
  return {
      choice_param("policy", "auto", {"auto", "hierarchical", "global"},
                   "auto: hierarchical iff groups % nodes == 0 (eplb.py)"),
      choice_param("replicate", "dhondt", {"dhondt", "hybrid_tail", "peak_tail", "waterfill"},
                   "replica apportionment within a node"),
      double_param("tail", 0.1, 0.0, 1.0,
                   "tail fraction of the redundant slots (hybrid/peak tail)"),
      choice_param("tail_round", "ceil", {"floor", "ceil"},
                   "rounding of red*tail (seed003 floor, seeds 004/001/000 ceil)"),
      int_param("tail_min", 1, 0, 1 << 20, "minimum tail size"),
      choice_param("sl_div", "2c-1", {"2c+1", "2c-1"},
                   "Sainte-Lague divisor of the hybrid tail (seed003 2c+1, seed004 2c-1)"),
      choice_param("chooser", "ds", {"ds", "dsh"},
                   "peak-aware tail candidates and tie rule: ds (seed001), dsh (seed000)"),
      int_param("wf_iters", 40, 1, 1000, "water-filling bisection iterations"),
      choice_param("fixup", "none", {"none", "simple", "masked", "top2", "top2_corrected"},
                   "replication fix-up: simple (003), masked (002), top2 (004/000), "
                   "top2_corrected (001)"),
      bool_param("fixup_second", true, "top2_corrected: allow the second move"),
      double_param("fixup_threshold", 0.15, 0.0, 1.0,
                   "top2_corrected: second move when the first cut the peak by less than this"),
      choice_param("layout", "auto", {"auto", "column", "logical"},
                   "replica layout; auto: column, logical for waterfill"),
      choice_param("node_pack", "greedy", packs, "packer for groups -> nodes"),
      choice_param("node_refine", "none", refines, "refinement after node packing"),
      int_param("node_steps", 2, 0, 1000, "node refinement steps (adaptive_swap: base steps)"),
      int_param("node_k", 2, 1, 1000,
                "node refinement candidates per pack (k_swap, adaptive_swap)"),
      choice_param("gpu_pack", "greedy", packs, "packer for replicas -> GPUs"),
      choice_param("gpu_refine", "none", refines, "refinement after GPU packing"),
      int_param("gpu_steps", 2, 0, 1000, "GPU refinement steps (adaptive_swap: base steps)"),
      int_param("gpu_k", 2, 1, 1000, "GPU refinement candidates per pack (k_swap, adaptive_swap)"),
      bool_param("adapt", false, "nearest: one extra step when (max-min)/mean > adapt_threshold"),
      double_param("adapt_threshold", 0.03, 0.0, 1e9, "nearest: imbalance for the extra step"),
      double_param("swap_threshold", 0.12, 0.0, 1e9,
                   "adaptive_swap: imbalance above which one extra step runs"),
      int_param("lights", 2, 1, 1000, "adaptive_swap: light packs considered per step"),
      bool_param("exchange", true, "adaptive_swap: try the 2x2 exchange"),
      bool_param("micro_swap", true, "diverse: seed002's single micro swap after packing"),
      choice_param("precision", "float64", {"float64", "float32"},
                   "float32: eplb.py's float32 keys and sums (default components only)"),
  };
}

struct Preset {
  const char* name;
  const char* doc;
  std::map<std::string, std::string> values;  // differences from the compose defaults
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> list = {
      {"deepseek", "DeepSeek EPLB (eplb.py): D'Hondt replication, greedy packing", {}},
      {"seed000",
       "seed 000: D/S/H peak-aware tail, near-tie label-aware packing, adaptive 2/3 swaps + 2x2",
       {{"replicate", "peak_tail"},
        {"chooser", "dsh"},
        {"fixup", "top2"},
        {"node_pack", "near_tie"},
        {"gpu_pack", "near_tie"},
        {"node_refine", "adaptive_swap"},
        {"gpu_refine", "adaptive_swap"}}},
      {"seed001",
       "seed 001: D/S peak-aware tail, two-move fix-up, nearest swaps with adaptive extra step",
       {{"replicate", "peak_tail"},
        {"chooser", "ds"},
        {"fixup", "top2_corrected"},
        {"node_refine", "nearest"},
        {"node_steps", "1"},
        {"gpu_refine", "nearest"},
        {"adapt", "true"}}},
      {"seed002",
       "seed 002: water-filling counts, diversity-aware GPU packing with one micro swap",
       {{"replicate", "waterfill"},
        {"fixup", "masked"},
        {"layout", "logical"},
        {"gpu_pack", "diverse"}}},
      {"seed003",
       "seed 003: D'Hondt + Sainte-Lague (2c+1) tail, nearest swaps 1 (nodes) / 2 (GPUs)",
       {{"replicate", "hybrid_tail"},
        {"tail_round", "floor"},
        {"sl_div", "2c+1"},
        {"fixup", "simple"},
        {"layout", "logical"},
        {"node_refine", "nearest"},
        {"node_steps", "1"},
        {"gpu_refine", "nearest"}}},
      {"seed004",
       "seed 004: D'Hondt + Sainte-Lague (2c-1) tail, top-2 fix-up, k=2 swaps",
       {{"replicate", "hybrid_tail"},
        {"fixup", "top2"},
        {"node_refine", "k_swap"},
        {"gpu_refine", "k_swap"}}},
  };
  return list;
}

StageOptions stage_options(const ParamValues& v, const std::string& stage) {
  static const std::map<std::string, PackKind> packs = {{"greedy", PackKind::kGreedy},
                                                        {"near_tie", PackKind::kNearTie},
                                                        {"diverse", PackKind::kDiverse}};
  static const std::map<std::string, RefineKind> refines = {
      {"none", RefineKind::kNone},
      {"nearest", RefineKind::kNearest},
      {"k_swap", RefineKind::kKSwap},
      {"adaptive_swap", RefineKind::kAdaptiveSwap}};
  StageOptions s;
  s.pack = packs.at(v.get_string(stage + "_pack"));
  s.refine = refines.at(v.get_string(stage + "_refine"));
  s.steps = v.get_int(stage + "_steps");
  s.k = v.get_int(stage + "_k");
  s.micro_swap = v.get_bool("micro_swap");
  s.adapt = v.get_bool("adapt");
  s.adapt_threshold = v.get_double("adapt_threshold");
  s.swap_threshold = v.get_double("swap_threshold");
  s.lights = v.get_int("lights");
  s.exchange = v.get_bool("exchange");
  return s;
}

PipelineOptions pipeline_options(const ParamValues& v) {
  static const std::map<std::string, Policy> policies = {{"auto", Policy::kAuto},
                                                         {"hierarchical", Policy::kHierarchical},
                                                         {"global", Policy::kGlobal}};
  static const std::map<std::string, ReplicateKind> kinds = {
      {"dhondt", ReplicateKind::kDhondt},
      {"hybrid_tail", ReplicateKind::kHybridTail},
      {"peak_tail", ReplicateKind::kPeakTail},
      {"waterfill", ReplicateKind::kWaterfill}};
  static const std::map<std::string, FixupKind> fixups = {
      {"none", FixupKind::kNone},
      {"simple", FixupKind::kSimple},
      {"masked", FixupKind::kMasked},
      {"top2", FixupKind::kTop2},
      {"top2_corrected", FixupKind::kTop2Corrected}};
  static const std::map<std::string, Layout> layouts = {
      {"auto", Layout::kAuto}, {"column", Layout::kColumn}, {"logical", Layout::kLogical}};
  PipelineOptions o;
  o.policy = policies.at(v.get_string("policy"));
  ReplicateOptions& r = o.replicate;
  r.kind = kinds.at(v.get_string("replicate"));
  r.tail_fraction = v.get_double("tail");
  r.tail_rounding =
      v.get_string("tail_round") == "floor" ? TailRounding::kFloor : TailRounding::kCeil;
  r.tail_min = v.get_int("tail_min");
  r.sl_divisor = v.get_string("sl_div") == "2c+1" ? SainteLagueDivisor::kPlusOne
                                                  : SainteLagueDivisor::kMinusOne;
  r.chooser = v.get_string("chooser") == "dsh" ? TailChooser::kDSH : TailChooser::kDS;
  r.waterfill_iters = v.get_int("wf_iters");
  r.fixup = fixups.at(v.get_string("fixup"));
  r.fixup_second_move = v.get_bool("fixup_second");
  r.fixup_second_threshold = v.get_double("fixup_threshold");
  r.layout = layouts.at(v.get_string("layout"));
  o.node = stage_options(v, "node");
  o.gpu = stage_options(v, "gpu");
  return o;
}

// A parameter the configured components never read must keep its default: a user who writes
// `deepseek:tail=0.2` expects an effect, so silently ignoring it would mislead.
void check_relevance(const ParamValues& v, const std::vector<ParamDesc>& defaults,
                     const std::string& name) {
  const std::string rep = v.get_string("replicate");
  const bool tail = rep == "hybrid_tail" || rep == "peak_tail";
  auto any_stage = [&](const char* suffix, std::initializer_list<const char*> kinds) {
    for (const char* stage : {"node", "gpu"}) {
      const std::string& value = v.get_string(std::string(stage) + suffix);
      for (const char* k : kinds) {
        if (value == k) return true;
      }
    }
    return false;
  };
  auto stage_uses = [&](const char* stage, std::initializer_list<const char*> kinds) {
    const std::string& value = v.get_string(std::string(stage) + "_refine");
    for (const char* k : kinds) {
      if (value == k) return true;
    }
    return false;
  };
  const std::map<std::string, std::pair<bool, const char*>> used = {
      {"tail", {tail, "replicate=hybrid_tail or peak_tail"}},
      {"tail_round", {tail, "replicate=hybrid_tail or peak_tail"}},
      {"tail_min", {tail, "replicate=hybrid_tail or peak_tail"}},
      {"sl_div", {rep == "hybrid_tail", "replicate=hybrid_tail"}},
      {"chooser", {rep == "peak_tail", "replicate=peak_tail"}},
      {"wf_iters", {rep == "waterfill", "replicate=waterfill"}},
      {"fixup_second", {v.get_string("fixup") == "top2_corrected", "fixup=top2_corrected"}},
      {"fixup_threshold", {v.get_string("fixup") == "top2_corrected", "fixup=top2_corrected"}},
      {"node_steps", {stage_uses("node", {"nearest", "k_swap", "adaptive_swap"}), "a node_refine"}},
      {"node_k",
       {stage_uses("node", {"k_swap", "adaptive_swap"}), "node_refine=k_swap or adaptive_swap"}},
      {"gpu_steps", {stage_uses("gpu", {"nearest", "k_swap", "adaptive_swap"}), "a gpu_refine"}},
      {"gpu_k",
       {stage_uses("gpu", {"k_swap", "adaptive_swap"}), "gpu_refine=k_swap or adaptive_swap"}},
      {"adapt", {any_stage("_refine", {"nearest"}), "a *_refine=nearest"}},
      {"adapt_threshold", {any_stage("_refine", {"nearest"}), "a *_refine=nearest"}},
      {"swap_threshold", {any_stage("_refine", {"adaptive_swap"}), "a *_refine=adaptive_swap"}},
      {"lights", {any_stage("_refine", {"adaptive_swap"}), "a *_refine=adaptive_swap"}},
      {"exchange", {any_stage("_refine", {"adaptive_swap"}), "a *_refine=adaptive_swap"}},
      {"micro_swap", {any_stage("_pack", {"diverse"}), "a *_pack=diverse"}},
  };
  const ParamValues base = resolve_params(defaults, {}, name);
  for (const auto& [key, rule] : used) {
    if (rule.first || v.text(key) == base.text(key)) continue;
    throw InputError(fmt::format("strategy '{}': parameter {}={} has no effect without {}", name,
                                 key, v.text(key), rule.second));
  }
}

// precision=float32 reproduces eplb.py, whose only components are the deepseek defaults: with
// any other component there is no float32 reference to match, so the spec is refused.
void check_float32_components(const ParamValues& v, const std::string& name) {
  const ParamValues defaults = resolve_params(compose_params(), {}, name);
  std::string differing;
  for (const auto& [key, value] : v.items()) {
    if (key == "precision" || key == "policy" || value == defaults.text(key)) continue;
    differing += fmt::format("{}{}={}", differing.empty() ? "" : ",", key, value);
  }
  if (!differing.empty()) {
    throw InputError(fmt::format(
        "strategy '{}': precision=float32 reproduces eplb.py's arithmetic for the default "
        "deepseek components only, but this spec sets {}; use deepseek:precision=float32 "
        "(optionally with policy=...) or drop precision",
        name, differing));
  }
}

Registry<Strategy> build_registry() {
  Registry<Strategy> registry("strategy");
  const std::vector<ParamDesc> base = compose_params();
  auto add = [&](std::string name, std::string kind, std::string doc,
                 std::vector<ParamDesc> params) {
    registry.add({name, std::move(kind), std::move(doc), params,
                  [name, params](const ParamValues& v) -> std::unique_ptr<Strategy> {
                    check_relevance(v, params, name);
                    if (v.get_string("precision") == "float32") {
                      check_float32_components(v, name);
                      return detail::make_deepseek_float32(pipeline_options(v).policy);
                    }
                    return std::make_unique<PipelineStrategy>(pipeline_options(v));
                  }});
  };
  for (const Preset& preset : presets()) {
    std::vector<ParamDesc> params = base;
    for (const auto& [name, value] : preset.values) {
      // clang 14 (the fuzz build) cannot capture a structured binding.
      const std::string& key = name;
      auto it = std::find_if(params.begin(), params.end(),
                             [&](const ParamDesc& d) { return d.key == key; });
      if (it == params.end())
        throw Error(fmt::format("preset {}: no parameter '{}'", preset.name, key));
      it->default_value = value;
    }
    add(preset.name, "preset", preset.doc, std::move(params));
  }
  add("compose", "family", "any combination of components (defaults: deepseek)", base);
  registry.add({"joint", "family",
                "counts and placement searched together from an init plan, up to the bound",
                joint_params(), make_joint_strategy});
  registry.add({"exact", "family", "exhaustive optimum for tiny instances (test oracle)",
                exact_params(), make_exact_strategy});
  return registry;
}

}  // namespace

const std::vector<ComponentInfo>& strategy_components() {
  static const std::vector<ComponentInfo> list = {
      {"replicate", "dhondt", "eplb.py", "D'Hondt: each extra slot to argmax w/c", {}},
      {"replicate",
       "hybrid_tail",
       "seed003, seed004",
       "D'Hondt bulk, Sainte-Lague tail (w/(2c+1) or w/(2c-1))",
       {"tail", "tail_round", "tail_min", "sl_div"}},
      {"replicate",
       "peak_tail",
       "seed001 (ds), seed000 (dsh)",
       "D'Hondt bulk, tail steps pick the D/S(/H) candidate with the lowest predicted peak",
       {"tail", "tail_round", "tail_min", "chooser"}},
      {"replicate",
       "waterfill",
       "seed002",
       "bisected water level, counts ceil(w/level), top-up by w/c",
       {"wf_iters"}},
      {"fixup", "none", "eplb.py", "no replication fix-up", {}},
      {"fixup",
       "simple",
       "seed003",
       "one donor->receiver move if it lowers the peak (never fires)",
       {}},
      {"fixup", "masked", "seed002", "like simple, donor among cnt>1 (never fires)", {}},
      {"fixup",
       "top2",
       "seed004, seed000",
       "best move top-2 donors x bottom-2 receivers (quirk kept)",
       {}},
      {"fixup",
       "top2_corrected",
       "seed001",
       "top2 with the correct other-peak, optional second move (never fires)",
       {"fixup_second", "fixup_threshold"}},
      {"pack", "greedy", "eplb.py", "heaviest item to the lightest non-full pack", {}},
      {"pack",
       "near_tie",
       "seed000",
       "greedy; near-ties go to the pack with fewer replicas of the same expert",
       {}},
      {"pack",
       "diverse",
       "seed002",
       "greedy on projected load with label penalty, then one micro swap",
       {"micro_swap"}},
      {"refine", "none", "eplb.py", "no refinement", {}},
      {"refine",
       "nearest",
       "seed003, seed001",
       "swap heavy-pack item with the light-pack item nearest to delta/2, N steps",
       {"<stage>_steps", "adapt", "adapt_threshold"}},
      {"refine",
       "k_swap",
       "seed004",
       "best swap of top-k heavy x bottom-k light items, N steps",
       {"<stage>_steps", "<stage>_k"}},
      {"refine",
       "adaptive_swap",
       "seed000",
       "1x1 swaps against the lightest packs, 2x2 exchange, extra step above a threshold",
       {"<stage>_steps", "<stage>_k", "swap_threshold", "lights", "exchange"}},
  };
  return list;
}

namespace {
// Built-ins first; add_strategy_family() appends families defined outside this library.
Registry<Strategy>& mutable_registry() {
  static Registry<Strategy> registry = build_registry();
  return registry;
}
}  // namespace

const Registry<Strategy>& strategy_registry() { return mutable_registry(); }

void add_strategy_family(Registry<Strategy>::Entry entry) {
  mutable_registry().add(std::move(entry));
}

Registry<Strategy>::Made make_strategy(std::string_view spec) {
  return strategy_registry().create(spec);
}

}  // namespace eplb
