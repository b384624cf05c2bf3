// Google Benchmark: every registered strategy preset, hierarchical and global, on two
// configurations, single-threaded and layer-parallel, next to a floor kernel that only sorts
// each layer's replica loads.
//
//   v3     recorded DeepSeek-V3 decode loads, 58 layers x 256 experts -> 288 replicas,
//          8 groups, 4 nodes, 32 GPUs (the reference configuration)
//   large  synthetic Zipf loads (exponent 1, seed 1), 61 layers x 384 experts -> 512 replicas,
//          8 groups, 8 nodes, 64 GPUs
//
// Names: plan/<config>/<strategy>/<policy>[/threads:2]. Single-threaded runs report CPU time
// (strategy.plan); threaded runs call plan_layers and report real time (use_real_time). They use
// the CPU's widest kernels (the context line `kernel_isa`); on a CPU with AVX-512, the rows
// plan/v3/<strategy>/<policy>/portable time the portable kernels for comparison.
// Run a Release build:  build/release/harness/eplb_bench --benchmark_min_time=0.5
// Each benchmark validates its placement (and plan_layers its equality with strategy.plan)
// before timing it.
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eplb/kernel_isa.hpp"
#include "eplb/metrics.hpp"
#include "eplb/parallel_plan.hpp"
#include "eplb/pipeline.hpp"
#include "eplb/running/heap_policy.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"

namespace {

struct Config {
  const char* name;
  eplb::Topology topology;
  const eplb::LoadMatrix& (*load)();
};
constexpr eplb::Topology kV3{288, 8, 4, 32};
// The cheap joint setting the README quotes next to the default.
constexpr const char* kJointCheap = "joint:kicks=0,iters=10,reassign=false,exchange=false";

// The bundled recorded DeepSeek-V3 decode statistics (58 MoE layers x 256 experts).
const eplb::LoadMatrix& v3_load() {
  static const eplb::LoadMatrix load = [] {
    const eplb::Workload w = eplb::make_workload(std::string(EPLB_SOURCE_DIR) +
                                                 "/workloads/data/deepseek_v3_sglang/"
                                                 "decode_in1000out1000.json");
    return w.steps.front();
  }();
  return load;
}

const eplb::LoadMatrix& large_load() {
  static const eplb::LoadMatrix load =
      eplb::make_workload("zipf:layers=61,experts=384,seed=1").steps.front();
  return load;
}

const Config kConfigs[] = {{"v3", {288, 8, 4, 32}, v3_load},
                           {"large", {512, 8, 8, 64}, large_load}};

// The replica loads of the deepseek placement, one row per layer.
std::vector<std::vector<double>> replica_loads(const Config& config) {
  const eplb::LoadMatrix& load = config.load();
  const auto plan = eplb::make_strategy("deepseek").product->plan(load, config.topology);
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(load.rows()));
  for (Eigen::Index l = 0; l < load.rows(); ++l) {
    for (int s = 0; s < config.topology.num_replicas; ++s) {
      const int e = plan.phy2log(l, s);
      rows[static_cast<std::size_t>(l)].push_back(load(l, e) / plan.logcnt(l, e));
    }
  }
  return rows;
}

// Floor: sort each layer's replica loads, the least work any placement algorithm that orders
// replicas by load must do. `std_sort` is a plain descending std::sort of the doubles (no index,
// no tie rule); `sort_desc` is the strategies' exact stable SORT_DESC (COMPOSITION.md 1.3).
void BM_floor_std_sort(benchmark::State& state, const Config& config) {
  const auto rows = replica_loads(config);
  std::vector<double> buf;
  for (auto _ : state) {
    for (const auto& row : rows) {
      buf.assign(row.begin(), row.end());
      std::sort(buf.begin(), buf.end(), std::greater<>());
      benchmark::DoNotOptimize(buf.data());
    }
    benchmark::ClobberMemory();
  }
}

void BM_floor_sort_desc(benchmark::State& state, const Config& config) {
  const auto rows = replica_loads(config);
  std::vector<int> order;
  for (auto _ : state) {
    for (const auto& row : rows) {
      eplb::sort_desc(row, order);
      benchmark::DoNotOptimize(order.data());
    }
    benchmark::ClobberMemory();
  }
}

