// TensorRT-LLM expert statistics (EXPERT_STATISTIC_PATH): meta_info.json {"num_experts": E, ...}
// and one rank<r>.safetensors per EP rank whose tensors are keyed "<iter>_<layer>", each the
// [E] token counts that rank routed in that iteration and layer. The ranks are summed, as
// TensorRT-LLM's examples/ep_load_balancer/utils.py does; iterations become steps and layers
// rows (model layer ids, e.g. 3..60 for DeepSeek-V3).
//
// safetensors is read by hand, no library: an 8-byte little-endian header length N, N bytes of
// JSON header {"<name>": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the raw little-endian data, offsets relative to its start. Checked strictly: the header
// fits the file, its JSON is an object without duplicate keys, each tensor has exactly those
// three keys, a supported dtype, shape [E] and offsets whose length matches, and the tensors tile
// the data exactly (no hole, no overlap, nothing after), as the format requires.
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "eplb/error.hpp"
#include "../loader_common.hpp"

namespace eplb::detail {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxHeader = 100'000'000;  // the safetensors reference limit
constexpr long long kMaxExperts = 65536;

struct Dtype {
  const char* name;
  int bytes;
  bool is_signed;
  bool is_float;
};
constexpr Dtype kDtypes[] = {{"I64", 8, true, false},  {"I32", 4, true, false},
                             {"I16", 2, true, false},  {"I8", 1, true, false},
                             {"U64", 8, false, false}, {"U32", 4, false, false},
                             {"U16", 2, false, false}, {"U8", 1, false, false},
                             {"F64", 8, true, true},   {"F32", 4, true, true}};

[[noreturn]] void fail(std::string_view at, const std::string& what) {
  throw InputError(fmt::format("{}: {}", at, what));
}

std::uint64_t little_endian(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

double decode(const unsigned char* p, const Dtype& d) {
  const std::uint64_t bits = little_endian(p, d.bytes);
  if (d.is_float) {
    if (d.bytes == 8) {
      double x = 0.0;
      std::memcpy(&x, &bits, sizeof x);
      return x;
    }
    const auto b32 = static_cast<std::uint32_t>(bits);
    float f = 0.0F;
    std::memcpy(&f, &b32, sizeof f);
    return static_cast<double>(f);
  }
  if (d.is_signed && d.bytes < 8 && (bits >> (d.bytes * 8 - 1)) != 0U) {  // sign-extend
    return static_cast<double>(bits) - static_cast<double>(std::uint64_t{1} << (d.bytes * 8));
  }
  if (d.is_signed && d.bytes == 8) return static_cast<double>(static_cast<std::int64_t>(bits));
  return static_cast<double>(bits);
}

// "<iter>_<layer>" with plain decimal numbers.
bool parse_key(const std::string& key, long long& iter, long long& layer) {
  const std::size_t us = key.find('_');
  if (us == std::string::npos || us == 0 || us + 1 == key.size()) return false;
  const auto i = parse_index(std::string_view(key).substr(0, us));
  const auto l = parse_index(std::string_view(key).substr(us + 1));
  if (!i || !l) return false;
  for (const char c : key) {
    if (c != '_' && (c < '0' || c > '9')) return false;
  }
  iter = *i;
  layer = *l;
  return true;
}

using Counts = std::map<std::pair<long long, long long>, std::vector<double>>;

void add_rank_file(const TrtllmRankFile& file, long long experts, std::string_view where,
                   Counts& counts) {
  const std::string at = fmt::format("{}/{}", where, file.name);
  const auto* bytes = reinterpret_cast<const unsigned char*>(file.bytes.data());
  const std::size_t size = file.bytes.size();
  if (size < 8) {
    fail(at, fmt::format("{} bytes: a safetensors file starts with an 8-byte header length", size));
  }
  const std::uint64_t header_len = little_endian(bytes, 8);
  if (header_len > size - 8 || header_len > kMaxHeader) {
    fail(at, fmt::format("the header length {} exceeds the {} bytes after it{}", header_len,
                         size - 8, header_len > kMaxHeader ? " (or the 100 MB limit)" : ""));
  }
  const std::string_view header(file.bytes.data() + 8, static_cast<std::size_t>(header_len));
  const std::size_t data_begin = 8 + static_cast<std::size_t>(header_len);
  const std::size_t data_size = size - data_begin;
  std::string duplicate;
  Json doc;
  try {
    // Depth-1 keys must be unique: nlohmann would silently keep the last one.
    std::set<std::string> seen;
    doc = Json::parse(header.begin(), header.end(),
                      [&](int depth, Json::parse_event_t event, Json& parsed) {
                        if (depth == 1 && event == Json::parse_event_t::key &&
                            !seen.insert(parsed.get<std::string>()).second &&
                            duplicate.empty()) {
                          duplicate = parsed.get<std::string>();
                        }
                        return true;
                      });
  } catch (const Json::exception& e) {  // parse_error, or out_of_range (number overflow)
    const std::string_view msg = json_error_text(e.what());
    fail(at, fmt::format("the header is not valid JSON: {}", msg));
  }
  if (!doc.is_object()) fail(at, "the header must be a JSON object");
  if (!duplicate.empty()) fail(at, fmt::format("the header lists tensor '{}' twice", duplicate));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> extents;
  for (const auto& [name, info] : doc.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) fail(at, "__metadata__ must be an object");
      continue;
    }
    const std::string t = fmt::format("tensor '{}'", name);
    long long iter = 0;
    long long layer = 0;
    if (!parse_key(name, iter, layer)) {
      fail(at, fmt::format("{}: expected a key '<iteration>_<layer>' (e.g. '100_3')", t));
    }
    if (!info.is_object() || info.size() != 3 || !info.contains("dtype") ||
        !info.contains("shape") || !info.contains("data_offsets")) {
      fail(at, fmt::format("{}: expected exactly the keys dtype, shape and data_offsets", t));
    }
    const Json& dtype = info["dtype"];
    const Dtype* d = nullptr;
    for (const Dtype& candidate : kDtypes) {
      if (dtype.is_string() && dtype.get<std::string>() == candidate.name) d = &candidate;
    }
    if (d == nullptr) {
      fail(at, fmt::format("{}: dtype {} is not supported (integer I8..I64, U8..U64, F32, F64)", t,
                           dtype.dump()));
    }
    const Json& shape = info["shape"];
    if (!shape.is_array() || shape.size() != 1 || !shape[0].is_number_integer() ||
        shape[0].get<long long>() != experts) {
      fail(at, fmt::format("{}: shape {} should be [{}] (num_experts in meta_info.json)", t,
                           shape.dump(), experts));
    }
    const Json& offsets = info["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      fail(at, fmt::format("{}: data_offsets {} should be [begin, end]", t, offsets.dump()));
    }
    const auto begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    const auto expected = static_cast<std::uint64_t>(experts) * static_cast<std::uint64_t>(d->bytes);
    if (begin > end || end > data_size || end - begin != expected) {
      fail(at, fmt::format("{}: data_offsets [{}, {}] should span {} bytes ({} x {}) inside the "
                           "{} data bytes",
                           t, begin, end, expected, experts, d->name, data_size));
    }
    extents.emplace_back(begin, end);
    std::vector<double>& sum = counts[{iter, layer}];
    if (sum.empty()) sum.assign(static_cast<std::size_t>(experts), 0.0);
    const unsigned char* p = bytes + data_begin + begin;
    for (long long e = 0; e < experts; ++e) {
      const double x = decode(p + e * d->bytes, *d);
      if (const char* problem = load_value_problem(x); *problem != '\0') {
        fail(at, fmt::format("{}[{}]: {} {}; counts must be finite and >= 0", t, e, x, problem));
      }
      sum[static_cast<std::size_t>(e)] += x + 0.0;
    }
  }
  std::sort(extents.begin(), extents.end());
  std::uint64_t covered = 0;
  for (const auto& [begin, end] : extents) {
    if (begin != covered) {
      fail(at, fmt::format("the tensors {} the data at byte {}: they must tile it exactly",
                           begin > covered ? "leave a hole in" : "overlap in", covered));
    }
    covered = end;
  }
  if (covered != data_size) {
    fail(at, fmt::format("{} data bytes, but the tensors cover {}: they must tile it exactly",
                         data_size, covered));
  }
}

}  // namespace

