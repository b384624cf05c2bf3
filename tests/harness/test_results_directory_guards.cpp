// Guards on results directories (issue 8 items 7-10): a finished run is reused only for the same
// inputs and build, a directory belongs to one plan, one command at a time, and `eplb merge`
// refuses shard sets that are not one sweep.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.hpp"
#include "eplb/error.hpp"
#include "eplb/running/experiment.hpp"
#include "eplb/storage/dir_lock.hpp"
#include "eplb/storage/manifest.hpp"
#include "quiet_harness.hpp"

namespace eplb {
namespace {

namespace fs = std::filesystem;

// A plan over one real CSV file (so its content hash is part of the run identity).
Plan file_plan(const std::string& csv, const std::string& name = "guards.json") {
  return parse_plan(fmt::format(R"({{"strategies": ["deepseek", "seed003"], "workloads": ["{}"],
      "topologies": [{{"replicas": 6, "gpus": 2}}, {{"replicas": 8, "gpus": 2}}]}})",
                                csv),
                    name);
}

std::string write_csv(const fs::path& dir, const std::string& rows) {
  const std::string path = (dir / "loads.csv").string();
  test::write_text(path, "layer,e0,e1,e2,e3\n" + rows);
  return path;
}

void set_manifest_build(const fs::path& dir, const std::string& identity) {
  auto manifest = nlohmann::json::parse(test::read_text((dir / "manifest.json").string()));
  manifest["build_identity"] = identity;
  test::write_text((dir / "manifest.json").string(), manifest.dump(2));
}

TEST(ResultsGuards, ChangedFileContentRerunsItsRuns) {
  const fs::path root = test::make_temp_dir("content");
  const std::string csv = write_csv(root, "0,5,3,2,1\n1,1,1,1,9\n");
  const Plan plan = file_plan(csv);
  EXPECT_EQ(run_plan(plan, test::quiet_config(root / "out")).stats.evaluated, 4);
  EXPECT_EQ(run_plan(plan, test::quiet_config(root / "out")).stats.skipped, 4);
  write_csv(root, "0,5,3,2,1\n1,9,1,1,1\n");  // same path, other loads
  const Outcome again = run_plan(plan, test::quiet_config(root / "out"));
  EXPECT_EQ(again.stats.evaluated, 4);
  EXPECT_EQ(again.stats.skipped, 0);
}

TEST(ResultsGuards, AnotherBuildRefusesToResumeUnlessForced) {
  const fs::path root = test::make_temp_dir("build");
  const Plan plan = file_plan(write_csv(root, "0,5,3,2,1\n"));
  run_plan(plan, test::quiet_config(root / "out"));
  auto manifest = nlohmann::json::parse(test::read_text((root / "out" / "manifest.json").string()));
  EXPECT_EQ(manifest["build_identity"], build_identity(provenance()));
  EXPECT_EQ(manifest["build"]["identity"], build_identity(provenance()));
  set_manifest_build(root / "out", "0123abc Debug +sanitize=address,undefined");
  const std::string message =
      test::expect_input_error([&] { run_plan(plan, test::quiet_config(root / "out")); });
  EXPECT_NE(message.find("written by another build (0123abc Debug"), std::string::npos) << message;
  EXPECT_NE(message.find("--force"), std::string::npos);
  RunConfig force = test::quiet_config(root / "out");
  force.force = true;
  EXPECT_EQ(run_plan(plan, force).stats.evaluated, 4);
  manifest = nlohmann::json::parse(test::read_text((root / "out" / "manifest.json").string()));
  EXPECT_EQ(manifest["build_identity"], build_identity(provenance()));
}

TEST(ResultsGuards, BuildIdentityIsCapturedAtBuildTime) {
  const Provenance& p = provenance();
  // The generated header holds a 40-digit sha in a git checkout, "unknown" in an export.
  if (p.git_sha == "unknown") {
    EXPECT_FALSE(p.git_dirty.has_value());
  } else {
    EXPECT_EQ(p.git_sha.size(), 40U) << p.git_sha;
    ASSERT_TRUE(p.git_dirty.has_value());
    EXPECT_EQ(*p.git_dirty, !p.diff_hash.empty());
  }
  EXPECT_NE(build_identity(p).find(p.build_type), std::string::npos);
  EXPECT_EQ(build_identity(p).find("+sanitize") != std::string::npos, p.sanitizers);
}

