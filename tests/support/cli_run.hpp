// Runs the `eplb` binary in a shell for CLI-level tests: exit status, stdout and stderr.
#pragma once

#include <string>

namespace eplb::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `args` is appended to the binary path as shell words (the caller quotes what needs quoting);
// the command runs in `cwd` when given (plans name files relative to the repository root).
CliResult run_eplb(const std::string& args, const std::string& cwd = "");

// A fresh empty directory under the test temp dir, unique per call.
std::string make_temp_dir(const std::string& tag);

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& content);

}  // namespace eplb::test
