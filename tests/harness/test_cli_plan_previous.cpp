// `eplb plan --previous`: slot keeping against a deployed placement, end to end, and its errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.hpp"

namespace eplb {
namespace {

using test::run_eplb;

// The line of `text` starting with `prefix` (empty if none).
std::string line_of(const std::string& text, const std::string& prefix) {
  const auto at = text.find("\n" + prefix);
  if (at == std::string::npos) return {};
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

const std::string kTopo = " --replicas 24 --groups 4 --nodes 2 --gpus 4";

TEST(CliPlanPrevious, ReportsMovesAndWritesTheKeptPlan) {
  const std::string dir = test::make_temp_dir("previous");
  const std::string w = " --workload zipf:layers=3,experts=16,steps=2,batch=500,seed=3";
  const std::string old_plan = dir + "/old.json", next = dir + "/next.json";
  ASSERT_EQ(run_eplb("plan" + w + kTopo + " --step 0 --out " + old_plan).exit_code, 0);

  // Same load: the new plan equals the deployed one, 0 moves either way.
  auto same = run_eplb("plan" + w + kTopo + " --step 0 --previous " + old_plan);
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(line_of(same.out, "without keeping slots").find(" 0 replicas"), std::string::npos)
      << same.out;
  EXPECT_NE(line_of(same.out, "with keep_slots").find(" 0 replicas"), std::string::npos)
      << same.out;

  // Another step: moves with keeping never exceed moves without; the file records both.
  auto r = run_eplb("plan" + w + kTopo + " --step 1 --previous " + old_plan + " --out " + next);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(test::read_text(next));
  const long kept = doc["migration"]["kept"]["replicas_moved"].get<long>();
  const long plain = doc["migration"]["without_keep"]["replicas_moved"].get<long>();
  EXPECT_LE(kept, plain);
  EXPECT_GT(plain, 0);
  EXPECT_EQ(doc["migration"]["kept"]["bytes_moved"].get<double>(),
            static_cast<double>(kept) * 44050944.0);
}

TEST(CliPlanPrevious, PreviousOfAnotherShapeOrTopologyIsAClearError) {
  const std::string dir = test::make_temp_dir("previous_bad");
  const std::string old_plan = dir + "/old.json";
  ASSERT_EQ(
      run_eplb("plan --workload zipf:layers=3,experts=16,seed=3" + kTopo + " --out " + old_plan)
          .exit_code,
      0);
  auto layers = run_eplb("plan --workload zipf:layers=4,experts=16,seed=3" + kTopo +
                         " --previous " + old_plan);
  EXPECT_EQ(layers.exit_code, 2);
  EXPECT_NE(layers.err.find("has 3 layers, the new plan 4"), std::string::npos) << layers.err;
  auto topo = run_eplb(
      "plan --workload zipf:layers=3,experts=16,seed=3 --replicas 24 --groups 4 "
      "--nodes 2 --gpus 8 --previous " +
      old_plan);
  EXPECT_EQ(topo.exit_code, 2);
  EXPECT_NE(topo.err.find("it was planned for topology R=24,G=4,N=2,P=4"), std::string::npos)
      << topo.err;
  auto experts = run_eplb(
      "plan --workload zipf:layers=3,experts=20,seed=3 --replicas 24 "
      "--groups 4 --nodes 2 --gpus 4 --previous " +
      old_plan);
  EXPECT_EQ(experts.exit_code, 2);
  EXPECT_NE(experts.err.find("logical experts"), std::string::npos) << experts.err;
  test::write_text(dir + "/junk.json", "{\"topology\": 3}");
  auto junk = run_eplb("plan --workload zipf:layers=3,experts=16,seed=3" + kTopo + " --previous " +
                       dir + "/junk.json");
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_NE(junk.err.find("not a placement file"), std::string::npos) << junk.err;
  auto missing = run_eplb("plan --workload zipf:layers=3,experts=16,seed=3" + kTopo +
                          " --previous " + dir + "/nope.json");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace eplb
