// `eplb plan` end to end: a correct plan on the README example, and bad input of every kind
// giving a clear message (file and line, or option), exit status 2, no crash, no lost output.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.hpp"
#include "golden.hpp"

namespace eplb {
namespace {

using test::run_eplb;

std::string wide_csv(const LoadMatrix& w) {
  std::string text = "layer";
  for (Eigen::Index e = 0; e < w.cols(); ++e) text += fmt::format(",e{}", e);
  text += "\n";
  for (Eigen::Index l = 0; l < w.rows(); ++l) {
    text += fmt::format("{}", l);
    for (Eigen::Index e = 0; e < w.cols(); ++e) text += fmt::format(",{}", w(l, e));
    text += "\n";
  }
  return text;
}

class CliPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("plan");
    for (const auto& g : test::load_golden("baseline")) {
      if (g.id == "readme_gpus8") readme_ = g;
    }
    ASSERT_FALSE(readme_.id.empty());
    good_ = dir_ + "/readme.csv";
    test::write_text(good_, wide_csv(readme_.weight));
  }
  std::string file(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    test::write_text(path, content);
    return path;
  }
  // Expects exit 2 and every needle in stderr.
  void expect_failure(const std::string& args, std::initializer_list<std::string> needles) {
    const auto r = run_eplb("plan " + args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("eplb plan: error: "), std::string::npos) << r.err;
    for (const std::string& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << r.err;
  }

  std::string dir_, good_;
  test::GoldenInstance readme_;
  const std::string topo_ = " --replicas 16 --groups 4 --nodes 2 --gpus 8";
};

TEST_F(CliPlan, ReproducesTheReadmeExampleAndWritesJson) {
  const std::string out = dir_ + "/plan.json";
  const auto r = run_eplb("plan --workload " + good_ + topo_ + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("balancedness"), std::string::npos);
  EXPECT_NE(r.out.find("hierarchical"), std::string::npos);
  const auto doc = nlohmann::json::parse(test::read_text(out));
  for (const char* key : {"phy2log", "log2phy", "logcnt", "metrics"})
    EXPECT_TRUE(doc.contains(key)) << key;
  for (Eigen::Index l = 0; l < readme_.weight.rows(); ++l) {
    for (Eigen::Index s = 0; s < 16; ++s) {
      EXPECT_EQ(doc["phy2log"][l][s].get<int>(), (*readme_.phy2log)(l, s));
    }
    // log2phy lists each expert's slots, padded with -1 to the max count.
    const auto& l2p = doc["log2phy"][l];
    ASSERT_EQ(l2p.size(), 12U);
    for (std::size_t e = 0; e < 12; ++e) {
      int listed = 0;
      for (const auto& slot : l2p[e]) {
        if (slot.get<int>() < 0) continue;
        ++listed;
        EXPECT_EQ((*readme_.phy2log)(l, slot.get<int>()), static_cast<int>(e));
      }
      EXPECT_EQ(listed, (*readme_.logcnt)(l, static_cast<Eigen::Index>(e)));
    }
  }
  EXPECT_GT(doc["metrics"]["balancedness"].get<double>(), 0.5);
}

TEST_F(CliPlan, GlobalPolicyCanBeForced) {
  const auto r =
      run_eplb("plan --workload " + good_ + topo_ + " --strategy deepseek:policy=global");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("policy     global"), std::string::npos) << r.out;
}

TEST_F(CliPlan, ThreadsGiveTheSamePlanAndBadCountsAreRejected) {
  // The bundled V3 decode loads (58 layers) with a preset that refines: layer blocks differ
  // in cost, and every field of the JSON must match the single-threaded plan.
  const std::string load =
      std::string(EPLB_SOURCE_DIR) + "/workloads/data/deepseek_v3_sglang/decode_in1000out1000.json";
  const std::string v3 = " --replicas 288 --groups 8 --nodes 4 --gpus 32 --strategy seed000";
  const std::string one = dir_ + "/one.json";
  const std::string three = dir_ + "/three.json";
  ASSERT_EQ(run_eplb("plan --workload " + load + v3 + " --out " + one).exit_code, 0);
  const auto r = run_eplb("plan --workload " + load + v3 + " --threads 3 --out " + three);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("on 3 threads"), std::string::npos) << r.out;
  const auto a = nlohmann::json::parse(test::read_text(one));
  const auto b = nlohmann::json::parse(test::read_text(three));
  for (const char* key : {"phy2log", "log2phy", "logcnt", "metrics", "policy"}) {
    EXPECT_EQ(a[key], b[key]) << key;
  }
  expect_failure("--workload " + good_ + topo_ + " --threads 0", {"--threads 0", "1..256"});
  expect_failure("--workload " + good_ + topo_ + " --threads 257", {"--threads 257"});
}

