// Plan expansion and spec resolution; see expand.hpp.
#include "eplb/plan_files/expand.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "eplb/reporting/analysis.hpp"
#include "eplb/error.hpp"
#include "eplb/estimate.hpp"

namespace eplb {
namespace {

std::string with_param(std::string_view spec_text, const std::string& key, const std::string& value,
                       const std::string& where) {
  Spec spec = parse_spec(spec_text);
  for (const SpecParam& p : spec.params) {
    if (p.key == key) {
      throw InputError(
          fmt::format("{}: '{}' already sets {}; remove it from the spec or from "
                      "the list that sweeps it",
                      where, spec_text, key));
    }
  }
  spec.params.push_back({key, value});
  return spec.to_string();
}

std::string without_seed(const std::string& canonical) {
  Spec spec;
  try {
    spec = parse_spec(canonical);
  } catch (const InputError&) {
    return canonical;  // a loader may name recorded data by path; it has no seed to drop
  }
  std::erase_if(spec.params, [](const SpecParam& p) { return p.key == "seed"; });
  return spec.to_string();
}

bool registry_entry_has_seed(std::string_view spec_text) {
  Spec spec;
  try {
    spec = parse_spec(spec_text);
  } catch (const InputError&) {
    return false;  // a path
  }
  const auto& registry = workload_registry();
  if (!registry.contains(spec.name)) return false;
  for (const SpecParam& p : spec.params) {
    if (p.key == "seed") return false;  // set explicitly
  }
  for (const ParamDesc& d : registry.find(spec.name).params) {
    if (d.key == "seed") return true;
  }
  return false;
}

std::string join_swept(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ";") + k;
  return out;
}

// Every grid point of `entry` as a spec string (first grid key outermost).
std::vector<std::string> grid_specs(const PlanStrategy& entry, const std::string& where) {
  std::vector<std::string> specs = {entry.spec};
  for (const auto& [key, values] : entry.grid) {
    std::vector<std::string> next;
    for (const std::string& spec : specs) {
      for (const std::string& value : values) {
        next.push_back(with_param(spec, key, value, where + ".grid." + key));
      }
    }
    specs = std::move(next);
  }
  return specs;
}

std::vector<std::pair<int, int>> step_pairs(Protocol protocol, const Workload& plan_on,
                                            const Workload& score_on, int max_steps, int warmup,
                                            const std::string& where) {
  std::vector<std::pair<int, int>> pairs;
  const int n = plan_on.num_steps();
  switch (protocol) {
    case Protocol::kInSample:
      for (int t = 0; t < n; ++t) pairs.emplace_back(t, t);
      break;
    case Protocol::kNextWindow:
      if (n < 2) {
        throw InputError(fmt::format(
            "{} ('{}'): protocol next-window plans on step t and scores on step t+1, but this "
            "workload has {} step. Recorded DeepSeek-V3 aggregates have one step: use protocol "
            "cross between them, or a synthetic or HarMoEny time series",
            where, plan_on.spec, n));
      }
      for (int t = 0; t + 1 < n; ++t) pairs.emplace_back(t, t + 1);
      break;
    case Protocol::kCross:
      for (int t = 0; t < std::min(n, score_on.num_steps()); ++t) pairs.emplace_back(t, t);
      break;
    case Protocol::kRebalance:
      // Steps 0 .. warmup-1 are only observed; the rows are the scored steps (see rebalance.hpp).
      if (n <= warmup) {
        throw InputError(fmt::format(
            "{} ('{}'): protocol rebalance observes {} warm-up step(s) before it scores any, but "
            "this workload has {} step(s); use a time series (synthetic steps=, HarMoEny) or a "
            "smaller rebalance.warmup",
            where, plan_on.spec, warmup, n));
      }
      for (int t = warmup; t < n; ++t) pairs.emplace_back(t, t);
      break;
  }
  if (max_steps > 0 && static_cast<int>(pairs.size()) > max_steps) {
    pairs.resize(static_cast<std::size_t>(max_steps));
  }
  return pairs;
}

bool same_topology(const Topology& a, const Topology& b) {
  return a.num_replicas == b.num_replicas && a.num_groups == b.num_groups &&
         a.num_nodes == b.num_nodes && a.num_gpus == b.num_gpus;
}

// Resolves the workload entries of one plan list; `cache` shares data between the lists.
struct WorkloadResolver {
  const Plan& plan;
  const WorkloadLoader& loader;
  Expansion& out;
  std::map<std::string, int> by_text;       // spec as written (+ seed) -> index
  std::map<std::string, int> by_canonical;  // canonical spec -> index

