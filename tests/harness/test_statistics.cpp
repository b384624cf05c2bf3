// Paired statistics (harness/src/reporting/statistics.cpp) against hand computations, a
// published Wilcoxon table value and an exhaustive enumeration of a small bootstrap.
#include "eplb/reporting/statistics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace eplb {
namespace {

// Ranks 1..10 with the ranks in `negative` given a minus sign.
std::vector<double> signed_ranks(std::initializer_list<int> negative) {
  std::vector<double> d;
  for (int r = 1; r <= 10; ++r) {
    const bool neg = std::find(negative.begin(), negative.end(), r) != negative.end();
    d.push_back(neg ? -r : r);
  }
  return d;
}

TEST(Statistics, WilcoxonExactMatchesThePublishedCriticalValue) {
  // Published table (e.g. Wilcoxon 1947; any statistics text): n = 10, two-sided alpha = 0.05,
  // critical value T = 8. Hand count: 25 of the 1024 sign patterns have T <= 8, 33 have T <= 9.
  const WilcoxonResult at8 = wilcoxon_signed_rank(signed_ranks({1, 7}));
  EXPECT_TRUE(at8.exact);
  EXPECT_EQ(at8.n, 10);
  EXPECT_DOUBLE_EQ(at8.w_plus, 55.0 - 8.0);
  EXPECT_DOUBLE_EQ(at8.p_value, 2.0 * 25.0 / 1024.0);
  EXPECT_LT(at8.p_value, 0.05);
  const WilcoxonResult at9 = wilcoxon_signed_rank(signed_ranks({1, 8}));
  EXPECT_DOUBLE_EQ(at9.p_value, 2.0 * 33.0 / 1024.0);
  EXPECT_GT(at9.p_value, 0.05);
}

TEST(Statistics, WilcoxonSmallSamplesTiesAndZeros) {
  // Three positive differences: 1 of 8 sign patterns is as extreme on each side.
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank(std::vector<double>{0.1, 0.2, 0.3}).p_value, 0.25);
  // Zeros are dropped; a tie block {1, 1, -1} has mid-rank 2: W+ = 4 of sums {0, 2, 4, 6}
  // with counts {1, 3, 3, 1}; P(W+ >= 4) = 1/2, so p = 1.
  const WilcoxonResult tied = wilcoxon_signed_rank(std::vector<double>{1.0, 0.0, 1.0, -1.0});
  EXPECT_EQ(tied.n, 3);
  EXPECT_DOUBLE_EQ(tied.w_plus, 4.0);
  EXPECT_DOUBLE_EQ(tied.p_value, 1.0);
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank(std::vector<double>{0.0, 0.0}).p_value, 1.0);
}

TEST(Statistics, WilcoxonNormalApproximationAboveTwentyFive) {
  // n = 30, all positive: W+ = 465, mean 232.5, variance 30*31*61/24 = 2363.75 (no ties);
  // z = (232.5 - 0.5) / sqrt(2363.75) = 4.7719, two-sided p = erfc(z / sqrt 2) = 1.825e-6.
  std::vector<double> d;
  for (int i = 1; i <= 30; ++i) d.push_back(i);
  const WilcoxonResult r = wilcoxon_signed_rank(d);
  EXPECT_FALSE(r.exact);
  EXPECT_NEAR(r.p_value, 1.825e-6, 0.005e-6);
  // Ties shrink the variance (tie correction): 30 equal |d| with 20 positive.
  std::vector<double> tied(30, 1.0);
  for (int i = 0; i < 10; ++i) tied[static_cast<std::size_t>(i)] = -1.0;
  // All mid-ranks 15.5: W+ = 310, mean 232.5, var = 2363.75 - (27000 - 30)/48 = 1801.875,
  // z = 77 / 42.448 = 1.8140, p = 0.06967.
  EXPECT_NEAR(wilcoxon_signed_rank(tied).p_value, 0.06967, 0.0001);
}

