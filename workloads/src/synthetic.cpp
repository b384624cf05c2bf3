// Synthetic generators. Randomness comes only from random.hpp (portable streams), so a spec and
// its seed fix the loads bit for bit on every platform.
//
// Known limits: a multinomial draw picks experts independently with replacement, whereas a real
// router picks k distinct experts per token, so per-token correlations (and the tiny reduction of
// variance distinct picks bring) are not modelled; drift is a random walk of ranks, not a model of
// how real popularity shifts (topic changes make jumps).
#include "synthetic.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "eplb/error.hpp"
#include "random.hpp"

namespace eplb::detail {
namespace {

// Beyond these a generator would take minutes or gigabytes; the error says which knob to lower.
constexpr double kMaxCells = 134217728.0;   // 2^27 doubles = 1 GiB
constexpr double kMaxDraws = 4294967296.0;  // 2^32 multinomial draws

const char* family_name(Family f) {
  switch (f) {
    case Family::kUniform:
      return "uniform";
    case Family::kZipf:
      return "zipf";
    case Family::kHotExperts:
      return "hot_experts";
    case Family::kHotGroups:
      return "hot_groups";
  }
  return "?";
}

void check_config(const SyntheticConfig& c, std::string_view owner) {
  const double cells = static_cast<double>(c.layers) * c.experts * c.steps;
  if (cells > kMaxCells) {
    throw InputError(
        fmt::format("{}: layers x experts x steps = {} exceeds {} values; lower "
                    "steps (or sum them with window=)",
                    owner, cells, kMaxCells));
  }
  const double draws = static_cast<double>(c.layers) * c.steps * c.batch;
  if (draws > kMaxDraws) {
    throw InputError(
        fmt::format("{}: layers x steps x batch = {} multinomial draws exceeds {}; "
                    "lower batch or steps",
                    owner, draws, kMaxDraws));
  }
  if (c.family == Family::kHotExperts && c.hot > c.experts) {
    throw InputError(
        fmt::format("{}: hot={} exceeds experts={}; lower hot", owner, c.hot, c.experts));
  }
  if (c.family == Family::kHotGroups) {
    if (c.experts % c.groups != 0) {
      throw InputError(
          fmt::format("{}: experts={} is not divisible by groups={}; each group holds "
                      "experts/groups consecutive experts",
                      owner, c.experts, c.groups));
    }
    if (c.hot_groups > c.groups) {
      throw InputError(fmt::format("{}: hot_groups={} exceeds groups={}; lower hot_groups", owner,
                                   c.hot_groups, c.groups));
    }
  }
}

// Weight of each popularity rank of one layer (rank 0 = most popular unit).
void rank_weights(const SyntheticConfig& c, double exponent, std::vector<double>& w) {
  const auto units = w.size();
  for (std::size_t r = 0; r < units; ++r) {
    switch (c.family) {
      case Family::kUniform:
        w[r] = 1.0;
        break;
      case Family::kZipf:
        w[r] = portable_inverse_power(static_cast<double>(r + 1), exponent);
        break;
      case Family::kHotExperts:
        w[r] = r < static_cast<std::size_t>(c.hot) ? c.factor : 1.0;
        break;
      case Family::kHotGroups:
        w[r] = r < static_cast<std::size_t>(c.hot_groups) ? c.factor : 1.0;
        break;
    }
  }
}

// Between two steps: a random number of adjacent transpositions with mean drift * (units - 1).
void apply_drift(double drift, std::vector<int>& perm, std::mt19937_64& rng) {
  if (perm.size() < 2 || drift <= 0.0) return;
  const double mean = drift * static_cast<double>(perm.size() - 1);
  const double whole = std::floor(mean);
  auto swaps = static_cast<long long>(whole);
  if (uniform01(rng) < mean - whole) ++swaps;
  for (long long i = 0; i < swaps; ++i) {
    const auto r = static_cast<std::size_t>(uniform_below(rng, perm.size() - 1));
    std::swap(perm[r], perm[r + 1]);
  }
}

}  // namespace

std::vector<LoadMatrix> generate_synthetic(const SyntheticConfig& c, std::string_view owner) {
  check_config(c, owner);
  const bool grouped = c.family == Family::kHotGroups;
  const auto experts = static_cast<std::size_t>(c.experts);
  const std::size_t units = grouped ? static_cast<std::size_t>(c.groups) : experts;
  const std::size_t group_size = experts / units;
  const bool shuffled =
      c.family == Family::kHotExperts || grouped || (c.family == Family::kZipf && c.permute);

  std::vector<LoadMatrix> steps(static_cast<std::size_t>(c.steps), LoadMatrix(c.layers, c.experts));
  std::vector<double> weights(units);
  std::vector<int> perm(units);
  std::vector<double> p(experts);
  std::vector<double> cdf(experts);
  std::vector<long long> counts(experts);
  for (int l = 0; l < c.layers; ++l) {
    const auto layer = static_cast<std::uint64_t>(l);
    std::mt19937_64 layer_rng = make_stream(c.seed, Stream::kLayer, layer, 0);
    double exponent = c.exponent;
    if (c.family == Family::kZipf && c.spread > 0.0) {
      exponent = std::max(0.0, c.exponent + c.spread * (2.0 * uniform01(layer_rng) - 1.0));
    }
    rank_weights(c, exponent, weights);
    double total_weight = 0.0;
    for (const double w : weights) total_weight += w;
    std::iota(perm.begin(), perm.end(), 0);
    if (shuffled) shuffle(perm, layer_rng);

    for (int t = 0; t < c.steps; ++t) {
      const auto step = static_cast<std::uint64_t>(t);
      if (t > 0 && c.drift > 0.0) {
        std::mt19937_64 drift_rng = make_stream(c.seed, Stream::kDrift, layer, step);
        apply_drift(c.drift, perm, drift_rng);
      }
      for (std::size_t r = 0; r < units; ++r) {
        const double share = weights[r] / total_weight / static_cast<double>(group_size);
        const std::size_t first = static_cast<std::size_t>(perm[r]) * group_size;
        for (std::size_t e = first; e < first + group_size; ++e) p[e] = share;
      }
      auto row = steps[static_cast<std::size_t>(t)].row(l);
      if (c.batch == 0) {
        for (std::size_t e = 0; e < experts; ++e) {
          row(static_cast<Eigen::Index>(e)) = c.tokens * p[e];
        }
        continue;
      }
      // Inverse-CDF sampling, one binary search per token.
      double running = 0.0;
      for (std::size_t e = 0; e < experts; ++e) cdf[e] = running += p[e];
      std::fill(counts.begin(), counts.end(), 0);
      std::mt19937_64 noise_rng = make_stream(c.seed, Stream::kNoise, layer, step);
      for (int b = 0; b < c.batch; ++b) {
        const double u = uniform01(noise_rng) * running;
        const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
        const auto e = std::min(static_cast<std::size_t>(it - cdf.begin()), experts - 1);
        ++counts[e];
      }
      const double per_token = c.tokens / c.batch;
      for (std::size_t e = 0; e < experts; ++e) {
        row(static_cast<Eigen::Index>(e)) = static_cast<double>(counts[e]) * per_token;
      }
    }
  }
  return steps;
}

std::string describe_synthetic(const SyntheticConfig& c) {
  std::string skew;
  switch (c.family) {
    case Family::kUniform:
      skew = "equal expected load on every expert";
      break;
    case Family::kZipf:
      skew = fmt::format("Zipf exponent {}{}, popular experts {}", c.exponent,
                         c.spread > 0.0 ? fmt::format(" +- {} per layer", c.spread) : "",
                         c.permute ? "permuted per layer" : "0, 1, 2, ... in every layer");
      break;
    case Family::kHotExperts:
      skew = fmt::format("{} hot experts per layer at {}x the load of a cold one", c.hot, c.factor);
      break;
    case Family::kHotGroups:
      skew = fmt::format("{} of {} expert groups hot per layer at {}x the load of a cold group",
                         c.hot_groups, c.groups, c.factor);
      break;
  }
  const std::string noise =
      c.batch == 0 ? "expected loads (no sampling noise)"
                   : fmt::format("multinomial noise of {} tokens per layer per step", c.batch);
  return fmt::format(
      "{}: {} layers x {} experts x {} step(s), {} per layer per step; {}; drift "
      "{}; {}",
      family_name(c.family), c.layers, c.experts, c.steps, c.tokens, skew, c.drift, noise);
}

}  // namespace eplb::detail
