// Portable randomness for the synthetic generators: the same seed gives bit-identical loads with
// any standard library, compiler and libm.
//
// std::mt19937_64's output sequence is fixed by the standard, but std's distributions and libm's
// pow/exp/log are not, so everything on top of the raw 64-bit draws is implemented here with
// +, -, *, / only (IEEE-754, correctly rounded; the project builds with -ffp-contract=off, so no
// FMA contraction changes a result). Streams: every (purpose, layer, step) gets its own generator
// seeded by a SplitMix64 hash of (seed, purpose, layer, step), so adding steps or layers never
// changes the ones already there.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace eplb::detail {

// SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

enum class Stream : std::uint64_t { kLayer = 1, kDrift = 2, kNoise = 3 };

inline std::mt19937_64 make_stream(std::uint64_t seed, Stream purpose, std::uint64_t layer,
                                   std::uint64_t step) {
  std::uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ static_cast<std::uint64_t>(purpose));
  h = splitmix64(h ^ layer);
  h = splitmix64(h ^ step);
  return std::mt19937_64(h);
}

// Uniform double in [0, 1) from the top 53 bits: exact, every value a multiple of 2^-53.
inline double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Uniform integer in [0, n), n >= 1, without modulo bias (rejection of the short last block).
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  while (true) {
    const std::uint64_t x = rng();
    if (x >= threshold) return x % n;
  }
}

// Fisher-Yates shuffle (Durstenfeld's in-place form), from the back.
template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(uniform_below(rng, i));
    std::swap(v[i - 1], v[j]);
  }
}

// x^(-s) for x >= 1 and s >= 0 from basic arithmetic only: x = m 2^k with m in [0.5, 1) (frexp
// is exact), ln x = k ln2 + 2 atanh((m-1)/(m+1)), then exp by halving-free range reduction
// y = n ln2 + r, |r| <= ln2/2, and a Taylor series. Relative error ~1e-15, which is plenty for
// Zipf weights; what matters is that it is the same everywhere.
inline double portable_inverse_power(double x, double s) {
  constexpr double kLn2 = 0.6931471805599453094;
  if (s == 0.0 || x == 1.0) return 1.0;
  int k = 0;
  const double m = std::frexp(x, &k);
  const double z = (m - 1.0) / (m + 1.0);  // |z| <= 1/3
  const double z2 = z * z;
  double term = z;
  double series = 0.0;
  for (int i = 1; i < 80; i += 2) {
    series += term / i;
    term *= z2;
  }
  const double y = -s * (k * kLn2 + 2.0 * series);  // ln(x^-s) <= 0
  const double n = std::floor(y / kLn2 + 0.5);
  const double r = y - n * kLn2;
  double e = 1.0;
  double t = 1.0;
  for (int i = 1; i < 30; ++i) {
    t *= r / i;
    e += t;
  }
  return std::ldexp(e, static_cast<int>(n));
}

}  // namespace eplb::detail
