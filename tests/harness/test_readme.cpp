// The README promises two set-up commands; CI must run exactly the second one.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_run.hpp"

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Readme, CiRunsExactlyTheReadmeTestCommand) {
  const auto ci = lines_of(eplb::test::read_text(std::string(EPLB_SOURCE_DIR) + "/.ci/run"));
  const std::string readme = eplb::test::read_text(std::string(EPLB_SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(ci.empty());
  const std::string& command = ci.back();
  EXPECT_NE(command.find("ctest"), std::string::npos) << command;
  EXPECT_NE(readme.find("\n" + command + "\n"), std::string::npos)
      << "README.md must contain the last line of .ci/run verbatim: " << command;
}

}  // namespace
