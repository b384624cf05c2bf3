// Paired statistics of one strategy against a baseline: the numbers behind every "Δ vs" cell.
//
// Instances of one experiment are not independent: the steps of one time series share their
// series, the cross pairs A -> B that share A share one plan, and the seeds of one generator share
// its parameters. So the confidence interval is a percentile bootstrap that resamples whole
// *units* (a workload for the steps of one series, the plan workload for cross pairs, a
// workload group for the overall row) and recomputes the weighted mean delta; the p-value is a
// Wilcoxon signed-rank test on the per-unit mean deltas (exact permutation distribution with
// mid-ranks for n <= 25, normal approximation with tie and continuity correction above).
// A difference is *significant* only when the interval excludes 0 and p < 0.05: with three seeds
// the bootstrap interval alone is overconfident (p >= 0.25 whatever the data).
// Everything is deterministic: the bootstrap draws from SplitMix64 with a fixed seed.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace eplb {

// One paired instance: `delta` = strategy - baseline (sign already flipped by the caller for
// lower-is-better metrics, so positive is always better), the unit it belongs to, and its weight
// in the mean (1 for a plain mean; 1/size of its group for a mean of group means).
struct PairedSample {
  std::string unit;
  double delta = 0.0;
  double weight = 1.0;
};

struct BootstrapConfig {
  int resamples = 4000;
  std::uint64_t seed = 0x5eed2026u;
  double level = 0.95;
};

struct Interval {
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
};

struct PairedStats {
  int instances = 0;
  int units = 0;
  std::string unit_name;  // what the bootstrap resampled ("workload", "plan workload", ...)
  double mean = std::numeric_limits<double>::quiet_NaN();  // weighted mean delta
  Interval ci;                                             // NaN when units < 2
  int wins = 0, ties = 0, losses = 0;                      // instances with delta >, ==, < 0
  double p_value = std::numeric_limits<double>::quiet_NaN();  // Wilcoxon on unit means
  bool exact_p = false;
  bool significant() const;
};

// Groups `samples` by unit (first-appearance order), then: weighted mean, bootstrap CI over
// units, Wilcoxon p over the units' weighted mean deltas, wins/ties/losses over instances.
PairedStats paired_stats(std::span<const PairedSample> samples, std::string unit_name,
                         const BootstrapConfig& config = {});

// Percentile bootstrap of sum(w*x)/sum(w) where whole units (index i: values[i], weights[i])
// are drawn with replacement, units.size() per resample.
Interval bootstrap_ci(std::span<const std::vector<double>> values,
                      std::span<const std::vector<double>> weights, const BootstrapConfig& config);

// The generator behind the bootstrap (SplitMix64), exposed so tests can redo a resampling.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform index in [0, n) (modulo; the bias is below n / 2^64).
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

struct WilcoxonResult {
  int n = 0;             // non-zero differences
  double w_plus = 0.0;   // sum of the (mid-)ranks of the positive differences
  double p_value = 1.0;  // two-sided
  bool exact = false;
};
// Wilcoxon signed-rank test, zeros dropped (Wilcoxon's convention), mid-ranks for ties.
WilcoxonResult wilcoxon_signed_rank(std::span<const double> differences);

// Two-sided exact sign test: P(at most min(wins, losses) successes of wins + losses) * 2.
double sign_test_p(int wins, int losses);

struct Quartiles {
  double q1 = std::numeric_limits<double>::quiet_NaN();
  double median = std::numeric_limits<double>::quiet_NaN();
  double q3 = std::numeric_limits<double>::quiet_NaN();
};
// Quartiles (linear interpolation between order statistics, R's type 7) of the non-NaN values.
Quartiles quartiles_of(std::vector<double> values);

}  // namespace eplb
