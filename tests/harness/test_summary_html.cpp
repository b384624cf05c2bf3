// summary.html is self-contained and renders: headless Chromium (Debian's `chromium`) takes a
// screenshot and dumps the DOM of the page written for a tiny sweep.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli_run.hpp"
#include "eplb/reporting/plots.hpp"

namespace {

namespace fs = std::filesystem;

std::string chromium_command(const fs::path& profile, const std::string& action) {
  return fmt::format(
      "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir='{}' {}",
      profile.string(), action);
}

unsigned be32(const std::string& bytes, std::size_t at) {
  unsigned v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

TEST(SummaryHtml, RendersInHeadlessChromiumWithTablesAndEmbeddedFigures) {
  if (std::system("command -v chromium > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  }
  if (eplb::find_gnuplot().empty()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path root = eplb::test::make_temp_dir("html");
  const fs::path plan = root / "html.json";
  eplb::test::write_text(plan.string(), R"({"timing": {"warmup": 0, "repeats": 1},
    "strategies": ["deepseek", "seed003"],
    "workloads": [{"spec": "zipf:layers=4,experts=16,steps=2", "seeds": [1, 2]}],
    "topologies": [{"replicas": 24, "groups": 4, "nodes": 2, "gpus": 4}]})");
  const auto run = eplb::test::run_eplb(
      fmt::format("run '{}' --out '{}'", plan.string(), (root / "out").string()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const fs::path html = root / "out" / "summary.html";
  const std::string page = eplb::test::read_text(html.string());
  // Self-contained: figures inline, nothing fetched.
  EXPECT_NE(page.find("src=\"data:image/png;base64,"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);

  const fs::path shot = root / "shot.png";
  const std::string url = "file://" + fs::absolute(html).string();
  ASSERT_EQ(std::system((chromium_command(root / "profile1",
                                          fmt::format("--screenshot='{}' --window-size=1200,1600 "
                                                      "'{}' > /dev/null 2>&1",
                                                      shot.string(), url)))
                            .c_str()),
            0);
  const std::string png = eplb::test::read_text(shot.string());
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_EQ(be32(png, 16), 1200u);  // IHDR width
  EXPECT_EQ(be32(png, 20), 1600u);  // IHDR height
  EXPECT_GT(png.size(), 30000u) << "a blank page compresses far smaller";

  const fs::path dom = root / "dom.html";
  ASSERT_EQ(std::system((chromium_command(root / "profile2", fmt::format("--dump-dom '{}' > '{}' "
                                                                         "2>/dev/null",
                                                                         url, dom.string())))
                            .c_str()),
            0);
  const std::string text = eplb::test::read_text(dom.string());
  EXPECT_NE(text.find("<h1>html</h1>"), std::string::npos) << text.substr(0, 400);
  EXPECT_NE(text.find("Δ balancedness vs <code>deepseek</code>, overall"), std::string::npos);
  EXPECT_NE(text.find("<td><code>seed003</code></td>"), std::string::npos);
  EXPECT_NE(text.find("<figure><img"), std::string::npos);
}

}  // namespace
