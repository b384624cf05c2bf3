// The estimator registry; see estimate.hpp.
#include "eplb/estimate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "eplb/error.hpp"

namespace eplb {
namespace {

void check_history(const std::vector<LoadMatrix>& history, int count) {
  if (count < 1 || count > static_cast<int>(history.size())) {
    throw Error(
        fmt::format("estimate: {} steps requested from a history of {}", count, history.size()));
  }
}

// First step of the last-k window ending before `count`.
int window_start(int count, int k) { return std::max(0, count - k); }

// Mean of steps first .. count-1, added oldest first.
LoadMatrix window_mean(const std::vector<LoadMatrix>& h, int first, int count) {
  LoadMatrix sum = h[static_cast<std::size_t>(first)];
  for (int t = first + 1; t < count; ++t) sum += h[static_cast<std::size_t>(t)];
  return sum / static_cast<double>(count - first);
}

class Last final : public Estimator {
 public:
  LoadMatrix estimate(const std::vector<LoadMatrix>& h, int count) const override {
    check_history(h, count);
    return h[static_cast<std::size_t>(count - 1)];
  }
};

class Mean final : public Estimator {
 public:
  explicit Mean(int k) : k_(k) {}
  LoadMatrix estimate(const std::vector<LoadMatrix>& h, int count) const override {
    check_history(h, count);
    return window_mean(h, window_start(count, k_), count);
  }

 private:
  int k_;
};

class Ema final : public Estimator {
 public:
  explicit Ema(double alpha) : alpha_(alpha) {}
  LoadMatrix estimate(const std::vector<LoadMatrix>& h, int count) const override {
    check_history(h, count);
    LoadMatrix e = h.front();
    for (int t = 1; t < count; ++t) {
      e = alpha_ * h[static_cast<std::size_t>(t)] + (1.0 - alpha_) * e;
    }
    return e;
  }

 private:
  double alpha_;
};

class Robust final : public Estimator {
 public:
  Robust(int k, double z) : k_(k), z_(z) {}
  LoadMatrix estimate(const std::vector<LoadMatrix>& h, int count) const override {
    check_history(h, count);
    const int first = window_start(count, k_);
    const double n = static_cast<double>(count - first);
    const LoadMatrix mean = window_mean(h, first, count);
    LoadMatrix var = LoadMatrix::Zero(mean.rows(), mean.cols());
    for (int t = first; t < count; ++t) {
      var.array() += (h[static_cast<std::size_t>(t)] - mean).array().square();
    }
    var /= n;
    return (mean.array() + z_ * var.array().sqrt()).matrix();
  }

 private:
  int k_;
  double z_;
};

class Max final : public Estimator {
 public:
  explicit Max(int k) : k_(k) {}
  LoadMatrix estimate(const std::vector<LoadMatrix>& h, int count) const override {
    check_history(h, count);
    const int first = window_start(count, k_);
    LoadMatrix m = h[static_cast<std::size_t>(first)];
    for (int t = first + 1; t < count; ++t) m = m.cwiseMax(h[static_cast<std::size_t>(t)]);
    return m;
  }

 private:
  int k_;
};

ParamDesc k_param(int def) {
  return int_param("k", def, 1, 1 << 20, "steps in the window (fewer at the start of a series)");
}

Registry<Estimator> build() {
  using Made = std::unique_ptr<Estimator>;
  Registry<Estimator> r("estimator");
  r.add({"last", "estimator", "the last observed step", {}, [](const ParamValues&) -> Made {
           return std::make_unique<Last>();
         }});
  r.add({"mean",
         "estimator",
         "mean of the last k steps",
         {k_param(4)},
         [](const ParamValues& v) -> Made { return std::make_unique<Mean>(v.get_int("k")); }});
  r.add(
      {"ema",
       "estimator",
       "exponential moving average over all steps",
       {double_param("alpha", 0.5, 0.001, 1.0, "weight of the newest step")},
       [](const ParamValues& v) -> Made { return std::make_unique<Ema>(v.get_double("alpha")); }});
  r.add({"robust",
         "estimator",
         "mean + z * std of the last k steps (FlashLB's robust load)",
         {k_param(8), double_param("z", 1.0, 0.0, 100.0, "standard deviations above the mean")},
         [](const ParamValues& v) -> Made {
           return std::make_unique<Robust>(v.get_int("k"), v.get_double("z"));
         }});
  r.add({"max",
         "estimator",
         "max of the last k steps",
         {k_param(4)},
         [](const ParamValues& v) -> Made { return std::make_unique<Max>(v.get_int("k")); }});
  return r;
}

}  // namespace

const Registry<Estimator>& estimator_registry() {
  static const Registry<Estimator> registry = build();
  return registry;
}

Registry<Estimator>::Made make_estimator(std::string_view spec) {
  return estimator_registry().create(spec);
}

}  // namespace eplb
