// `deepseek:precision=float32`: eplb.py's own arithmetic (it calls weight.float()), so that its
// plans can be matched bit for bit where float32 rounding decides (see deepseek_float32.cpp).
#pragma once

#include <memory>

#include "eplb/strategy.hpp"

namespace eplb::detail {

std::unique_ptr<Strategy> make_deepseek_float32(Policy policy);

}  // namespace eplb::detail