  // (workload index, topologies, plan key) for each workload of `entries`.
  struct Item {
    int workload;
    const std::vector<Topology>* topologies;
    std::string key;
  };

  std::vector<Item> resolve(const std::vector<PlanWorkload>& entries) {
    std::vector<Item> items;
    std::set<int> seen;
    for (const PlanWorkload& entry : entries) {
      const std::string where = fmt::format("{}: {}", plan.path.string(), entry.key);
      std::vector<std::string> texts;
      const std::vector<std::int64_t>& seeds = !entry.seeds.empty()                  ? entry.seeds
                                               : registry_entry_has_seed(entry.spec) ? plan.seeds
                                                                                     : entry.seeds;
      if (seeds.empty()) {
        texts.push_back(entry.spec);
      } else {
        for (std::int64_t seed : seeds) {
          try {
            texts.push_back(with_param(entry.spec, "seed", std::to_string(seed), where));
          } catch (const InputError& e) {
            throw InputError(
                fmt::format("{}: seeds need a workload spec with a seed "
                            "parameter ({})",
                            where, e.what()));
          }
        }
      }
      for (const std::string& text : texts) {
        const int index = load(text, entry, where);
        if (!seen.insert(index).second) {
          out.notes.push_back(fmt::format("{}: workload '{}' is listed twice; dropped the repeat",
                                          entry.key,
                                          out.workloads[static_cast<std::size_t>(index)].spec));
          continue;
        }
        items.push_back(
            {index, entry.topologies.empty() ? &plan.topologies : &entry.topologies, entry.key});
      }
    }
    return items;
  }

  int load(const std::string& text, const PlanWorkload& entry, const std::string& where) {
    if (auto it = by_text.find(text); it != by_text.end()) return it->second;
    WorkloadData data;
    try {
      data = loader(text);
    } catch (const Error& e) {
      throw InputError(fmt::format("{} ('{}'): {}", where, text, e.what()));
    }
    if (data.workload.steps.empty()) {
      throw InputError(fmt::format("{} ('{}'): workload has no steps", where, text));
    }
    const std::string canonical = data.workload.spec;
    int index = 0;
    if (auto it = by_canonical.find(canonical); it != by_canonical.end()) {
      index = it->second;
      const std::string& split = out.workloads[static_cast<std::size_t>(index)].split;
      if (split != entry.split) {
        throw InputError(fmt::format("{}: workload '{}' appears with splits '{}' and '{}'", where,
                                     canonical, split, entry.split));
      }
    } else {
      ResolvedWorkload w;
      w.spec = canonical;
      w.group = without_seed(canonical);
      w.split = entry.split;
      w.params = std::move(data.params);
      w.data = std::make_shared<const Workload>(std::move(data.workload));
      index = static_cast<int>(out.workloads.size());
      out.workloads.push_back(std::move(w));
      by_canonical.emplace(canonical, index);
    }
    by_text.emplace(text, index);
    return index;
  }
};

}  // namespace

WorkloadData load_workload(std::string_view spec_or_path) {
  WorkloadData data;
  data.workload = make_workload(spec_or_path);
  data.params = workload_registry().create(data.workload.spec).values.items();
  return data;
}

long Expansion::rows() const {
  long n = 0;
  for (const Run& run : runs) n += static_cast<long>(run.steps.size());
  return n;
}

std::string Expansion::describe() const {
  auto plural = [](std::size_t n, const char* one, const char* many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
  };
  return fmt::format(
      "{} x {} x {} x {} = {}, {}", plural(strategies.size(), "strategy", "strategies"),
      plural(workloads.size(), "workload", "workloads"),
      plural(static_cast<std::size_t>(topologies), "topology", "topologies"),
      plural(static_cast<std::size_t>(protocols), "protocol", "protocols"),
      plural(runs.size(), "run", "runs"), plural(static_cast<std::size_t>(rows()), "row", "rows"));
}

