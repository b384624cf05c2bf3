// Crash safety of `eplb run` end to end: a sweep killed with SIGKILL mid-way leaves no corrupt
// file, and re-running the same command yields exactly the rows of an uninterrupted sweep.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.hpp"
#include "eplb/storage/csv.hpp"

namespace eplb {
namespace {

namespace fs = std::filesystem;

int count_run_files(const fs::path& runs) {
  std::error_code ec;
  int n = 0;
  if (!fs::is_directory(runs, ec)) return 0;
  for (const auto& e : fs::directory_iterator(runs, ec)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp.") == std::string::npos && e.path().extension() == ".csv") ++n;
  }
  return n;
}

std::vector<std::vector<std::string>> rows_without_timing(const fs::path& csv) {
  CsvTable t = read_csv(csv);
  std::vector<std::size_t> keep;
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    const std::string& h = t.header[c];
    if (h != "plan_us_median" && h != "plan_us_min" && h != "timing_repeats") keep.push_back(c);
  }
  std::vector<std::vector<std::string>> out;
  for (const auto& row : t.rows) {
    std::vector<std::string> fields;
    for (std::size_t c : keep) fields.push_back(t.header[c] + "=" + row[c]);
    out.push_back(fields);
  }
  return out;
}

TEST(HarnessKill, SigkilledSweepResumesToTheUninterruptedRows) {
  const fs::path dir = test::make_temp_dir("kill");
  const fs::path plan = dir / "killme.json";
  test::write_text(plan.string(), R"({
    "strategies": ["deepseek", {"spec": "compose:gpu_refine=k_swap", "grid": {"gpu_steps": [1, 2, 3, 4]}}],
    "workloads": [{"spec": "zipf:layers=4,experts=16,steps=3", "seeds": [1, 2, 3, 4]}],
    "topologies": [{"replicas": 24, "groups": 4, "nodes": 2, "gpus": 8}],
    "timing": {"warmup": 0, "repeats": 3000}
  })");
  const int total_runs = 20;

  // Reference: the same sweep, uninterrupted (no timing: rows are compared timing aside).
  const auto ref = test::run_eplb("run " + plan.string() + " --out " + (dir / "ref").string() +
                                  " --repeats 0 --no-plots --no-progress");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;

  // The sweep under test, killed once a few runs are saved.
  const fs::path out = dir / "out";
  const std::vector<std::string> args = {EPLB_BINARY, "run",        plan.string(),
                                         "--out",     out.string(), "--jobs",
                                         "2",         "--no-plots", "--no-progress"};
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(EPLB_BINARY, argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_run_files(out / "runs") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep finished before it could be killed";
  const int saved = count_run_files(out / "runs");
  ASSERT_GE(saved, 2);
  ASSERT_LT(saved, total_runs) << "the sweep finished before it could be killed";
  // No torn file: every saved run file parses and holds all its rows.
  for (const auto& e : fs::directory_iterator(out / "runs")) {
    if (e.path().filename().string().find(".tmp.") != std::string::npos) continue;
    EXPECT_EQ(read_csv(e.path()).rows.size(), 3u) << e.path();
  }
  EXPECT_FALSE(fs::exists(out / "results.csv"));

  // Same command again: finished runs are skipped, the rest run, nothing is lost or doubled.
  const auto again = test::run_eplb("run " + plan.string() + " --out " + out.string() +
                                    " --jobs 2 --no-plots --no-progress --repeats 20");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("skipped " + std::to_string(saved) + " finished"), std::string::npos)
      << again.err;
  const auto expected = rows_without_timing(dir / "ref" / "results.csv");
  EXPECT_EQ(expected.size(), 60u);
  EXPECT_EQ(rows_without_timing(out / "results.csv"), expected);
  for (const auto& e : fs::directory_iterator(out / "runs")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace eplb