void BM_plan(benchmark::State& state, const Config& config, const std::string& spec, int threads,
             eplb::KernelIsa isa) {
  const eplb::KernelIsaScope scope(isa);
  const eplb::LoadMatrix& load = config.load();
  const auto strategy = eplb::make_strategy(spec).product;
  const eplb::Placement reference = strategy->plan(load, config.topology);
  eplb::require_valid(reference, config.topology, static_cast<int>(load.rows()),
                      static_cast<int>(load.cols()), spec);
  if (threads > 1) {
    const eplb::Placement parallel = eplb::plan_layers(*strategy, load, config.topology, threads);
    if (parallel.phy2log != reference.phy2log || parallel.logcnt != reference.logcnt) {
      state.SkipWithError("plan_layers differs from strategy.plan");
      return;
    }
  }
  for (auto _ : state) {
    auto placement = threads > 1 ? eplb::plan_layers(*strategy, load, config.topology, threads)
                                 : strategy->plan(load, config.topology);
    benchmark::DoNotOptimize(placement.phy2log.data());
  }
}

// compute_metrics, bounds included (every result row pays it once).
void BM_strategy(benchmark::State& state, const std::string& spec) {
  const eplb::LoadMatrix& load = v3_load();
  const auto strategy = eplb::make_strategy(spec).product;
  eplb::require_valid(strategy->plan(load, kV3), kV3, static_cast<int>(load.rows()),
                      static_cast<int>(load.cols()), spec);
  for (auto _ : state) {
    auto placement = strategy->plan(load, kV3);
    benchmark::DoNotOptimize(placement.phy2log.data());
  }
}

void BM_metrics(benchmark::State& state, const std::string& spec) {
  const eplb::LoadMatrix& load = v3_load();
  const auto plan = eplb::make_strategy(spec).product->plan(load, kV3);
  for (auto _ : state) {
    auto metrics = eplb::compute_metrics(load, plan, kV3);
    benchmark::DoNotOptimize(metrics.balancedness_bound);
  }
}

}  // namespace

int main(int argc, char** argv) {
  eplb::keep_freed_heap();  // else the large configuration times the OS's page faults
#ifndef NDEBUG
  std::fprintf(stderr, "warning: eplb_bench is not a Release build; timings are meaningless\n");
#endif
  for (const Config& config : kConfigs) {
    benchmark::RegisterBenchmark(
        fmt::format("floor/{}/std_sort_{}_replica_loads", config.name, config.topology.num_replicas)
            .c_str(),
        [&config](benchmark::State& s) { BM_floor_std_sort(s, config); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(fmt::format("floor/{}/sort_desc_{}_replica_loads", config.name,
                                             config.topology.num_replicas)
                                     .c_str(),
                                 [&config](benchmark::State& s) { BM_floor_sort_desc(s, config); })
        ->Unit(benchmark::kMicrosecond);
  }
  const eplb::KernelIsa best = eplb::kernel_isa();
  benchmark::AddCustomContext("kernel_isa", std::string(eplb::to_string(best)));
  for (const int threads : {1, 2}) {
    for (const Config& config : kConfigs) {
      for (const auto& entry : eplb::strategy_registry().entries()) {
        if (entry.kind != "preset") continue;
        for (const char* policy : {"hierarchical", "global"}) {
          const std::string spec =
              std::string(policy) == "hierarchical" ? entry.name : entry.name + ":policy=global";
          const std::string name =
              fmt::format("plan/{}/{}/{}{}", config.name, entry.name, policy,
                          threads > 1 ? fmt::format("/threads:{}", threads) : "");
          auto* bench = benchmark::RegisterBenchmark(
              name.c_str(), [&config, spec, threads, best](benchmark::State& s) {
                BM_plan(s, config, spec, threads, best);
              });
          bench->Unit(benchmark::kMicrosecond);
          if (threads > 1) bench->UseRealTime();
          if (threads == 1 && best != eplb::KernelIsa::kPortable &&
              std::string(config.name) == "v3") {
            benchmark::RegisterBenchmark((name + "/portable").c_str(), [&config,
                                                                        spec](benchmark::State& s) {
              BM_plan(s, config, spec, 1, eplb::KernelIsa::kPortable);
            })->Unit(benchmark::kMicrosecond);
          }
        }
      }
    }
  }
  // The joint search (default budget, a cheap budget) and the metrics with their bounds.
  for (const auto& [name, spec] : std::vector<std::pair<std::string, std::string>>{
           {"plan/joint/hierarchical", "joint"},
           {"plan/joint/global", "joint:policy=global"},
           {"plan/joint_cheap/hierarchical", kJointCheap},
           {"plan/joint_cheap/global", std::string(kJointCheap) + ",policy=global"}}) {
    benchmark::RegisterBenchmark(name.c_str(), [spec](benchmark::State& s) {
      BM_strategy(s, spec);
    })->Unit(benchmark::kMicrosecond);
  }
  for (const char* spec : {"deepseek", "deepseek:policy=global"}) {
    benchmark::RegisterBenchmark(fmt::format("metrics/{}", spec).c_str(), [spec](
                                                                              benchmark::State& s) {
      BM_metrics(s, spec);
    })->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