// EPLB_KERNEL_ISA picks the kernels for a process; a name it does not know is a clear error.
TEST_F(CliPlan, KernelIsaVariableGivesTheSamePlanAndRejectsUnknownNames) {
  const std::string v3 = " --replicas 288 --groups 8 --nodes 4 --gpus 32 --strategy seed000";
  const std::string load =
      std::string(EPLB_SOURCE_DIR) + "/workloads/data/deepseek_v3_sglang/decode_in1000out1000.json";
  const std::string best = dir_ + "/best.json";
  const std::string portable = dir_ + "/portable.json";
  ASSERT_EQ(run_eplb("plan --workload " + load + v3 + " --out " + best).exit_code, 0);
  ::setenv("EPLB_KERNEL_ISA", "portable", 1);
  const auto r = run_eplb("plan --workload " + load + v3 + " --out " + portable);
  ::setenv("EPLB_KERNEL_ISA", "sse9", 1);
  const auto bad = run_eplb("plan --workload " + good_ + topo_);
  ::unsetenv("EPLB_KERNEL_ISA");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = nlohmann::json::parse(test::read_text(best));
  const auto b = nlohmann::json::parse(test::read_text(portable));
  for (const char* key : {"phy2log", "log2phy", "logcnt", "metrics"})
    EXPECT_EQ(a[key], b[key]) << key;
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  for (const char* needle : {"EPLB_KERNEL_ISA='sse9'", "'portable' or 'avx512'"})
    EXPECT_NE(bad.err.find(needle), std::string::npos) << bad.err;
}

TEST_F(CliPlan, MissingFile) {
  expect_failure("--workload " + dir_ + "/nope.csv" + topo_, {dir_ + "/nope.csv"});
}

TEST_F(CliPlan, EmptyFile) {
  expect_failure("--workload " + file("empty.csv", "") + topo_, {"empty.csv"});
}

TEST_F(CliPlan, RaggedRows) {
  expect_failure("--workload " + file("ragged.csv", "layer,e0,e1,e2\n0,1,2,3\n1,4,5\n") + topo_,
                 {"ragged.csv", "line 3"});
}

TEST_F(CliPlan, NonNumericCell) {
  expect_failure("--workload " + file("text.csv", "layer,e0,e1\n0,1,abc\n") + topo_,
                 {"text.csv", "line 2"});
}

TEST_F(CliPlan, NaNInfAndNegativeLoads) {
  expect_failure("--workload " + file("nan.csv", "layer,e0,e1\n0,1,2\n1,nan,2\n") + topo_,
                 {"nan.csv", "line 3"});
  expect_failure("--workload " + file("inf.csv", "layer,e0,e1\n0,inf,2\n") + topo_,
                 {"inf.csv", "line 2"});
  expect_failure("--workload " + file("neg.csv", "layer,e0,e1\n0,1,-2\n") + topo_,
                 {"neg.csv", "line 2"});
}

TEST_F(CliPlan, ZeroLayers) {
  expect_failure("--workload " + file("header.csv", "layer,e0,e1\n") + topo_, {"header.csv"});
}

TEST_F(CliPlan, InvalidTopologyNamesTheRule) {
  const std::string w = "--workload " + good_;
  expect_failure(w + " --replicas 0 --groups 4 --nodes 2 --gpus 8", {"num_replicas must be > 0"});
  expect_failure(w + " --replicas 16 --groups 0 --nodes 2 --gpus 8", {"num_groups must be > 0"});
  expect_failure(w + " --replicas 16 --groups 4 --nodes 0 --gpus 8", {"num_nodes must be > 0"});
  expect_failure(w + " --replicas 16 --groups 4 --nodes 2 --gpus 0", {"num_gpus must be > 0"});
  expect_failure(w + " --replicas 8 --groups 4 --nodes 2 --gpus 8", {"replicas >= experts"});
  expect_failure(w + " --replicas 18 --groups 4 --nodes 2 --gpus 4", {"replicas % gpus == 0"});
  // The hierarchical rules bind only when the policy is hierarchical (auto: groups % nodes == 0).
  expect_failure(w + " --replicas 24 --groups 4 --nodes 4 --gpus 6",
                 {"gpus % nodes == 0 is required by the hierarchical policy"});
  expect_failure(w + " --replicas 16 --groups 5 --nodes 1 --gpus 8",
                 {"experts % groups == 0 is required by the hierarchical policy"});
}