RawRecording parse_trtllm_recording(std::string_view meta_info,
                                    const std::vector<TrtllmRankFile>& ranks,
                                    const RecordingOptions& options, std::string_view where) {
  if (options.model != "auto" || options.dataset != "auto") {
    throw InputError(fmt::format(
        "{}: model= and dataset= select rows of CSV files; TensorRT-LLM statistics have neither",
        where));
  }
  const std::string meta_at = fmt::format("{}/meta_info.json", where);
  Json meta;
  try {
    meta = Json::parse(meta_info.begin(), meta_info.end());
  } catch (const Json::exception& e) {  // parse_error, or out_of_range (number overflow)
    const std::string_view msg = json_error_text(e.what());
    fail(meta_at, fmt::format("invalid JSON: {}", msg));
  }
  if (!meta.is_object() || !meta.contains("num_experts")) {
    fail(meta_at, "expected a JSON object with \"num_experts\"");
  }
  const Json& n = meta["num_experts"];
  if (!n.is_number_integer() || n.get<long long>() < 1 || n.get<long long>() > kMaxExperts) {
    fail(meta_at, fmt::format("num_experts is {}, expected an integer in 1..{}", n.dump(), kMaxExperts));
  }
  const long long experts = n.get<long long>();
  if (ranks.empty()) fail(where, "no rank<r>.safetensors file");
  Counts counts;
  for (const TrtllmRankFile& file : ranks) add_rank_file(file, experts, where, counts);
  if (counts.empty()) fail(where, "the rank files hold no '<iteration>_<layer>' tensor");
  std::set<long long> iters;
  std::set<long long> layers;
  for (const auto& [key, values] : counts) {
    iters.insert(key.first);
    layers.insert(key.second);
  }
  for (const long long i : iters) {
    for (const long long l : layers) {
      if (counts.count({i, l}) == 0U) {
        fail(where, fmt::format("no tensor '{}_{}' in any rank file: every iteration needs every "
                                "layer ({} iterations x {} layers recorded)",
                                i, l, iters.size(), layers.size()));
      }
    }
  }
  StepCollector collector(options.window, std::string(where));
  std::vector<double> step(layers.size() * static_cast<std::size_t>(experts));
  for (const long long i : iters) {
    std::size_t row = 0;
    for (const long long l : layers) {
      const std::vector<double>& v = counts[{i, l}];
      std::copy(v.begin(), v.end(), step.begin() + static_cast<std::ptrdiff_t>(row * v.size()));
      ++row;
    }
    collector.add(step.data(), static_cast<Eigen::Index>(layers.size()),
                  static_cast<Eigen::Index>(experts), fmt::format("iteration {}", i));
  }
  RawRecording out;
  out.format = RecordedFormat::kTrtllm;
  out.steps = collector.finish(out.notes);
  out.notes.push_back(fmt::format("summed {} rank file(s); iterations {}", ranks.size(),
                                  format_id_ranges({iters.begin(), iters.end()})));
  out.layer_ids.assign(layers.begin(), layers.end());
  out.what = fmt::format(
      "TensorRT-LLM expert statistics (meta_info.json + {} rank safetensors): {} iteration(s) of "
      "{} layers x {} experts",
      ranks.size(), iters.size(), layers.size(), experts);
  return out;
}

