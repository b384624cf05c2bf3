// Load estimates from history: which load a plan is made from when it must serve the future.
//
// An estimator turns the steps observed so far, x_0 .. x_{n-1} (each [layers x experts]), into
// one load matrix to plan on. Created from spec strings through `estimator_registry()` (the spec
// grammar of spec.hpp), so plan files sweep them like any parameter. Each cell (layer, expert) is
// estimated on its own; with fewer than k steps observed, the last-k estimators use all of them.
//   last            x_{n-1}
//   mean:k=K        mean of the last K steps (oldest first)
//   ema:alpha=A     e_0 = x_0, e_t = A x_t + (1 - A) e_{t-1}; returns e_{n-1}
//   robust:k=K,z=Z  mean + Z * std (population std) of the last K steps: the conservative load
//                   FlashLB plans on
//   max:k=K         max of the last K steps
// Every estimate is finite and non-negative when the history is.
#pragma once

#include <string_view>
#include <vector>

#include "eplb/spec.hpp"
#include "eplb/types.hpp"

namespace eplb {

class Estimator {
 public:
  virtual ~Estimator() = default;
  // The estimate from history[0 .. count); 1 <= count <= history.size(), same shapes. Throws
  // Error otherwise.
  virtual LoadMatrix estimate(const std::vector<LoadMatrix>& history, int count) const = 0;
};

const Registry<Estimator>& estimator_registry();

// Shorthand for estimator_registry().create(spec) (InputError on a bad spec).
Registry<Estimator>::Made make_estimator(std::string_view spec);

}  // namespace eplb
