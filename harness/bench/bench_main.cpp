// Google Benchmark: every registered strategy preset on the DeepSeek-V3 configuration
// (58 layers x 256 experts -> 288 replicas, 8 groups, 4 nodes, 32 GPUs), hierarchical and
// global, next to a floor kernel that only sorts each layer's 288 replica loads.
//
// Run a Release build:  build/release/harness/eplb_bench --benchmark_min_time=0.2
// Each benchmark validates its placement once before timing it.
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "eplb/metrics.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"

namespace {

constexpr eplb::Topology kV3{288, 8, 4, 32};
// The cheap joint setting the README quotes next to the default.
constexpr const char* kJointCheap = "joint:kicks=0,iters=10,reassign=false";

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

// Floor: sort each layer's 288 replica loads (the replica loads of the deepseek placement), the
// least work any placement algorithm that orders replicas by load must do.
void BM_floor_sort_replica_loads(benchmark::State& state) {
  const eplb::LoadMatrix& load = v3_load();
  const auto plan = eplb::make_strategy("deepseek").product->plan(load, kV3);
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(load.rows()));
  for (Eigen::Index l = 0; l < load.rows(); ++l) {
    for (int s = 0; s < kV3.num_replicas; ++s) {
      const int e = plan.phy2log(l, s);
      rows[static_cast<std::size_t>(l)].push_back(load(l, e) / plan.logcnt(l, e));
    }
  }
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

// compute_metrics, bounds included (every result row pays it once).
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
#ifndef NDEBUG
  std::fprintf(stderr, "warning: eplb_bench is not a Release build; timings are meaningless\n");
#endif
  benchmark::RegisterBenchmark("floor/sort_288_replica_loads", BM_floor_sort_replica_loads)
      ->Unit(benchmark::kMicrosecond);
  for (const auto& entry : eplb::strategy_registry().entries()) {
    if (entry.kind != "preset") continue;
    for (const char* policy : {"hierarchical", "global"}) {
      const std::string spec =
          std::string(policy) == "hierarchical" ? entry.name : entry.name + ":policy=global";
      benchmark::RegisterBenchmark(fmt::format("plan/{}/{}", entry.name, policy).c_str(),
                                   [spec](benchmark::State& s) { BM_strategy(s, spec); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
  // The joint search (default budget, a cheap budget) and the metrics with their bounds.
  for (const auto& [name, spec] : std::vector<std::pair<std::string, std::string>>{
           {"plan/joint/hierarchical", "joint"},
           {"plan/joint/global", "joint:policy=global"},
           {"plan/joint_cheap/hierarchical", kJointCheap},
           {"plan/joint_cheap/global", std::string(kJointCheap) + ",policy=global"}}) {
    benchmark::RegisterBenchmark(name.c_str(), [spec](benchmark::State& s) { BM_strategy(s, spec); })
        ->Unit(benchmark::kMicrosecond);
  }
  for (const char* spec : {"deepseek", "deepseek:policy=global"}) {
    benchmark::RegisterBenchmark(fmt::format("metrics/{}", spec).c_str(),
                                 [spec](benchmark::State& s) { BM_metrics(s, spec); })
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