// eplb.py (and vLLM, SGLang) plan E % G != 0 and P % N != 0 with the global policy.
TEST_F(CliPlan, GlobalPolicyAcceptsUnevenGroupsAndNodes) {
  const auto r =
      run_eplb("plan --workload " + good_ + " --replicas 16 --groups 5 --nodes 2 --gpus 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("global"), std::string::npos);
  const auto odd =
      run_eplb("plan --workload " + good_ + " --replicas 18 --groups 3 --nodes 2 --gpus 3");
  EXPECT_EQ(odd.exit_code, 0) << odd.err;
  expect_failure("--workload " + good_ +
                     " --replicas 16 --groups 5 --nodes 2 --gpus 8 --strategy "
                     "deepseek:policy=hierarchical",
                 {"policy=hierarchical needs groups % nodes == 0"});
}

// Issue 8 item 6: the near-tie packer indexed pack -1 when pack loads overflowed to inf (ASan:
// heap-buffer-overflow); such loads are now refused, naming file and layer.
TEST_F(CliPlan, LoadsWhoseSumOverflowsAreRefused) {
  const std::string big = file("big.csv", "layer,e0,e1\n0,1e308,1e308\n");
  expect_failure(
      "--workload " + big + " --replicas 2 --groups 2 --nodes 1 --gpus 1 --strategy seed000",
      {"big.csv", "layer 0: the loads sum to inf", "above the limit of 4.494e+307"});
  const std::string layers = file("layers.csv", "layer,e0,e1\n0,4e307,1\n1,4e307,1\n");
  expect_failure("--workload " + layers + " --replicas 2 --groups 1 --nodes 1 --gpus 1",
                 {"layers.csv", "layers 0..1 sum to 8e+307"});
  // Two steps within the limit one by one whose sum (planned by default) is not.
  const std::string steps = file("steps.csv", "step,layer,e0,e1\n0,0,3e307,1\n1,0,3e307,1\n");
  expect_failure("--workload " + steps + " --replicas 2 --groups 1 --nodes 1 --gpus 1",
                 {"steps.csv", "sum of all 2 steps", "layer 0: the loads sum to 6e+307"});
  const auto one =
      run_eplb("plan --workload " + steps + " --replicas 2 --groups 1 --nodes 1 --gpus 1 --step 1");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  // The fuzzer's case: one load of DBL_MAX would give an infinite GPU-load sum after rounding.
  const std::string max = file("max.csv", "layer,e0,e1,e2,e3\n0,0,1.7976931348623157e308,0,0\n");
  expect_failure("--workload " + max + " --replicas 6 --groups 1 --nodes 1 --gpus 2",
                 {"max.csv", "above the limit"});
}

// Issue 8 item 11: sizes beyond the limits are clear errors naming the option and the limit.
TEST_F(CliPlan, SizeLimitsNameTheOption) {
  expect_failure("--workload " + good_ + " --replicas 1000000000 --groups 4 --nodes 2 --gpus 8",
                 {"--replicas 1000000000", "1048576"});
  expect_failure("--workload " + good_ + " --replicas 16 --groups 4 --nodes 2 --gpus 2000000",
                 {"--gpus", "1048576"});
}

// Issue 8 items 2 and 3: log2phy in eplb.py's replica-rank order (slot order on request), and
// one output row per input layer, all-zero layers included, with the model layer of each row.
TEST_F(CliPlan, OutKeepsZeroLayersAndListsReplicasByRank) {
  const std::string out = dir_ + "/rank.json";
  ASSERT_EQ(run_eplb("plan --workload " + good_ + topo_ + " --out " + out).exit_code, 0);
  auto doc = nlohmann::json::parse(test::read_text(out));
  EXPECT_EQ(doc["log2phy"][0][1], nlohmann::json({15, 13}));
  EXPECT_EQ(doc["log2phy_order"], "rank");
  const std::string slot = dir_ + "/slot.json";
  ASSERT_EQ(run_eplb("plan --workload " + good_ + topo_ + " --log2phy-order slot --out " + slot)
                .exit_code,
            0);
  EXPECT_EQ(nlohmann::json::parse(test::read_text(slot))["log2phy"][0][1],
            nlohmann::json({13, 15}));
  expect_failure("--workload " + good_ + topo_ + " --log2phy-order up", {"--log2phy-order up"});

  const std::string zeros =
      file("zeros.csv", "layer,e0,e1,e2,e3\n3,0,0,0,0\n4,5,1,1,1\n5,0,0,0,0\n");
  const std::string zout = dir_ + "/zeros.json";
  const auto r = run_eplb("plan --workload " + zeros +
                          " --replicas 4 --groups 2 --nodes 2 --gpus 2 --out " + zout);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("metrics skip 2 all-zero layer(s) (model layers 3, 5)"), std::string::npos)
      << r.out;
  doc = nlohmann::json::parse(test::read_text(zout));
  EXPECT_EQ(doc["layers"], nlohmann::json({3, 4, 5}));
  EXPECT_EQ(doc["phy2log"].size(), 3U);
  EXPECT_EQ(doc["logcnt"].size(), 3U);
  EXPECT_EQ(doc["log2phy"].size(), 3U);
  EXPECT_EQ(doc["metrics"]["skipped_zero_layers"], nlohmann::json({3, 5}));
  EXPECT_EQ(doc["metrics"]["worst_layer"], 4);
  // The scored layer alone gives the same metrics as before (zero layers are not averaged in).
  const std::string alone = file("alone.csv", "layer,e0,e1,e2,e3\n4,5,1,1,1\n");
  const std::string aout = dir_ + "/alone.json";
  ASSERT_EQ(run_eplb("plan --workload " + alone +
                     " --replicas 4 --groups 2 --nodes 2 --gpus 2 --out " + aout)
                .exit_code,
            0);
  EXPECT_EQ(nlohmann::json::parse(test::read_text(aout))["metrics"]["balancedness_layer_mean"],
            doc["metrics"]["balancedness_layer_mean"]);
}

