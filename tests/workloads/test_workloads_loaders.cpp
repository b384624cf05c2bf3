// Recorded-workload loaders: one test per format on small files, one per malformed case (the
// error must name the file and the line or key), the bundled recordings against the numbers
// measured independently in workloads/data/SOURCES.md, and make_workload's spec/path rules.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "test_matrices.hpp"
#include "eplb/error.hpp"
#include "eplb/recorded.hpp"
#include "eplb/workload.hpp"
#include "eplb/workload_stats.hpp"

namespace eplb {
namespace {

const std::string kData = std::string(EPLB_TEST_DATA) + "/workloads/";

LoadMatrix matrix(int rows, int cols, std::initializer_list<double> values) {
  LoadMatrix m(rows, cols);
  auto it = values.begin();
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m(r, c) = *it++;
  }
  return m;
}

using test::error_of;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(WorkloadLoaders, WideCsvDropsZeroLayersAndSaysSo) {
  const Workload w = make_workload("file:path=" + kData + "wide.csv");
  ASSERT_EQ(w.num_steps(), 1);
  EXPECT_EQ(w.steps[0], matrix(2, 4, {1, 2, 3, 4, 4.5, 0, 100, 7}));
  ASSERT_EQ(w.notes.size(), 2U);
  EXPECT_EQ(w.notes[0], "dropped 1 all-zero layer(s): 0");
  EXPECT_EQ(w.notes[1], "rows are the model's layers 1-2");
  EXPECT_EQ(w.spec, "file:path=" + kData + "wide.csv");

  const Workload kept = make_workload("file:path=" + kData + "wide.csv,drop_zero_layers=false");
  EXPECT_EQ(kept.steps[0], matrix(3, 4, {0, 0, 0, 0, 1, 2, 3, 4, 4.5, 0, 100, 7}));
  EXPECT_TRUE(kept.notes.empty());
}

TEST(WorkloadLoaders, WideCsvStepColumnInAnyRowOrder) {
  const Workload w = make_workload("file:path=" + kData + "wide_steps.csv");
  ASSERT_EQ(w.num_steps(), 3);
  EXPECT_EQ(w.steps[0], matrix(2, 3, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(w.steps[1], matrix(2, 3, {10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(w.steps[2], matrix(2, 3, {22, 23, 24, 25, 26, 27}));

  const Workload windowed = make_workload("file:path=" + kData + "wide_steps.csv,window=2");
  ASSERT_EQ(windowed.num_steps(), 1);
  EXPECT_EQ(windowed.steps[0], matrix(2, 3, {11, 13, 15, 17, 19, 21}));
  ASSERT_EQ(windowed.notes.size(), 2U);
  EXPECT_TRUE(contains(windowed.notes[1], "dropped the last 1 recorded step(s)"));
}

TEST(WorkloadLoaders, WideCsvModelAndDatasetFilters) {
  const std::string path = kData + "wide_models.csv";
  const Workload a = make_workload("file:path=" + path + ",model=org/model-a,dataset=c4");
  EXPECT_EQ(a.steps[0], matrix(2, 2, {5, 6, 7, 8}));
  EXPECT_EQ(a.notes.back(), "rows are the model's layers 0, 7");
  const Workload b = make_workload("file:path=" + path + ",model=org/model-b");  // one dataset
  EXPECT_EQ(b.steps[0], matrix(2, 2, {9, 10, 11, 12}));

  const std::string several = error_of([&] { make_workload("file:path=" + path); });
  EXPECT_TRUE(contains(several, "2 models ('org/model-a', 'org/model-b')")) << several;
  const std::string unknown =
      error_of([&] { make_workload("file:path=" + path + ",model=org/model-a,dataset=web"); });
  EXPECT_TRUE(contains(unknown, "no rows with dataset 'web'")) << unknown;
  const std::string no_column =
      error_of([&] { make_workload("file:path=" + kData + "wide.csv,dataset=x"); });
  EXPECT_TRUE(contains(no_column, "has no 'dataset' column")) << no_column;
}

TEST(WorkloadLoaders, SglangJsonIgnoresOtherKeys) {
  const Workload w = make_workload(kData + "sglang.json");  // a path, detected as SGLang
  EXPECT_EQ(w.spec, "file:path=" + kData + "sglang.json");
  EXPECT_TRUE(contains(w.provenance, "format sglang")) << w.provenance;
  EXPECT_EQ(w.steps[0], matrix(2, 3, {1, 2, 3, 4, 5.5, 6}));
  EXPECT_EQ(w.notes.front(), "dropped 1 all-zero layer(s): 0");
}

TEST(WorkloadLoaders, VllmHistoryStepsAndWindows) {
  const std::string path = kData + "vllm.json";
  const Workload w = make_workload("file:path=" + path + ",format=vllm");
  ASSERT_EQ(w.num_steps(), 5);
  EXPECT_EQ(w.steps[0], matrix(2, 2, {1, 2, 3, 4}));
  EXPECT_EQ(w.steps[4], matrix(2, 2, {17, 18, 19, 20}));

  const Workload windowed = make_workload("file:path=" + path + ",window=2");
  ASSERT_EQ(windowed.num_steps(), 2);  // steps 0+1, 2+3; step 4 is an incomplete window
  EXPECT_EQ(windowed.steps[0], matrix(2, 2, {6, 8, 10, 12}));
  EXPECT_EQ(windowed.steps[1], matrix(2, 2, {22, 24, 26, 28}));
  EXPECT_TRUE(contains(windowed.notes.back(), "dropped the last 1 recorded step(s)"));

  const std::string too_long = error_of([&] { make_workload("file:path=" + path + ",window=6"); });
  EXPECT_TRUE(contains(too_long, "window=6 is longer than the 5 step(s)")) << too_long;
}

TEST(WorkloadLoaders, HarmoenyOneWorkloadPerDataset) {
  const std::string path = kData + "harmoeny.csv";  // CRLF line ends, pandas index column
  const Workload alpha = make_workload("file:path=" + path + ",dataset=alpha");
  EXPECT_TRUE(contains(alpha.provenance, "format harmoeny")) << alpha.provenance;
  ASSERT_EQ(alpha.num_steps(), 3);
  EXPECT_EQ(alpha.steps[0], matrix(2, 3, {1, 2, 3, 10, 11, 12}));
  EXPECT_EQ(alpha.steps[2], matrix(2, 3, {7, 8, 9, 16, 17, 18}));
  const Workload beta = make_workload("file:path=" + path + ",format=harmoeny,dataset=beta");
  ASSERT_EQ(beta.num_steps(), 2);
  EXPECT_EQ(beta.steps[1], matrix(2, 3, {0, 100, 0, 50, 50, 0}));

  const std::string pick = error_of([&] { make_workload(path); });
  EXPECT_TRUE(contains(pick, "2 datasets ('alpha', 'beta')")) << pick;
  const std::string as_csv =
      error_of([&] { make_workload("file:path=" + path + ",format=csv,dataset=alpha"); });
  EXPECT_TRUE(contains(as_csv, "use format=harmoeny")) << as_csv;
}

TEST(WorkloadLoaders, ForcedFormatMustMatchTheContent) {
  EXPECT_TRUE(
      contains(error_of([&] { make_workload("file:path=" + kData + "sglang.json,format=vllm"); }),
               "no key 'load_history' (format=vllm)"));
  EXPECT_TRUE(
      contains(error_of([&] { make_workload("file:path=" + kData + "wide.csv,format=sglang"); }),
               "format=sglang expects a JSON object"));
  EXPECT_TRUE(
      contains(error_of([&] { make_workload("file:path=" + kData + "vllm.json,format=csv"); }),
               "format=csv expects CSV"));
}

// One malformed file each: the message names the file and the line or key, and the problem.
struct BadCase {
  const char* file;
  std::vector<std::string> needles;
};

class MalformedWorkload : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedWorkload, ThrowsInputErrorNamingFileAndPlace) {
  const BadCase& c = GetParam();
  const std::string path = kData + "bad/" + c.file;
  const std::string message = error_of([&] { make_workload(path); });
  EXPECT_TRUE(contains(message, path)) << message;
  for (const std::string& n : c.needles) EXPECT_TRUE(contains(message, n)) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedWorkload,
    ::testing::Values(
        BadCase{"ragged.csv", {"line 3", "3 fields, but the header (line 1) has 4"}},
        BadCase{"wrong_header.csv", {"line 1", "column 3 is 'e2', expected 'e1'"}},
        BadCase{"missing_header.csv", {"line 1", "no 'layer' column", "header missing"}},
        BadCase{"non_numeric.csv", {"line 3", "expert 1 (column 'e1'): 'abc' is not a number"}},
        BadCase{"negative.csv", {"line 3", "'-4' is negative"}},
        BadCase{"nan.csv", {"line 2", "'nan' is NaN"}},
        BadCase{"inf.csv", {"line 2", "'inf' is infinite"}},
        BadCase{"overflow.csv", {"line 2", "'1e999' is infinite"}},
        BadCase{"empty.csv", {"the file is empty"}},
        BadCase{"zero_layers.csv", {"no data rows after the header (line 1)"}},
        BadCase{"no_experts.csv", {"line 1", "no expert columns"}},
        BadCase{"bad_layer_id.csv", {"line 2", "column 'layer': 'x' is not a non-negative"}},
        BadCase{"duplicate_layer.csv", {"line 3", "layer 0 appears again (first on line 2)"}},
        BadCase{"step_missing_layer.csv", {"line 4", "step 1 has 1 layer(s), but step 0 has 2"}},
        BadCase{"sglang_ragged.json", {"logical_count[1] has 2 experts", "has 3"}},
        BadCase{"sglang_wrong_shape.json", {"logical_count[0] is a number, expected an array"}},
        BadCase{"sglang_no_key.json", {"no key 'logical_count' (SGLang) or 'load_history'"}},
        BadCase{"sglang_zero_layers.json", {"logical_count is empty: no layers"}},
        BadCase{"sglang_negative.json", {"logical_count[0][1]: -2 is negative"}},
        BadCase{"sglang_non_numeric.json", {"logical_count[0][1] is a string, expected a number"}},
        BadCase{"sglang_nan.json", {"invalid JSON", "line 1, column 24"}},
        BadCase{"sglang_inf.json", {"line 1: invalid JSON: number overflow"}},
        BadCase{"sglang_truncated.json", {"invalid JSON", "line 3"}},
        BadCase{"sglang_top_array.json", {"the top level is an array"}},
        BadCase{"sglang_all_zero.json", {"every layer is zero in every step"}},
        BadCase{"vllm_expert_count_changes.json",
                {"load_history[1].logical_expert_load has 2 layers x 3 experts",
                 "load_history[0].logical_expert_load has 2 x 2"}},
        BadCase{"vllm_missing_key.json", {"load_history[1] has no key 'logical_expert_load'"}},
        BadCase{"vllm_wrong_shape.json", {"'load_history' is an object, expected an array"}},
        BadCase{"vllm_empty.json", {"'load_history' is empty"}},
        BadCase{"harmoeny_wrong_header.csv",
                {"line 1", "unknown column 4 'layer'", "use format=csv"}},
        BadCase{"harmoeny_ragged.csv", {"line 3", "5 fields, but the header (line 1) has 6"}}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) {
      std::string name = param_info.param.file;
      for (char& ch : name) {
        if (ch == '.') ch = '_';
      }
      return name;
    });

TEST(WorkloadLoaders, ParserLevelCasesWithoutFiles) {
  RecordingOptions o;
  auto err = [&](std::string_view text) {
    return error_of([&] { parse_recording(text, o, "t"); });
  };
  EXPECT_TRUE(contains(err("layer,e0\n0,\"1\"\n"), "line 2: quoted fields are not supported"));
  EXPECT_TRUE(contains(err("layer,layer,e0\n0,0,1\n"), "repeats a key column"));
  EXPECT_TRUE(contains(err("layer,e0\n0,0x10\n"), "'0x10' is not a number"));
  EXPECT_TRUE(contains(err("{\"logical_count\": [[1]], \"logical_count\": [[2]]}"),
                       "key 'logical_count' appears twice"));
  EXPECT_TRUE(contains(err("{\"logical_count\": [[1]], \"load_history\": []}"),
                       "has both 'logical_count' and 'load_history'"));
  EXPECT_TRUE(contains(err("{\"logical_count\": [[]]}"), "logical_count[0] is empty"));
  EXPECT_TRUE(contains(err("{\"logical_count\": [[1, [2]]]}"), "logical_count[0][1] is an array"));
  o.model = "m";
  EXPECT_TRUE(contains(err("{\"logical_count\": [[1]]}"), "a JSON recording has neither"));

  // Accepted: BOM, blank lines, spaces around fields, '+', exponents, -0 (read as +0).
  o = RecordingOptions{};
  const Recording r = parse_recording("\xEF\xBB\xBFlayer, e0 ,1\n\n0, +1.5e1 ,-0\n\n", o, "t");
  ASSERT_EQ(r.steps.size(), 1U);
  EXPECT_EQ(r.steps[0](0, 0), 15.0);
  EXPECT_FALSE(std::signbit(r.steps[0](0, 1)));
}

TEST(WorkloadLoaders, CheckLoadMatrixNamesTheFirstBadCell) {
  LoadMatrix m = LoadMatrix::Ones(2, 3);
  EXPECT_NO_THROW(check_load_matrix(m, "x"));
  m(1, 2) = -1.0;
  EXPECT_TRUE(contains(error_of([&] { check_load_matrix(m, "src"); }),
                       "src: layer 1, expert 2: value -1 is negative"));
  m(0, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(contains(error_of([&] { check_load_matrix(m, "src"); }), "layer 0, expert 1"));
  EXPECT_TRUE(contains(error_of([&] { check_load_matrix(LoadMatrix(0, 3), "src"); }),
                       "0 layers x 3 experts"));
}

TEST(WorkloadLoaders, SpecOrPathRules) {
  EXPECT_TRUE(contains(error_of([] { make_workload("no_such_thing"); }),
                       "'no_such_thing' is neither a workload spec (unknown workload"));
  EXPECT_TRUE(
      contains(error_of([] { make_workload("/no/such/file.csv"); }), "is neither a workload spec"));
  EXPECT_TRUE(contains(error_of([] { make_workload("file:path=/no/such/file.csv"); }),
                       "/no/such/file.csv: no such file"));
  EXPECT_TRUE(contains(error_of([] { make_workload("file"); }), "give the file with path=PATH"));
  EXPECT_TRUE(contains(error_of([] { make_workload(kData); }), "is a directory"));
  // A parameter error of a registered spec is reported as such, not as a missing file.
  EXPECT_TRUE(contains(error_of([] { make_workload("zipf:exponent=abc"); }),
                       "bad value 'abc' for parameter 'exponent'"));

  const std::string dir = test::make_temp_dir("wl_paths");
  const std::string odd = dir + "/a,b.csv";
  test::write_text(odd, "layer,e0\n0,1\n");
  EXPECT_TRUE(contains(error_of([&] { make_workload(odd); }),
                       "paths cannot contain ',', '=' or whitespace"));
  std::filesystem::remove_all(dir);
}

// The bundled recordings load, have the documented shapes, and reproduce the mean/max ratios
// measured independently when they were collected (workloads/data/SOURCES.md).
double mean_over_max(const Workload& w) {
  double sum = 0.0;
  int n = 0;
  for (const LoadMatrix& step : w.steps) {
    for (const LayerSkew& s : layer_skews(step)) {
      sum += 1.0 / s.max_over_mean;
      ++n;
    }
  }
  return sum / n;
}

TEST(WorkloadBundled, EveryRecordingLoadsWithItsDocumentedShape) {
  for (const BundledRecording& r : bundled_recordings()) {
    SCOPED_TRACE(r.name);
    const Workload w = make_workload("recorded:name=" + r.name);
    EXPECT_EQ(w.spec, "recorded:name=" + r.name);
    EXPECT_TRUE(contains(w.provenance, "SOURCES.md")) << w.provenance;
    if (r.name.rfind("v3_", 0) == 0) {
      EXPECT_EQ(w.num_layers(), 58);
      EXPECT_EQ(w.num_experts(), 256);
      EXPECT_EQ(w.num_steps(), 1);
    } else if (r.name.rfind("harmoeny_qwen", 0) == 0) {
      EXPECT_EQ(w.num_layers(), 12);
      EXPECT_EQ(w.num_experts(), 60);
      EXPECT_EQ(w.num_steps(), 20);
      EXPECT_EQ(w.steps[0].row(0).sum(), 98304.0);  // 16 sequences x 1024 tokens x 6 ranks
    } else if (r.name.rfind("harmoeny_switch", 0) == 0) {
      EXPECT_EQ(w.num_experts(), 128);
      EXPECT_EQ(w.num_steps(), 30);
      EXPECT_EQ(w.steps[0].row(0).sum(), 524288.0);  // encoder: 64 x 1024 x 8
      EXPECT_EQ(w.steps[0].row(11).sum(), 512.0);    // decoder: one token per sequence
    } else if (r.name == "mixtral_eras") {
      EXPECT_EQ(w.num_layers(), 32);
      EXPECT_EQ(w.steps[0].row(5).sum(), 119010.0);
    } else {  // OLMoE routing analysis: layers 0, 7, 15
      EXPECT_EQ(w.num_layers(), 3);
      EXPECT_EQ(w.num_experts(), r.name.rfind("olmoe", 0) == 0 ? 64 : 8);
    }
  }
  EXPECT_EQ(make_workload("recorded:name=v3_prefill_in512").steps[0].row(0).sum(), 67108864.0);
  EXPECT_NEAR(mean_over_max(make_workload("recorded:name=v3_decode_in1000out1000")), 0.199, 5e-4);
  EXPECT_NEAR(mean_over_max(make_workload("recorded:name=v3_prefill_in4096")), 0.137, 5e-4);
  EXPECT_NEAR(mean_over_max(make_workload("recorded:name=harmoeny_qwen_wikitext")), 0.116, 5e-4);
  EXPECT_NEAR(mean_over_max(make_workload("recorded:name=harmoeny_qwen_wmt19")), 0.167, 5e-4);

  const Workload kept =
      make_workload("recorded:name=v3_decode_in1000out1000,drop_zero_layers=false");
  EXPECT_EQ(kept.num_layers(), 61);
  EXPECT_EQ(kept.steps[0].row(2).sum(), 0.0);
  EXPECT_TRUE(contains(error_of([] { make_workload("recorded:name=nope"); }),
                       "unknown bundled recording 'nope'; valid names: v3_decode_in1000out1000"));
  EXPECT_TRUE(contains(error_of([] { make_workload("recorded"); }), "give name=NAME"));
}

TEST(WorkloadBundled, DataDirCanBeOverriddenByEnvironment) {
  const std::string dir = test::make_temp_dir("wl_data");
  ::setenv("EPLB_DATA_DIR", dir.c_str(), 1);
  const std::string missing = error_of([] { make_workload("recorded:name=mixtral_eras"); });
  EXPECT_TRUE(contains(missing, dir)) << missing;
  EXPECT_TRUE(contains(missing, "EPLB_DATA_DIR")) << missing;
  std::filesystem::create_directories(dir + "/mixtral_8x7b_moe_eras");
  test::write_text(dir + "/mixtral_8x7b_moe_eras/mixtral_8x7b_expert_activation_counts_32x8.csv",
                   "layer,e0,e1\n0,1,2\n");
  const Workload w = make_workload("recorded:name=mixtral_eras");
  ::unsetenv("EPLB_DATA_DIR");
  EXPECT_EQ(w.steps[0], matrix(1, 2, {1, 2}));
  std::filesystem::remove_all(dir);
}

// The CLI: `eplb describe-workload FILE` exits 2 with `eplb describe-workload: error: ...`.
TEST(WorkloadCli, DescribeWorkloadBadFilesExitTwo) {
  for (const char* file : {"ragged.csv", "nan.csv", "sglang_wrong_shape.json", "empty.csv",
                           "vllm_expert_count_changes.json"}) {
    const std::string path = kData + "bad/" + file;
    const auto r = test::run_eplb("describe-workload " + path);
    EXPECT_EQ(r.exit_code, 2) << file;
    EXPECT_EQ(r.err.rfind("eplb describe-workload: error: " + path, 0), 0U) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const auto unknown = test::run_eplb("describe-workload not_a_workload");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "neither a workload spec")) << unknown.err;
  EXPECT_EQ(test::run_eplb("describe-workload").exit_code, 2);
  EXPECT_EQ(test::run_eplb("describe-workload zipf --window 0").exit_code, 2);
}

TEST(WorkloadCli, DescribeWorkloadPrintsShapeStepsAndSkew) {
  const auto r = test::run_eplb("describe-workload " + kData + "wide_steps.csv --window 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "workload    file:path=" + kData + "wide_steps.csv,window=2"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "2 layers x 3 experts, 1 step(s)")) << r.out;
  EXPECT_TRUE(contains(r.out, "gini avg")) << r.out;
  const auto layers = test::run_eplb("describe-workload uniform:layers=2,experts=4 --per-layer");
  ASSERT_EQ(layers.exit_code, 0) << layers.err;
  // Uniform: max/mean 1, Gini 0, top 10% = 1 of 4 experts = 0.25, for every layer.
  EXPECT_TRUE(contains(layers.out, "    1.0000   0.0000   0.2500")) << layers.out;
  const auto list = test::run_eplb("workloads");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const char* name : {"file", "recorded", "zipf", "uniform", "hot_experts", "hot_groups",
                           "v3_decode_in1000out1000", "harmoeny_switch_wmt19", "mixtral_eras"}) {
    EXPECT_TRUE(contains(list.out, name)) << name;
  }
  EXPECT_EQ(test::run_eplb("workloads --help").exit_code, 0);
  EXPECT_EQ(test::run_eplb("describe-workload --help").exit_code, 0);
}

}  // namespace
}  // namespace eplb
