// Placement files for serving engines (`eplb plan --format`): byte-for-byte golden files written
// by hand (tests/data/export/README.md), a round trip through each format's reader, the SGLang file
// of every bundled DeepSeek-V3 recording (61 model layers), and clear errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "cli_run.hpp"
#include "test_matrices.hpp"
#include "eplb/error.hpp"
#include "eplb/export/engine_formats.hpp"
#include "eplb/recorded.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"

namespace eplb {
namespace {

const std::string kData = std::string(EPLB_TEST_DATA) + "/export/";

IndexMatrix rows_of(std::initializer_list<std::initializer_list<int>> rows) {
  return test::matrix<IndexMatrix>(rows);
}

// The instance of tests/data/export/README.md: model layers 0 (zero load: dense), 1 and 2 planned;
// a model of 4 layers; 4 experts, 6 slots, 3 GPUs.
EnginePlan small_plan() {
  Placement p;
  p.phy2log = rows_of({{1, 0, 2, 3, 1, 0}, {2, 0, 1, 2, 3, 0}, {3, 1, 0, 2, 3, 1}});
  p.logcnt = count_replicas(p.phy2log, 4);
  p.policy = Policy::kGlobal;
  LoadMatrix load = LoadMatrix::Zero(3, 4);
  load.row(1) << 5, 1, 2, 9;
  load.row(2) << 1, 6, 2, 8;
  const Topology topo{6, 1, 1, 3};
  require_valid(p, topo, 3, 4, "small_plan");
  return make_engine_plan(p, load, topo, {0, 1, 2}, 4);
}

struct Golden {
  EngineFormat format;
  const char* file;
};
const Golden kGolden[] = {{EngineFormat::kSglang, "small.sglang.json"},
                          {EngineFormat::kVllm, "small.vllm.jsonl"},
                          {EngineFormat::kTrtllm, "small.trtllm.yaml"},
                          {EngineFormat::kAscend, "small.ascend.json"}};

TEST(ExportFormats, EveryFormatMatchesItsHandWrittenGoldenFile) {
  const EnginePlan plan = small_plan();
  for (const Golden& g : kGolden) {
    EXPECT_EQ(write_engine_placement(g.format, plan), test::read_text(kData + g.file)) << g.file;
  }
}

TEST(ExportFormats, EveryFormatReadsBackToTheEngineLayersAndSlots) {
  const IndexMatrix moe = rows_of({{2, 0, 1, 2, 3, 0}, {3, 1, 0, 2, 3, 1}});
  const IndexMatrix sglang =
      rows_of({{0, 1, 2, 3, 0, 1}, {2, 0, 1, 2, 3, 0}, {3, 1, 0, 2, 3, 1}, {0, 1, 2, 3, 0, 1}});
  const EnginePlan plan = small_plan();
  for (const Golden& g : kGolden) {
    const EnginePlacement back =
        read_engine_placement(g.format, write_engine_placement(g.format, plan), g.file);
    switch (g.format) {
      case EngineFormat::kSglang:
        EXPECT_EQ(back.layers, (std::vector<long long>{0, 1, 2, 3}));
        EXPECT_EQ(back.phy2log, sglang);
        break;
      case EngineFormat::kTrtllm:
        EXPECT_EQ(back.layers, (std::vector<long long>{1, 2}));  // model layer ids
        EXPECT_EQ(back.phy2log, moe);
        break;
      default:  // vLLM and vllm-ascend count MoE layers from 0
        EXPECT_EQ(back.layers, (std::vector<long long>{0, 1})) << g.file;
        EXPECT_EQ(back.phy2log, moe) << g.file;
    }
    EXPECT_EQ(back.num_gpus, g.format == EngineFormat::kAscend ? 3 : 0) << g.file;
  }
}

// The YAML is read by our tiny reader above; Python's YAML parser (preinstalled on Debian
// machines of this project as python3-yaml, not a build dependency) confirms it is real YAML.
TEST(ExportFormats, TrtllmFileIsYamlThatPythonReadsToTheSameMapping) {
  if (std::system("/usr/bin/python3 -c 'import yaml' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3-yaml is not installed";
  }
  const std::string script =
      "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); "
      "assert d == {'initial_global_assignments': {1: [2, 0, 1, 2, 3, 0], 2: [3, 1, 0, 2, 3, 1]}, "
      "'layer_updates_per_iter': 0, 'num_slots': 6}, d";
  const std::string command =
      "/usr/bin/python3 -c \"" + script + "\" " + kData + "small.trtllm.yaml 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

// SGLang maps every model layer: 61 rows for every bundled DeepSeek-V3 file, whether or not the
// workload dropped the 3 dense layers, and the 58 MoE rows are the plan's.
TEST(ExportFormats, SglangListsAll61ModelLayersOfEveryBundledV3Recording) {
  const Topology topo{288, 8, 4, 32};
  const auto strategy = make_strategy("deepseek");
  int files = 0;
  for (const BundledRecording& r : bundled_recordings()) {
    if (r.name.rfind("v3_", 0) != 0) continue;
    ++files;
    std::string texts[2];
    for (const bool drop : {true, false}) {
      const Workload w = make_workload(
          "recorded:name=" + r.name + (drop ? "" : ",drop_zero_layers=false"));
      const LoadMatrix& load = w.steps.front();
      const Placement p = strategy.product->plan(load, topo);
      require_valid(p, topo, static_cast<int>(load.rows()), 256, "deepseek");
      const EnginePlan plan = make_engine_plan(p, load, topo, w.layer_ids, 0);
      texts[drop ? 0 : 1] = write_engine_placement(EngineFormat::kSglang, plan);
      const EnginePlacement back = read_engine_placement(EngineFormat::kSglang,
                                                         texts[drop ? 0 : 1], r.name);
      ASSERT_EQ(back.phy2log.rows(), 61) << r.name;
      ASSERT_EQ(back.phy2log.cols(), 288) << r.name;
      for (int l = 0; l < 3; ++l) {
        for (int s = 0; s < 288; ++s) ASSERT_EQ(back.phy2log(l, s), s % 256) << r.name;
      }
      const int first = drop ? 0 : 3;  // the row of model layer 3 in the plan
      for (int l = 3; l < 61; ++l) {
        ASSERT_EQ(back.phy2log.row(l), p.phy2log.row(first + l - 3)) << r.name << " layer " << l;
      }
    }
    EXPECT_EQ(texts[0], texts[1]) << r.name;
  }
  EXPECT_EQ(files, 8);
}

TEST(ExportFormats, EnginesThatCountMoeLayersRefuseAGapInTheModelLayers) {
  Placement p;
  p.phy2log = rows_of({{0, 1}, {1, 0}});
  p.logcnt = count_replicas(p.phy2log, 2);
  const LoadMatrix load = LoadMatrix::Ones(2, 2);
  const EnginePlan plan = make_engine_plan(p, load, Topology{2, 1, 1, 1}, {0, 7}, 0);
  EXPECT_EQ(plan.model_layers, 8);
  for (const EngineFormat f : {EngineFormat::kVllm, EngineFormat::kAscend}) {
    try {
      write_engine_placement(f, plan);
      ADD_FAILURE() << "no error for " << to_string(f);
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("jump from model layer 0 to 7"), std::string::npos)
          << e.what();
    }
  }
  // Formats that name model layers keep the gap.
  EXPECT_EQ(read_engine_placement(EngineFormat::kTrtllm,
                                  write_engine_placement(EngineFormat::kTrtllm, plan), "t")
                .layers,
            (std::vector<long long>{0, 7}));
  EXPECT_EQ(read_engine_placement(EngineFormat::kSglang,
                                  write_engine_placement(EngineFormat::kSglang, plan), "s")
                .phy2log.rows(),
            8);
  EXPECT_THROW(make_engine_plan(p, load, Topology{2, 1, 1, 1}, {0, 7}, 5), InputError);
  EXPECT_THROW(make_engine_plan(p, load, Topology{2, 1, 1, 1}, {7, 0}, 0), InputError);
  EXPECT_THROW(parse_engine_format("deepep"), InputError);
}

void expect_read_error(EngineFormat format, const std::string& text, const std::string& needle) {
  try {
    read_engine_placement(format, text, "bad.file");
    ADD_FAILURE() << "no error for: " << text;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("bad.file", 0), 0U) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  }
}

TEST(ExportFormats, ReadersRejectMalformedFilesNamingTheKeyOrLine) {
  using F = EngineFormat;
  expect_read_error(F::kSglang, R"({"physical_to_logical_map":[[0,1]],"x":1})", "unexpected key 'x'");
  expect_read_error(F::kSglang, R"({"physical_to_logical_map":[[0,1],[0]]})",
                    "physical_to_logical_map[1] has 1 slots");
  expect_read_error(F::kSglang, R"({"physical_to_logical_map":[[0,-1]]})",
                    "physical_to_logical_map[0][1] is -1");
  expect_read_error(F::kSglang, R"({"physical_to_logical_map":[[0,1.5]]})", "[0][1] is 1.5");
  expect_read_error(F::kSglang, "{", "invalid JSON");
  expect_read_error(F::kSglang, R"({"physical_to_logical_map":[[1e400]]})", "number overflow");
  const std::string head =
      R"({"record_type":"eplb_initial_mapping","version":1,"num_redundant_experts":1,"num_slots":3,)";
  expect_read_error(F::kVllm, head + R"("initial_global_assignments":{"1":[0,1,0]}})",
                    "has no layer 0");
  expect_read_error(F::kVllm, head + R"("initial_global_assignments":{"0":[0,0,0]}})",
                    "logical expert 1 has no slot");
  expect_read_error(F::kVllm, head + R"("initial_global_assignments":{"0":[0,1]}})",
                    "num_slots is 3, but the layers have 2");
  expect_read_error(F::kVllm, head + R"("initial_global_assignments":{"a":[0,1,0]}})",
                    "'a' is not a layer number");
  expect_read_error(F::kVllm, R"({"record_type":"eplb_load_stats"})",
                    "no record with \"record_type\": \"eplb_initial_mapping\"");
  expect_read_error(F::kVllm, "{}\n", "line 1: the record has no key 'record_type'");
  expect_read_error(F::kTrtllm, "num_slots: 2\nfoo: 1\n", "line 2: unknown key 'foo'");
  expect_read_error(F::kTrtllm, "initial_global_assignments:\n  3: [0, 1]\n  3: [1, 0]\n",
                    "line 3: layer 3 is listed twice");
  expect_read_error(F::kTrtllm, "initial_global_assignments:\n  3: [0, 1\nnum_slots: 2\n",
                    "line 2: layer 3: expected a flow list");
  expect_read_error(F::kTrtllm, "initial_global_assignments:\n  3: [0, 1]\nnum_slots: 3\n",
                    "num_slots is 3, but the layers have 2 slots");
  expect_read_error(F::kAscend,
                    R"({"moe_layer_count":1,"layer_list":[{"layer_id":4,"device_count":1,)"
                    R"("device_list":[{"device_id":0,"device_expert":[0]}]}]})",
                    "layer_list[0].layer_id must be 0");
  expect_read_error(F::kAscend,
                    R"({"moe_layer_count":1,"layer_list":[{"layer_id":0,"device_count":2,)"
                    R"("device_list":[{"device_id":0,"device_expert":[0]},)"
                    R"({"device_id":1,"device_expert":[0,1]}]}]})",
                    "device_list[1].device_expert has 2 experts, but device 0 has 1");
  expect_read_error(F::kAscend, R"({"moe_layer_count":2,"layer_list":[]})",
                    "layer_list must be an array of moe_layer_count = 2 layers");
}

TEST(ExportFormats, EplbPlanWritesTheSglangFileAndRefusesFormatWithoutOut) {
  const std::string dir = test::make_temp_dir("export");
  const std::string out = dir + "/v3.sglang.json";
  const std::string args =
      "plan --workload recorded:name=v3_prefill_in512 --replicas 288 --groups 8 --nodes 4 "
      "--gpus 32 --strategy seed003 ";
  const auto ok = test::run_eplb(args + "--format sglang --out " + out);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("(sglang)"), std::string::npos) << ok.out;
  EXPECT_EQ(read_engine_placement(EngineFormat::kSglang, test::read_text(out), out).phy2log.rows(),
            61);
  const auto bad = test::run_eplb(args + "--format vllm");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--format vllm needs --out FILE"), std::string::npos) << bad.err;
  const auto unknown = test::run_eplb(args + "--format nope --out " + dir + "/x");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("valid: eplb, sglang, vllm, trtllm, ascend"), std::string::npos)
      << unknown.err;
}

}  // namespace
}  // namespace eplb