bool is_trtllm_statistics(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fs::exists(fs::path(path) / "meta_info.json", ec);
  return fs::path(path).filename() == "meta_info.json";
}

TrtllmFiles read_trtllm_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  TrtllmFiles files;
  fs::path dir = fs::is_directory(path, ec) ? fs::path(path) : fs::path(path).parent_path();
  if (dir.empty()) dir = fs::path(".");
  files.dir = dir.string();
  files.meta_info = read_file_text((fs::path(files.dir) / "meta_info.json").string());
  std::map<long long, std::string> by_rank;
  for (const fs::directory_entry& entry : fs::directory_iterator(files.dir, ec)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kPrefix = "rank";
    constexpr std::string_view kSuffix = ".safetensors";
    if (name.size() <= kPrefix.size() + kSuffix.size() || name.rfind(kPrefix, 0) != 0 ||
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;
    }
    const auto r = parse_index(std::string_view(name).substr(
        kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size()));
    if (r) by_rank[*r] = name;
  }
  if (ec) throw InputError(fmt::format("{}: cannot list the directory: {}", files.dir, ec.message()));
  if (by_rank.empty()) {
    throw InputError(fmt::format("{}: no rank<r>.safetensors file next to meta_info.json", files.dir));
  }
  for (const auto& [rank, name] : by_rank) {
    files.ranks.push_back({name, read_file_text((fs::path(files.dir) / name).string())});
  }
  return files;
}

}  // namespace eplb::detail
