// Paired statistics: bootstrap over units, Wilcoxon signed-rank, sign test; see statistics.hpp.
#include "eplb/reporting/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace eplb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double weighted_mean(const std::vector<double>& values, const std::vector<double>& weights) {
  double sum = 0.0, total = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    sum += weights[i] * values[i];
    total += weights[i];
  }
  return total > 0.0 ? sum / total : kNaN;
}

}  // namespace

bool PairedStats::significant() const {
  return !std::isnan(ci.low) && (ci.low > 0.0 || ci.high < 0.0) && !std::isnan(p_value) &&
         p_value < 0.05;
}

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

Interval bootstrap_ci(std::span<const std::vector<double>> values,
                      std::span<const std::vector<double>> weights, const BootstrapConfig& config) {
  const std::size_t k = values.size();
  if (k < 2 || config.resamples < 2) return {};
  // Per unit: sum of w*x and sum of w, so a resample costs O(units).
  std::vector<double> sums(k), totals(k);
  for (std::size_t u = 0; u < k; ++u) {
    for (std::size_t i = 0; i < values[u].size(); ++i) {
      sums[u] += weights[u][i] * values[u][i];
      totals[u] += weights[u][i];
    }
  }
  SplitMix64 rng(config.seed);
  std::vector<double> means;
  means.reserve(static_cast<std::size_t>(config.resamples));
  for (int b = 0; b < config.resamples; ++b) {
    double sum = 0.0, total = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t u = rng.index(k);
      sum += sums[u];
      total += totals[u];
    }
    means.push_back(total > 0.0 ? sum / total : kNaN);
  }
  std::sort(means.begin(), means.end());
  const double b = static_cast<double>(means.size());
  const double alpha = 1.0 - config.level;
  const auto lo = static_cast<std::size_t>(std::floor(alpha / 2.0 * b));
  const auto hi = static_cast<std::size_t>(std::ceil((1.0 - alpha / 2.0) * b)) - 1;
  return {means[lo], means[std::min(hi, means.size() - 1)]};
}

WilcoxonResult wilcoxon_signed_rank(std::span<const double> differences) {
  std::vector<double> d;
  for (double x : differences) {
    if (x != 0.0 && !std::isnan(x)) d.push_back(x);
  }
  WilcoxonResult r;
  r.n = static_cast<int>(d.size());
  if (d.empty()) {  // all ties: no evidence either way, p = 1 exactly
    r.exact = true;
    return r;
  }
  std::sort(d.begin(), d.end(), [](double a, double b) { return std::abs(a) < std::abs(b); });
  // Doubled mid-ranks are integers: positions i..j (1-based) of one tie block get i + j.
  std::vector<long> rank2(d.size());
  double tie_term = 0.0;  // sum of t^3 - t over tie blocks
  for (std::size_t i = 0; i < d.size();) {
    std::size_t j = i;
    while (j + 1 < d.size() && std::abs(d[j + 1]) == std::abs(d[i])) ++j;
    for (std::size_t k = i; k <= j; ++k) rank2[k] = static_cast<long>(i + 1 + j + 1);
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  long w2 = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (d[i] > 0.0) w2 += rank2[i];
  }
  r.w_plus = static_cast<double>(w2) / 2.0;
  const double n = static_cast<double>(r.n);
  if (r.n <= 25) {
    // Exact: every sign pattern of the observed |d| is equally likely under H0.
    const long total = std::accumulate(rank2.begin(), rank2.end(), 0L);
    std::vector<double> count(static_cast<std::size_t>(total) + 1, 0.0);
    count[0] = 1.0;
    long reach = 0;
    for (long r2 : rank2) {
      for (long s = reach; s >= 0; --s) {
        count[static_cast<std::size_t>(s + r2)] += count[static_cast<std::size_t>(s)];
      }
      reach += r2;
    }
    double le = 0.0, ge = 0.0;
    for (long s = 0; s <= total; ++s) {
      if (s <= w2) le += count[static_cast<std::size_t>(s)];
      if (s >= w2) ge += count[static_cast<std::size_t>(s)];
    }
    const double all = std::ldexp(1.0, r.n);
    r.p_value = std::min(1.0, 2.0 * std::min(le, ge) / all);
    r.exact = true;
    return r;
  }
  const double mean = n * (n + 1.0) / 4.0;
  const double var = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - tie_term / 48.0;
  const double dev = std::max(0.0, std::abs(r.w_plus - mean) - 0.5);
  r.p_value = var > 0.0 ? std::min(1.0, std::erfc(dev / std::sqrt(var) / std::sqrt(2.0))) : 1.0;
  return r;
}

double sign_test_p(int wins, int losses) {
  const int n = wins + losses;
  if (n == 0) return 1.0;
  const int k = std::min(wins, losses);
  double tail = 0.0;
  if (n <= 60) {
    // Binomial coefficients are exact doubles here, so table values come out exact.
    double c = 1.0;
    for (int i = 0; i <= k; ++i) {
      tail += c;
      c = c * (n - i) / (i + 1);
    }
    tail = std::ldexp(tail, -n);
  } else {
    for (int i = 0; i <= k; ++i) {
      tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) -
                       n * std::log(2.0));
    }
  }
  return std::min(1.0, 2.0 * tail);
}

Quartiles quartiles_of(std::vector<double> v) {
  std::erase_if(v, [](double x) { return std::isnan(x); });
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const double h = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
  };
  return {at(0.25), at(0.5), at(0.75)};
}

PairedStats paired_stats(std::span<const PairedSample> samples, std::string unit_name,
                         const BootstrapConfig& config) {
  PairedStats s;
  s.unit_name = std::move(unit_name);
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<double>> values, weights;
  for (const PairedSample& x : samples) {
    if (std::isnan(x.delta)) continue;
    auto [it, inserted] = index.emplace(x.unit, values.size());
    if (inserted) {
      values.emplace_back();
      weights.emplace_back();
    }
    values[it->second].push_back(x.delta);
    weights[it->second].push_back(x.weight);
    ++s.instances;
    (x.delta > 0.0 ? s.wins : x.delta < 0.0 ? s.losses : s.ties) += 1;
  }
  s.units = static_cast<int>(values.size());
  if (s.instances == 0) return s;
  std::vector<double> all_values, all_weights, unit_means;
  for (std::size_t u = 0; u < values.size(); ++u) {
    all_values.insert(all_values.end(), values[u].begin(), values[u].end());
    all_weights.insert(all_weights.end(), weights[u].begin(), weights[u].end());
    unit_means.push_back(weighted_mean(values[u], weights[u]));
  }
  s.mean = weighted_mean(all_values, all_weights);
  s.ci = bootstrap_ci(values, weights, config);
  if (s.units >= 2) {
    const WilcoxonResult w = wilcoxon_signed_rank(unit_means);
    s.p_value = w.p_value;
    s.exact_p = w.exact;
  }
  return s;
}

}  // namespace eplb
