// The `joint` and `exact` strategy families: replica counts and placement chosen together.
#pragma once

#include <memory>
#include <vector>

#include "eplb/strategy.hpp"

namespace eplb {

// joint: local search over counts and placement from an `init` strategy's plan (joint_strategy.cpp)
std::vector<ParamDesc> joint_params();
std::unique_ptr<Strategy> make_joint_strategy(const ParamValues& values);

// exact: exhaustive optimum for tiny instances (exact/exact_strategy.cpp)
std::vector<ParamDesc> exact_params();
std::unique_ptr<Strategy> make_exact_strategy(const ParamValues& values);

}  // namespace eplb
