// Clear messages for bad input reaching the harness (issue 8 items 6 and 12): every problem names
// its file and key, never a raw exception text, and no non-finite number is recorded as ok.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "cli_run.hpp"
#include "eplb/error.hpp"
#include "eplb/running/experiment.hpp"
#include "eplb/storage/csv.hpp"
#include "quiet_harness.hpp"

namespace eplb {
namespace {

namespace fs = std::filesystem;

// "ok": 1 layer x 4 experts; "huge": two loads of 1e308, whose sum overflows.
WorkloadData loader(std::string_view text) {
  WorkloadData data;
  data.workload.spec = std::string(text);
  LoadMatrix m(1, 4);
  if (text == "huge") {
    m << 1e308, 1e308, 1, 1;
  } else {
    m << 5, 3, 2, 1;
  }
  data.workload.steps.push_back(m);
  return data;
}

const char* kPlan = R"({"strategies": ["deepseek", "seed000"], "workloads": ["ok", "huge"],
    "topologies": [{"replicas": 4, "gpus": 2}]})";

TEST(InputMessages, OverflowingLoadsGiveErrorRowsNeverNumbers) {
  const fs::path dir = fs::path(test::make_temp_dir("huge")) / "out";
  const Outcome o = run_plan(parse_plan(kPlan, "huge.json"), test::quiet_config(dir), loader);
  EXPECT_EQ(o.stats.error_rows, 2);
  const CsvTable t = read_csv(dir / "results.csv");
  const auto col = [&](const char* name) { return static_cast<std::size_t>(t.column(name, "t")); };
  int errors = 0;
  for (const auto& row : t.rows) {
    if (row[col("workload")] == "huge") {
      ++errors;
      EXPECT_EQ(row[col("status")], "error");
      EXPECT_NE(row[col("error")].find("layer 0: the loads sum to inf"), std::string::npos)
          << row[col("error")];
      EXPECT_EQ(row[col("balancedness")], "");
    } else {
      EXPECT_EQ(row[col("status")], "ok");
    }
  }
  EXPECT_EQ(errors, 2);
}

TEST(InputMessages, PlanFileProblemsNameFileAndKey) {
  const fs::path dir = test::make_temp_dir("planmsg");
  EXPECT_NE(test::expect_input_error([&] { load_plan(dir); }).find("is a directory"),
            std::string::npos);
  const std::string big = test::expect_input_error([] {
    parse_plan(R"({"strategies": ["deepseek"], "workloads": ["ok"],
        "topologies": [{"replicas": 1e400, "gpus": 1}]})",
               "big.json");
  });
  EXPECT_NE(big.find("big.json: key 'replicas'"), std::string::npos) << big;
  EXPECT_NE(big.find("1e400"), std::string::npos) << big;
  const std::string ctl =
      test::expect_input_error([] { parse_plan("{\"strategies\x01\": 1}", "ctl.json"); });
  EXPECT_EQ(ctl.find('\x01'), std::string::npos) << ctl;
}

TEST(InputMessages, BaselinesAreCanonicalAndMustExist) {
  const std::string base = R"({"strategies": ["deepseek", "seed003"], "workloads": ["ok"],
      "topologies": [{"replicas": 4, "gpus": 2}], "baseline": )";
  EXPECT_NE(test::expect_input_error([&] {
              parse_plan(base + R"("nosuch:x=1"})", "b.json");
            }).find("b.json: baseline: unknown strategy 'nosuch'"),
            std::string::npos);
  EXPECT_EQ(parse_plan(base + R"("deepseek:policy=auto"})", "b.json").baseline, "deepseek");
  const fs::path dir = fs::path(test::make_temp_dir("baseline")) / "out";
  run_plan(parse_plan(base + R"("seed003"})", "b.json"), test::quiet_config(dir), loader);
  ReportConfig report = test::quiet_report_config();
  report.baseline = "nosuch";
  EXPECT_NE(
      test::expect_input_error([&] { report_results(dir, report); }).find("--baseline nosuch"),
      std::string::npos);
  report.baseline = "deepseek:policy=auto";
  EXPECT_NE(report_results(dir, report).summary.find("(baseline)"), std::string::npos);
}

TEST(InputMessages, DamagedIndexNamesTheRunNumber) {
  const fs::path dir = fs::path(test::make_temp_dir("index")) / "out";
  run_plan(parse_plan(kPlan, "idx.json"), test::quiet_config(dir), loader);
  CsvTable index = read_csv(dir / "index.csv");
  index.rows[0][static_cast<std::size_t>(index.column("run", "index.csv"))] = "x1";
  test::write_text((dir / "index.csv").string(), to_csv(index));
  fs::remove(dir / "results.csv");  // report assembles results.csv from index.csv and runs/
  const std::string message =
      test::expect_input_error([&] { report_results(dir, test::quiet_report_config()); });
  EXPECT_NE(message.find("index.csv: run number 'x1'"), std::string::npos) << message;
}

}  // namespace
}  // namespace eplb