// Issue 8 item 12: bytes from input files never reach the terminal raw.
TEST_F(CliPlan, ControlBytesAndBareCrAreEscapedOrNamed) {
  const std::string cr = file("cr.csv", "layer,e0,e1\r0,1,2\r1,3,4\r");
  const auto a = run_eplb("plan --workload " + cr + topo_);
  EXPECT_EQ(a.exit_code, 2);
  EXPECT_NE(a.err.find("bare CR"), std::string::npos) << a.err;
  EXPECT_EQ(a.err.find('\r'), std::string::npos);
  const std::string esc = file("esc.csv", "layer,e0,\x1b[31mred\n0,1,2\n");
  const auto b = run_eplb("plan --workload " + esc + topo_);
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_EQ(b.err.find('\x1b'), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("\\x1b[31mred"), std::string::npos) << b.err;
}

TEST_F(CliPlan, BadOptionsNameTheOption) {
  expect_failure("--workload " + good_ + " --replicas 16 --groups 4 --nodes 2",
                 {"missing required option --gpus"});
  expect_failure("--workload " + good_ + topo_ + " --replicas x", {"replicas"});
  expect_failure("--workload " + good_ + topo_ + " --strategy nosuch",
                 {"unknown strategy 'nosuch'", "deepseek"});
  expect_failure("--workload " + good_ + topo_ + " --strategy deepseek:tail=0.5", {"tail"});
  expect_failure("--workload " + good_ + topo_ + " --bogus 1", {"bogus"});
  const auto help = run_eplb("plan --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--strategy"), std::string::npos);
}

TEST_F(CliPlan, FailureLeavesAnExistingOutputIntact) {
  const std::string out = file("keep.json", "{\"previous\": true}\n");
  expect_failure("--workload " + good_ + " --replicas 8 --groups 4 --nodes 2 --gpus 8 --out " + out,
                 {"replicas >= experts"});
  EXPECT_EQ(test::read_text(out), "{\"previous\": true}\n");
  expect_failure("--workload " + good_ + topo_ + " --out " + dir_ + "/no/such/dir/plan.json",
                 {"no/such/dir"});
}

// Issue acceptance: `eplb plan --workload` takes every recorded format, by path or by spec.
TEST(CliPlanFormats, AcceptsEveryRecordedFormat) {
  const std::string data = std::string(EPLB_TEST_DATA) + "/workloads/";
  struct Case {
    std::string workload;
    std::string topology;
    std::string expect;  // appears in stdout
  };
  const Case cases[] = {
      {data + "wide.csv", "--replicas 4 --groups 1 --nodes 1 --gpus 2", "3 layers x 4 experts"},
      {data + "wide_steps.csv --step 2", "--replicas 3 --groups 1 --nodes 1 --gpus 3",
       "step 2 of 3"},
      {data + "sglang.json", "--replicas 6 --groups 3 --nodes 1 --gpus 2",
       "metrics skip 1 all-zero layer(s)"},
      {data + "vllm.json", "--replicas 4 --groups 2 --nodes 2 --gpus 2", "sum of all 5 steps"},
      {"file:path=" + data + "harmoeny.csv,dataset=beta",
       "--replicas 3 --groups 1 --nodes 1 --gpus 1", "dataset=beta"},
      {"recorded:name=v3_decode_in1000out1000", "--replicas 288 --groups 8 --nodes 4 --gpus 32",
       "metrics skip 3 all-zero layer(s) (model layers 0, 1, 2)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.workload);
    const auto r = test::run_eplb("plan --workload " + c.workload + " " + c.topology);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("balancedness"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace eplb
