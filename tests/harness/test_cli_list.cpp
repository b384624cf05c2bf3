// `eplb list`: every strategy family's parameters are listed, with their defaults, as text and as
// the Markdown the README's strategy section is generated from.
#include <gtest/gtest.h>

#include <string>

#include "cli_run.hpp"
#include "eplb/strategy.hpp"

namespace eplb {
namespace {

using test::run_eplb;

TEST(CliList, EveryFamilyListsItsOwnParameters) {
  const test::CliResult text = run_eplb("list");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const test::CliResult md = run_eplb("list --markdown");
  ASSERT_EQ(md.exit_code, 0) << md.err;
  for (const auto& family : strategy_registry().entries()) {
    if (family.kind != "family" || family.name == "compose") continue;
    const std::string title = "PARAMETERS of " + family.name + " ";
    const auto at = text.out.find(title);
    ASSERT_NE(at, std::string::npos) << family.name << "\n" << text.out;
    const auto md_at = md.out.find("Parameters of `" + family.name + "`");
    ASSERT_NE(md_at, std::string::npos) << family.name << "\n" << md.out;
    for (const ParamDesc& d : family.params) {
      // Within this family's block: before the next section title.
      const auto end = text.out.find("\n\n", at);
      const std::string block = text.out.substr(at, end - at);
      EXPECT_NE(block.find("  " + d.key + " "), std::string::npos) << family.name << ": " << block;
      EXPECT_NE(md.out.find("| `" + d.key + "` |", md_at), std::string::npos) << d.key;
    }
  }
  // joint's search budget is documented with its defaults.
  EXPECT_NE(text.out.find("kicks            int    100"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace eplb
