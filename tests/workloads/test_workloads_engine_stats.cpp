// Loads recorded by serving engines: vLLM offline-EPLB load statistics (JSON Lines) and
// TensorRT-LLM expert statistics (meta_info.json + rank<r>.safetensors). Small sample files with
// hand-computed expectations, format detection and the workload registry, and every malformed
// case (the error names the file and the line, tensor or key).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "test_matrices.hpp"
#include "eplb/error.hpp"
#include "eplb/recorded.hpp"
#include "eplb/workload.hpp"

namespace eplb {
namespace {

const std::string kData = std::string(EPLB_TEST_DATA) + "/workloads/";

using test::error_of;

// A [rows x cols] load matrix from values listed row by row.
LoadMatrix matrix(int rows, int cols, std::initializer_list<double> values) {
  return Eigen::Map<const LoadMatrix>(values.begin(), rows, cols);
}

std::string fmt_notes(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& n : notes) out += n + "\n";
  return out;
}

// ---- vLLM ----

Recording vllm_stats(const std::string& text, int window = 1) {
  RecordingOptions o;
  o.window = window;
  return parse_recording(text, o, "stats.jsonl");
}

TEST(EngineStatsVllm, FoldsPhysicalLoadsToLogicalExpertsPerStepAndIgnoresOtherRecords) {
  const Recording r = read_recording(kData + "vllm_stats.jsonl", {});
  EXPECT_EQ(r.format, RecordedFormat::kVllmStats);
  ASSERT_EQ(r.steps.size(), 2U);
  // p2l layer 0 [0,1,2,0], layer 1 [0,1,2,1]: slot loads summed per logical expert.
  EXPECT_EQ(r.steps[0], matrix(2, 3, {12, 1, 5, 2, 11, 1}));
  EXPECT_EQ(r.steps[1], matrix(2, 3, {2, 1, 1, 0, 4, 4}));
  EXPECT_EQ(r.layer_ids, (std::vector<long long>{0, 1}));
  const std::string notes = fmt_notes(r.notes);
  EXPECT_NE(notes.find("folded 4 physical slots into 3 logical experts"), std::string::npos) << notes;
  EXPECT_NE(notes.find("ignored 1 record(s) of type 'eplb_load_meta'"), std::string::npos) << notes;
  EXPECT_NE(notes.find("ignored 1 record(s) of type 'eplb_rebalance'"), std::string::npos) << notes;
  // Windows sum steps.
  EXPECT_EQ(vllm_stats(test::read_text(kData + "vllm_stats.jsonl"), 2).steps.front(),
            matrix(2, 3, {14, 2, 6, 2, 15, 5}));
}

TEST(EngineStatsVllm, IsAWorkloadFileDetectedFromItsContent) {
  const Workload w = make_workload(kData + "vllm_stats.jsonl");
  EXPECT_EQ(w.num_steps(), 2);
  EXPECT_NE(w.provenance.find("format vllm_stats"), std::string::npos) << w.provenance;
  EXPECT_EQ(make_workload("file:path=" + kData + "vllm_stats.jsonl,format=vllm_stats,window=2")
                .num_steps(),
            1);
  EXPECT_NE(error_of([] { make_workload("file:path=" + kData + "vllm_stats.jsonl,format=sglang"); })
                .find("vllm_stats.jsonl"),
            std::string::npos);
}

TEST(EngineStatsVllm, MalformedRecordsGiveTheLineAndTheKey) {
  const std::string ok_load = R"("expert_load":[[1,2]],"p2l_map":[[0,1]])";
  const auto stats = [&](const std::string& body) {
    return R"({"record_type":"eplb_load_stats","step":1,)" + body + "}\n";
  };
  const struct {
    std::string text;
    std::string needle;
  } cases[] = {
      {stats(R"("expert_load":[[1,2]])"), "line 1: the eplb_load_stats record has no key 'p2l_map'"},
      {stats(R"("expert_load":[[1,2]],"p2l_map":[[0,1,1]])"), "p2l_map is 1 x 3, but expert_load is 1 x 2"},
      {stats(R"("expert_load":[[1,-2]],"p2l_map":[[0,1]])"), "expert_load[0][1]: -2 is negative"},
      {stats(R"("expert_load":[[1,"x"]],"p2l_map":[[0,1]])"), "expert_load[0][1] is \"x\", expected a number"},
      {stats(R"("expert_load":[[1,2],[3]],"p2l_map":[[0,1],[0]])"), "expert_load[1] has 1 slots"},
      {stats(R"("expert_load":[[1,2]],"p2l_map":[[0,2]])"), "p2l_map[0][1] is 2, but there are only 2 physical slots"},
      {stats(R"("expert_load":[[1,2]],"p2l_map":[[0,-1]])"), "p2l_map[0][1] is -1"},
      {stats(R"("expert_load":[[1,2,3]],"p2l_map":[[0,2,2]])"), "gives logical expert 1 no slot"},
      {stats(ok_load + R"(,"num_logical_experts":5)"), "num_logical_experts is 5"},
      {stats(R"("expert_load":[],"p2l_map":[])"), "expert_load must be a non-empty array of layers"},
      {stats(ok_load) + stats(ok_load), "line 2: step 1 does not follow step 1 (line 1)"},
      {stats(ok_load) + "{\"step\":2}\n", "line 2: the record has no string 'record_type'"},
      {stats(ok_load) + "[1]\n", "line 2: expected a JSON object"},
      {stats(ok_load) + "{\"record_type\":\n", "line 2: invalid JSON"},
      // Found by fuzz_vllm_stats: nlohmann reports a number overflow as out_of_range.
      {stats(R"("expert_load":[[1,1e400]],"p2l_map":[[0,1]])"), "line 1: invalid JSON: number overflow"},
      {R"({"record_type":"eplb_load_meta"})", "no \"record_type\": \"eplb_load_stats\" record (found 1 x eplb_load_meta)"},
      {R"({"record_type":"eplb_load_stats","step":1.5,"expert_load":[[1]],"p2l_map":[[0]]})",
       "step is 1.5, expected a non-negative integer"},
      {stats(ok_load) +
           R"({"record_type":"eplb_load_stats","step":2,"expert_load":[[1,2,3]],"p2l_map":[[0,1,2]]})",
       "every step must have the same shape"},
  };
  for (const auto& c : cases) {
    RecordingOptions o;
    o.format = RecordedFormat::kVllmStats;
    const std::string e = error_of([&] { parse_recording(c.text, o, "stats.jsonl"); });
    EXPECT_EQ(e.rfind("stats.jsonl", 0), 0U) << e;
    EXPECT_NE(e.find(c.needle), std::string::npos) << "got: " << e << "\nwant: " << c.needle;
  }
}

// ---- TensorRT-LLM ----

struct Tensor {
  Tensor(std::string n, std::string d, std::vector<std::int64_t> v, std::string s = "",
         std::string o = "")
      : name(std::move(n)), dtype(std::move(d)), values(std::move(v)), shape(std::move(s)),
        offsets(std::move(o)) {}
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> values;
  std::string shape;    // default: [values.size()]
  std::string offsets;  // default: the next bytes
};

std::string little_endian(std::uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

int width(const std::string& dtype) {
  if (dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8") return 1;
  return 8;
}

// A safetensors file as the format defines it (8-byte LE header length, JSON header, raw LE
// data); `header_extra` is appended inside the header object.
std::string safetensors(const std::vector<Tensor>& tensors, const std::string& header_extra = "") {
  std::string header = "{";
  std::string data;
  for (const Tensor& t : tensors) {
    const int w = width(t.dtype);
    const std::size_t begin = data.size();
    for (const std::int64_t v : t.values) data += little_endian(static_cast<std::uint64_t>(v), w);
    header += fmt::format(R"({}"{}":{{"dtype":"{}","shape":{},"data_offsets":{}}})",
                          header.size() > 1 ? "," : "", t.name, t.dtype,
                          t.shape.empty() ? fmt::format("[{}]", t.values.size()) : t.shape,
                          t.offsets.empty() ? fmt::format("[{},{}]", begin, data.size())
                                            : t.offsets);
  }
  header += header_extra;
  header += "}";
  return little_endian(header.size(), 8) + header + data;
}

// A file with this header text and `data` zero bytes.
std::string with_header(const std::string& header, std::size_t data) {
  return little_endian(header.size(), 8) + header + std::string(data, '\0');
}

Recording trtllm(const std::vector<std::string>& ranks, const std::string& meta = R"({"num_experts":2})") {
  std::vector<TrtllmRankFile> files;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    files.push_back({fmt::format("rank{}.safetensors", r), ranks[r]});
  }
  return parse_trtllm_statistics(meta, files, {}, "stats");
}

TEST(EngineStatsTrtllm, SumsRanksIterationsAreStepsLayersAreRows) {
  const Recording r = read_recording(kData + "trtllm", {});
  EXPECT_EQ(r.format, RecordedFormat::kTrtllm);
  ASSERT_EQ(r.steps.size(), 2U);
  EXPECT_EQ(r.steps[0], matrix(2, 3, {6, 2, 1, 2, 2, 5}));  // iteration 100, layers 3 and 4
  EXPECT_EQ(r.steps[1], matrix(2, 3, {1, 4, 4, 1, 6, 0}));  // iteration 101
  EXPECT_EQ(r.layer_ids, (std::vector<long long>{3, 4}));
  // The directory, or its meta_info.json, is a workload; rows keep their model layer ids.
  for (const std::string& path : {kData + "trtllm", kData + "trtllm/meta_info.json"}) {
    const Workload w = make_workload(path);
    EXPECT_EQ(w.num_steps(), 2) << path;
    EXPECT_EQ(w.layer_ids, (std::vector<long long>{3, 4})) << path;
    EXPECT_NE(w.provenance.find("format trtllm"), std::string::npos) << w.provenance;
  }
  EXPECT_EQ(make_workload("file:path=" + kData + "trtllm,window=2").steps.front(),
            matrix(2, 3, {7, 6, 5, 3, 8, 5}));
  // Other dtypes decode to the same counts.
  const Recording i8 = trtllm({safetensors({{"0_0", "U8", {3, 4}}, {"0_1", "I16", {0, 7}}})});
  EXPECT_EQ(i8.steps.front(), matrix(2, 2, {3, 4, 0, 7}));
}

TEST(EngineStatsTrtllm, MalformedFilesNameTheFileAndTheTensor) {
  const std::string good = safetensors({{"1_3", "I64", {1, 2}}});
  const struct {
    std::string bytes;
    std::string needle;
  } cases[] = {
      {"abc", "3 bytes: a safetensors file starts with an 8-byte header length"},
      {little_endian(1000, 8) + "{}", "the header length 1000 exceeds the 2 bytes after it"},
      {little_endian(4, 8) + "{\"a\"", "the header is not valid JSON"},
      {little_endian(2, 8) + "[]", "the header must be a JSON object"},
      {safetensors({{"1_3", "F16", {1, 2}}}), "tensor '1_3': dtype \"F16\" is not supported"},
      {safetensors({{"1_3", "I64", {1, 2, 3}}}), "tensor '1_3': shape [3] should be [2]"},
      {safetensors({{"1_3", "I64", {1, 2}, "[2,1]"}}), "shape [2,1] should be [2]"},
      {safetensors({{"layer3", "I64", {1, 2}}}), "tensor 'layer3': expected a key '<iteration>_<layer>'"},
      {safetensors({{"1_-3", "I64", {1, 2}}}), "tensor '1_-3': expected a key"},
      {safetensors({{"1_3", "I64", {1, -2}}}), "tensor '1_3'[1]: -2 is negative"},
      {safetensors({{"1_3", "I8", {1, -2}}}), "tensor '1_3'[1]: -2 is negative"},
      {safetensors({{"1_3", "I64", {1, 2}, "", "[0,8]"}}), "data_offsets [0, 8] should span 16 bytes"},
      {safetensors({{"1_3", "I64", {1, 2}, "", "[8,24]"}}), "inside the 16 data bytes"},
      {safetensors({{"1_3", "I64", {1, 2}, "", "[0]"}}), "data_offsets [0] should be [begin, end]"},
      {safetensors({{"1_3", "I64", {1, 2}}, {"2_3", "I64", {1, 2}, "", "[0,16]"}}) ,
       "overlap in the data at byte 16"},
      {good + "xyz", "19 data bytes, but the tensors cover 16"},
      {with_header(R"({"1_3":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
                   R"("1_3":{"dtype":"I64","shape":[2],"data_offsets":[16,32]}})",
                   32),
       "the header lists tensor '1_3' twice"},
      {safetensors({{"1_3", "I64", {1, 2}}}, ",\"__metadata__\":3"), "__metadata__ must be an object"},
      {safetensors({{"1_3", "I64", {1, 2}}, {"2_4", "I64", {1, 2}}}), "no tensor '1_4' in any rank file"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of([&] { trtllm({c.bytes}); });
    EXPECT_EQ(e.rfind("stats", 0), 0U) << e;
    EXPECT_NE(e.find(c.needle), std::string::npos) << "got: " << e << "\nwant: " << c.needle;
  }
  EXPECT_NE(error_of([&] { trtllm({good}, R"({"num_experts":0})"); })
                .find("stats/meta_info.json: num_experts is 0"),
            std::string::npos);
  // Found by fuzz_trtllm: a number overflow in meta_info.json or a header.
  EXPECT_NE(error_of([&] { trtllm({good}, R"({"num_experts":2e400})"); })
                .find("stats/meta_info.json: invalid JSON: number overflow"),
            std::string::npos);
  EXPECT_NE(error_of([&] { trtllm({with_header(R"({"1_3":{"dtype":"I64","shape":[1e999]}})", 0)}); })
                .find("stats/rank0.safetensors: the header is not valid JSON: number overflow"),
            std::string::npos);
  EXPECT_NE(error_of([&] { trtllm({good}, "[]"); }).find("expected a JSON object with \"num_experts\""),
            std::string::npos);
  EXPECT_NE(error_of([&] { trtllm({}); }).find("no rank<r>.safetensors file"), std::string::npos);
  const std::string dir = test::make_temp_dir("trtllm");
  EXPECT_NE(error_of([&] { make_workload(dir); }).find("is a directory"), std::string::npos);
  test::write_text(dir + "/meta_info.json", R"({"num_experts":2})");
  EXPECT_NE(error_of([&] { make_workload(dir); }).find("no rank<r>.safetensors file next to meta_info.json"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              RecordingOptions o;
              o.format = RecordedFormat::kTrtllm;
              parse_recording("{}", o, "x.json");
            }).find("format=trtllm reads a directory"),
            std::string::npos);
}

}  // namespace
}  // namespace eplb