TEST(ResultsGuards, OutOfAnotherPlanOrAForeignDirectoryIsRefused) {
  const fs::path root = test::make_temp_dir("otherplan");
  const std::string csv = write_csv(root, "0,5,3,2,1\n");
  run_plan(file_plan(csv, "first.json"), test::quiet_config(root / "out"));
  const std::string before = test::read_text((root / "out" / "results.csv").string());
  const std::string message = test::expect_input_error(
      [&] { run_plan(file_plan(csv, "second.json"), test::quiet_config(root / "out")); });
  EXPECT_NE(message.find("holds the results of plan 'first', not 'second'"), std::string::npos)
      << message;
  EXPECT_EQ(test::read_text((root / "out" / "results.csv").string()), before);
  fs::create_directories(root / "home");
  test::write_text((root / "home" / "notes.txt").string(), "mine\n");
  EXPECT_NE(test::expect_input_error([&] {
              run_plan(file_plan(csv), test::quiet_config(root / "home"));
            }).find("not an eplb results directory"),
            std::string::npos);
}

TEST(ResultsGuards, ASecondCommandOnALockedDirectoryIsRefused) {
  const fs::path root = test::make_temp_dir("lock");
  const Plan plan = file_plan(write_csv(root, "0,5,3,2,1\n"));
  run_plan(plan, test::quiet_config(root / "out"));
  {
    const DirectoryLock held(root / "out", DirectoryLock::Mode::kExclusive, "run");
    const std::string message =
        test::expect_input_error([&] { run_plan(plan, test::quiet_config(root / "out")); });
    EXPECT_NE(message.find("in use by another eplb command (eplb run, pid"), std::string::npos)
        << message;
    ReportConfig report;
    report.plots = false;
    report.out_stream = nullptr;
    report.log_stream = nullptr;
    EXPECT_NE(
        test::expect_input_error([&] { report_results(root / "out", report); }).find("in use"),
        std::string::npos);
    EXPECT_NE(test::expect_input_error([&] {
                merge_results({root / "out"}, root / "merged", test::quiet_merge_config());
              }).find("in use"),
              std::string::npos);
  }
  EXPECT_EQ(run_plan(plan, test::quiet_config(root / "out")).stats.skipped, 4);  // released
}

TEST(ResultsGuards, MergeRefusesRepeatedOverlappingAndMixedShards) {
  const fs::path root = test::make_temp_dir("mergeguard");
  const Plan plan = file_plan(write_csv(root, "0,5,3,2,1\n1,1,1,1,9\n"));
  for (int i = 0; i < 2; ++i) {
    RunConfig config = test::quiet_config(root / fmt::format("s{}", i));
    config.shard = Shard{i, 2};
    run_plan(plan, config);
  }
  const MergeConfig merge = test::quiet_merge_config();
  EXPECT_NE(test::expect_input_error([&] {
              merge_results({root / "s0", root / "s0"}, root / "m", merge);
            }).find("are the same or one holds the other"),
            std::string::npos);
  EXPECT_NE(test::expect_input_error([&] {
              merge_results({root / "s0", root / "s1/../s0"}, root / "m", merge);
            }).find("are the same"),
            std::string::npos);
  EXPECT_NE(test::expect_input_error([&] {
              merge_results({root / "s0", root / "s1"}, root / "s0/merged", merge);
            }).find("overlaps the shard directory"),
            std::string::npos);
  // A copy of shard 0 under another name: the same shard twice.
  fs::copy(root / "s0", root / "copy", fs::copy_options::recursive);
  fs::remove(root / "copy" / ".lock");
  EXPECT_NE(test::expect_input_error([&] {
              merge_results({root / "s0", root / "copy"}, root / "m", merge);
            }).find("two of the directories hold shard 0/2"),
            std::string::npos);
  // Shards of one sweep written by two builds.
  set_manifest_build(root / "copy", "feedbeef Release");
  auto manifest =
      nlohmann::json::parse(test::read_text((root / "copy" / "manifest.json").string()));
  manifest["shard"] = "1/2";
  test::write_text((root / "copy" / "manifest.json").string(), manifest.dump(2));
  EXPECT_NE(test::expect_input_error([&] {
              merge_results({root / "s0", root / "copy"}, root / "m", merge);
            }).find("written by different builds"),
            std::string::npos);
  // Different splits: the message names both shards once each.
  RunConfig third = test::quiet_config(root / "t0");
  third.shard = Shard{0, 3};
  run_plan(plan, third);
  const std::string split = test::expect_input_error([&] {
    merge_results({root / "s0", root / "t0"}, root / "m", merge);
  });
  EXPECT_NE(split.find("(0/2 and 0/3)"), std::string::npos) << split;
  EXPECT_EQ(merge_results({root / "s0", root / "s1"}, root / "m", merge).runs_found, 4);
}

}  // namespace
}  // namespace eplb
