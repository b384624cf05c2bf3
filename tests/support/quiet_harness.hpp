// Silent configurations of run / merge / report for harness tests, and an InputError catcher.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "eplb/running/experiment.hpp"

namespace eplb::test {

// No plots, no progress, nothing printed; results go to `out`.
RunConfig quiet_config(const std::filesystem::path& out);
MergeConfig quiet_merge_config();
ReportConfig quiet_report_config();

// The message of the InputError `f` throws; a test failure (and "") when it throws none.
std::string expect_input_error(const std::function<void()>& f);

}  // namespace eplb::test
