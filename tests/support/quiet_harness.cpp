#include "quiet_harness.hpp"

#include <gtest/gtest.h>

#include "eplb/error.hpp"

namespace eplb::test {

RunConfig quiet_config(const std::filesystem::path& out) {
  RunConfig config;
  config.out = out;
  config.plots = false;
  config.progress = false;
  config.out_stream = nullptr;
  config.log_stream = nullptr;
  return config;
}

MergeConfig quiet_merge_config() {
  MergeConfig config;
  config.plots = false;
  config.out_stream = nullptr;
  config.log_stream = nullptr;
  return config;
}

ReportConfig quiet_report_config() {
  ReportConfig config;
  config.plots = false;
  config.out_stream = nullptr;
  config.log_stream = nullptr;
  return config;
}

std::string expect_input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InputError";
  return {};
}

}  // namespace eplb::test