Expansion expand_plan(const Plan& plan, const WorkloadLoader& loader) {
  Expansion out;
  const std::string file = plan.path.string();

  // Strategies: every grid point, resolved (and constructed) now.
  std::map<std::string, int> strategy_index;
  for (const PlanStrategy& entry : plan.strategies) {
    const std::string where = fmt::format("{}: {}", file, entry.key);
    std::vector<std::string> grid_keys;
    for (const auto& [key, values] : entry.grid) grid_keys.push_back(key);
    const std::string swept = join_swept(grid_keys);
    for (const std::string& text : grid_specs(entry, where)) {
      Registry<Strategy>::Made made;
      try {
        made = make_strategy(text);
      } catch (const Error& e) {
        throw InputError(fmt::format("{} ('{}'): {}", where, text, e.what()));
      }
      if (auto it = strategy_index.find(made.canonical); it != strategy_index.end()) {
        // Typically the default point of two grids over different parameters: run it once, but
        // let it count as a point of both sweeps.
        ResolvedStrategy& first = out.strategies[static_cast<std::size_t>(it->second)];
        std::vector<std::string> keys = split_keys(first.swept);
        for (const std::string& k : split_keys(swept)) {
          if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
        }
        first.swept = join_swept(keys);
        out.notes.push_back(fmt::format("{}: strategy '{}' is listed twice; it runs once",
                                        entry.key, made.canonical));
        continue;
      }
      ResolvedStrategy s;
      s.spec = made.canonical;
      s.name = parse_spec(made.canonical).name;
      s.family = entry.spec;
      s.swept = swept;
      s.params = made.values.items();
      s.strategy = std::shared_ptr<const Strategy>(std::move(made.product));
      strategy_index.emplace(s.spec, static_cast<int>(out.strategies.size()));
      out.strategies.push_back(std::move(s));
    }
  }

  // Rebalance grid points with canonical estimator specs (one default point for other protocols).
  std::vector<RebalanceConfig> rebalances = plan.rebalances;
  for (std::size_t i = 0; i < rebalances.size(); ++i) {
    try {
      rebalances[i].estimate = make_estimator(rebalances[i].estimate).canonical;
    } catch (const Error& e) {
      throw InputError(fmt::format("{}: rebalance.estimate ('{}'): {} (see eplb list)", file,
                                   rebalances[i].estimate, e.what()));
    }
  }

  WorkloadResolver resolver{plan, loader, out, {}, {}};
  const auto plan_on = resolver.resolve(plan.workloads);
  const auto score_on = resolver.resolve(plan.score_workloads);

  std::vector<Topology> topologies_seen;
  std::set<std::string> identities;
  int skipped_topologies = 0;
  for (Protocol protocol : plan.protocols) {
    for (const auto& a : plan_on) {
      const ResolvedWorkload& wa = out.workloads[static_cast<std::size_t>(a.workload)];
      std::vector<const WorkloadResolver::Item*> scores;
      if (protocol == Protocol::kCross) {
        for (const auto& b : score_on) {
          if (b.workload != a.workload) scores.push_back(&b);
        }
      } else {
        scores.push_back(&a);
      }
      for (const auto* b : scores) {
        const ResolvedWorkload& wb = out.workloads[static_cast<std::size_t>(b->workload)];
        const std::string where = fmt::format("{}: {}", file, a.key);
        if (wa.data->num_layers() != wb.data->num_layers() ||
            wa.data->num_experts() != wb.data->num_experts()) {
          const std::string message = fmt::format(
              "{}: protocol cross cannot score a plan for '{}' ({} layers x {} experts) on '{}' "
              "({} x {}); list workloads of one shape (or use separate plans)",
              where, wa.spec, wa.data->num_layers(), wa.data->num_experts(), wb.spec,
              wb.data->num_layers(), wb.data->num_experts());
          if (!plan.skip_invalid_topologies) throw InputError(message);
          out.notes.push_back("skipped: " + message);
          continue;
        }
        const bool rebalance = protocol == Protocol::kRebalance;
        const std::vector<RebalanceConfig> configs =
            rebalance ? rebalances : std::vector<RebalanceConfig>{RebalanceConfig{}};
        std::vector<std::vector<std::pair<int, int>>> steps_of;  // per config (its warm-up)
        for (const RebalanceConfig& c : configs) {
          steps_of.push_back(
              step_pairs(protocol, *wa.data, *wb.data, plan.max_steps, c.warmup, where));
        }
        for (std::size_t ti = 0; ti < a.topologies->size(); ++ti) {
          const Topology& topology = (*a.topologies)[ti];
          try {
            topology.validate(wa.data->num_experts(), Policy::kAuto);
            check_plan_size(wa.data->num_layers(), topology);
          } catch (const InputError& e) {
            const std::string message =
                fmt::format("{}: topology {} does not fit '{}' ({} experts): {}", where,
                            topology.to_string(), wa.spec, wa.data->num_experts(), e.what());
            if (!plan.skip_invalid_topologies) {
              throw InputError(message +
                               " (give this workload its own \"topologies\", or set "
                               "\"skip_invalid_topologies\": true)");
            }
            ++skipped_topologies;
            continue;
          }
          if (std::none_of(topologies_seen.begin(), topologies_seen.end(),
                           [&](const Topology& t) { return same_topology(t, topology); })) {
            topologies_seen.push_back(topology);
          }
          // Rebalance grid points (one default point for other protocols) vary fastest.
          for (std::size_t run_slot = 0; run_slot < out.strategies.size() * configs.size();
               ++run_slot) {
            const std::size_t si = run_slot / configs.size();
            const RebalanceConfig& config = configs[run_slot % configs.size()];
            Run run;
            run.strategy = static_cast<int>(si);
            run.workload = a.workload;
            run.score_workload = b->workload;
            run.topology = topology;
            run.protocol = protocol;
            run.steps = steps_of[run_slot % configs.size()];
            if (rebalance) run.rebalance = config;
            run.identity = fmt::format(
                "strategy={}\nworkload={}\nscore_workload={}\ntopology={}\nprotocol={}\n"
                "max_steps={}",
                out.strategies[si].spec, wa.spec, wb.spec, topology.to_string(),
                rebalance ? config.label() : to_string(protocol), plan.max_steps);
            // A recorded file's bytes belong to the identity: an edited file under the same path
            // reruns instead of reusing results of the old content.
            if (!wa.data->content_hash.empty()) {
              run.identity += fmt::format("\ncontent({})={}", wa.spec, wa.data->content_hash);
            }
            if (&wb != &wa && !wb.data->content_hash.empty()) {
              run.identity += fmt::format("\ncontent({})={}", wb.spec, wb.data->content_hash);
            }
            if (!identities.insert(run.identity).second) continue;  // repeated topology
            run.id = fingerprint(run.identity);
            run.index = static_cast<int>(out.runs.size());
            out.runs.push_back(std::move(run));
          }
        }
      }
    }
  }
  if (skipped_topologies > 0) {
    out.notes.push_back(fmt::format(
        "skipped {} (workload, topology) combinations that do not fit (skip_invalid_topologies)",
        skipped_topologies));
  }
  out.topologies = static_cast<int>(topologies_seen.size());
  out.protocols = static_cast<int>(plan.protocols.size());
  return out;
}

std::string Shard::to_string() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(std::string_view text, std::string_view where) {
  const auto slash = text.find('/');
  auto number = [](std::string_view s, int& v) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && ptr == s.data() + s.size();
  };
  Shard shard;
  if (slash == std::string_view::npos || !number(text.substr(0, slash), shard.index) ||
      !number(text.substr(slash + 1), shard.count) || shard.count < 1 || shard.index < 0 ||
      shard.index >= shard.count) {
    throw InputError(
        fmt::format("{}: bad shard '{}': expected i/n with 0 <= i < n, e.g. --shard "
                    "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT with --array=0-(n-1)",
                    where, text));
  }
  return shard;
}

}  // namespace eplb
