// Load estimators (workloads/include/eplb/estimate.hpp), hand-checked on a 3-step history.
#include <gtest/gtest.h>

#include <cmath>

#include "eplb/error.hpp"
#include "eplb/estimate.hpp"

namespace eplb {
namespace {

std::vector<LoadMatrix> history() {
  // One layer, two experts; expert 1 is constant.
  std::vector<LoadMatrix> h(3, LoadMatrix::Zero(1, 2));
  h[0] << 1, 7;
  h[1] << 3, 7;
  h[2] << 2, 7;
  return h;
}

double estimate(const char* spec, int count, int expert = 0) {
  return make_estimator(spec).product->estimate(history(), count)(0, expert);
}

TEST(Estimate, HandChecked) {
  EXPECT_EQ(estimate("last", 3), 2.0);
  EXPECT_EQ(estimate("last", 2), 3.0);  // only the first two steps observed
  EXPECT_EQ(estimate("mean:k=2", 3), 2.5);
  EXPECT_EQ(estimate("mean:k=10", 3), 2.0);  // fewer steps than k: all of them
  EXPECT_EQ(estimate("mean", 1), 1.0);
  // e0 = 1, e1 = 0.5 * 3 + 0.5 * 1 = 2, e2 = 0.5 * 2 + 0.5 * 2 = 2
  EXPECT_EQ(estimate("ema:alpha=0.5", 3), 2.0);
  EXPECT_EQ(estimate("ema:alpha=1", 3), 2.0);
  EXPECT_DOUBLE_EQ(estimate("ema:alpha=0.25", 2), 1.5);
  // mean 2, population variance (1 + 1 + 0) / 3
  EXPECT_DOUBLE_EQ(estimate("robust:k=3,z=1", 3), 2.0 + std::sqrt(2.0 / 3.0));
  EXPECT_DOUBLE_EQ(estimate("robust:k=2,z=2", 3), 2.5 + 2.0 * 0.5);
  EXPECT_EQ(estimate("robust:k=3,z=0", 3), 2.0);
  EXPECT_EQ(estimate("max:k=2", 3), 3.0);
  EXPECT_EQ(estimate("max:k=1", 3), 2.0);
  for (const char* spec : {"last", "mean", "ema", "robust", "max"}) {
    EXPECT_EQ(estimate(spec, 3, 1), 7.0) << spec;  // a constant load is its own estimate
  }
}

TEST(Estimate, BadSpecsAndHistoriesAreErrors) {
  EXPECT_THROW(make_estimator("median"), InputError);
  EXPECT_THROW(make_estimator("mean:k=0"), InputError);
  EXPECT_THROW(make_estimator("ema:alpha=1.5"), InputError);
  EXPECT_THROW(make_estimator("last:k=2"), InputError);
  EXPECT_THROW(make_estimator("last").product->estimate(history(), 0), Error);
  EXPECT_THROW(make_estimator("last").product->estimate(history(), 4), Error);
  EXPECT_EQ(make_estimator("mean:k=4").canonical, "mean");
  EXPECT_EQ(make_estimator("robust:z=2").canonical, "robust:z=2");
}

}  // namespace
}  // namespace eplb