TEST(Statistics, SignTestIsTheBinomialTail) {
  EXPECT_DOUBLE_EQ(sign_test_p(9, 1), 2.0 * 11.0 / 1024.0);
  EXPECT_NEAR(sign_test_p(5, 5), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(sign_test_p(0, 0), 1.0);
}

TEST(Statistics, QuartilesInterpolateLikeRType7) {
  const Quartiles q = quartiles_of({4.0, 1.0, std::nan(""), 3.0, 2.0});
  EXPECT_DOUBLE_EQ(q.q1, 1.75);
  EXPECT_DOUBLE_EQ(q.median, 2.5);
  EXPECT_DOUBLE_EQ(q.q3, 3.25);
  EXPECT_TRUE(std::isnan(quartiles_of({}).median));
}

TEST(Statistics, PairedStatsResampleWholeUnits) {
  // Unit A: three instances of +1; unit B: one of +3. Mean over instances 1.5; a resample is
  // AA (1/4: mean 1), AB/BA (1/2: mean 1.5) or BB (1/4: mean 3), so the 95% interval is [1, 3].
  const std::vector<PairedSample> samples = {
      {"A", 1.0, 1.0}, {"A", 1.0, 1.0}, {"B", 3.0, 1.0}, {"A", 1.0, 1.0}};
  const PairedStats s = paired_stats(samples, "workload");
  EXPECT_EQ(s.instances, 4);
  EXPECT_EQ(s.units, 2);
  EXPECT_EQ(s.unit_name, "workload");
  EXPECT_DOUBLE_EQ(s.mean, 1.5);
  EXPECT_DOUBLE_EQ(s.ci.low, 1.0);
  EXPECT_DOUBLE_EQ(s.ci.high, 3.0);
  EXPECT_EQ(s.wins, 4);
  // Two units: Wilcoxon p = 0.5, so the interval alone does not make it significant.
  EXPECT_DOUBLE_EQ(s.p_value, 0.5);
  EXPECT_FALSE(s.significant());
  // Weights: a mean of unit means (A counts once, not three times) is (1 + 3) / 2.
  const std::vector<PairedSample> weighted = {
      {"A", 1.0, 1.0 / 3}, {"A", 1.0, 1.0 / 3}, {"A", 1.0, 1.0 / 3}, {"B", 3.0, 1.0}};
  EXPECT_DOUBLE_EQ(paired_stats(weighted, "group").mean, 2.0);
  // One unit: no interval, no test.
  const PairedStats one = paired_stats(std::vector<PairedSample>{{"A", 1.0, 1.0}}, "workload");
  EXPECT_TRUE(std::isnan(one.ci.low));
  EXPECT_TRUE(std::isnan(one.p_value));
  EXPECT_FALSE(one.significant());
}

TEST(Statistics, BootstrapMatchesExhaustiveEnumerationAndIsSeeded) {
  // Four units {0, 1, 3, 10}: all 4^4 = 256 resamples are equally likely; their quantiles are
  // the exact bootstrap distribution the seeded resampling approximates.
  const std::vector<double> x = {0.0, 1.0, 3.0, 10.0};
  std::vector<double> all;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      for (int c = 0; c < 4; ++c)
        for (int d = 0; d < 4; ++d) all.push_back((x[a] + x[b] + x[c] + x[d]) / 4.0);
  std::sort(all.begin(), all.end());
  auto exact = [&](double q) { return all[static_cast<std::size_t>(q * 255.0)]; };
  std::vector<std::vector<double>> values, weights;
  for (double v : x) {
    values.push_back({v});
    weights.push_back({1.0});
  }
  BootstrapConfig config;
  config.resamples = 20000;
  const Interval ci = bootstrap_ci(values, weights, config);
  EXPECT_GE(ci.low, exact(0.015));
  EXPECT_LE(ci.low, exact(0.035));
  EXPECT_GE(ci.high, exact(0.965));
  EXPECT_LE(ci.high, exact(0.985));
  // Fixed seed: identical intervals; the generator is SplitMix64 (first output of seed 0).
  const Interval again = bootstrap_ci(values, weights, config);
  EXPECT_EQ(ci.low, again.low);
  EXPECT_EQ(ci.high, again.high);
  EXPECT_EQ(SplitMix64(0).next(), 0xe220a8397b1dcdafu);
}

}  // namespace
}  // namespace eplb
