// The JSON loaders: SGLang's expert-distribution dump {"logical_count": [[...]]} and vLLM's EPLB
// load history {"load_history": [{"logical_expert_load": [[...]]}, ...]}.
//
// Both are read by one streaming (SAX) handler over nlohmann_json's lexer: it follows the path to
// the matrices, skips every other key, checks each number as it arrives and hands finished
// matrices to the StepCollector, which sums windows on the fly. A multi-hundred-MB load history
// therefore never becomes a DOM. Errors name the key path, e.g.
// `load_history[12].logical_expert_load[3][255]`; syntax errors carry nlohmann's line and column.
#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "eplb/error.hpp"
#include "loader_common.hpp"

namespace eplb::detail {
namespace {

using Json = nlohmann::json;

constexpr const char* kSglangKey = "logical_count";
constexpr const char* kHistoryKey = "load_history";
constexpr const char* kStepKey = "logical_expert_load";

class Handler final : public nlohmann::json_sax<Json> {
 public:
  Handler(std::string_view text, const RecordingOptions& options, std::string_view where)
      : text_(text),
        where_(where),
        allow_sglang_(options.format != RecordedFormat::kVllm),
        allow_vllm_(options.format != RecordedFormat::kSglang),
        collector_(options.window, std::string(where)) {}

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t v) override {
    return number(static_cast<double>(v), v < 0 ? "is negative" : "");
  }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v), ""); }
  bool number_float(number_float_t v, const string_t&) override {
    return number(v, load_value_problem(v));
  }
  bool string(string_t&) override { return scalar("a string"); }
  bool binary(binary_t&) override { return scalar("binary data"); }

  bool start_object(std::size_t) override {
    open(/*is_array=*/false);
    return true;
  }
  bool key(string_t& k) override {
    Frame& top = stack_.back();
    if (top.kind == Kind::kRoot && is_root_key(k) && top.found) {
      fail(k == root_key_ ? fmt::format("key '{}' appears twice in the top-level object", k)
                          : fmt::format("the top-level object has both '{}' and '{}'; give "
                                        "format=sglang or format=vllm",
                                        root_key_, k));
    }
    if (top.kind == Kind::kEntry && k == kStepKey && top.found) {
      fail(fmt::format("key '{}' appears twice in {}", k, path(1)));
    }
    if (top.kind != Kind::kSkip) top.key = k;
    return true;
  }
  bool end_object() override {
    const Frame& top = stack_.back();
    if (top.kind == Kind::kRoot && !top.found) {
      fail(fmt::format("the top-level object has no key {}", expected_keys()));
    }
    if (top.kind == Kind::kEntry && !top.found) {
      fail(fmt::format("{} has no key '{}'", path(1), kStepKey));
    }
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    open(/*is_array=*/true);
    return true;
  }
  bool end_array() override {
    const Frame& top = stack_.back();
    if (top.kind == Kind::kRow) end_row(top.count);
    if (top.kind == Kind::kMatrix) end_matrix(top.count);
    if (top.kind == Kind::kHistory && top.count == 0) fail(fmt::format("'{}' is empty", path(1)));
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 3, column 7:
    // ..."; keep what follows the bracketed id, and add the line when it has none (a number
    // overflow names only the number).
    std::string_view msg = ex.what();
    const std::size_t close = msg.find("] ");
    if (close != std::string_view::npos) msg.remove_prefix(close + 2);
    if (msg.find(" line ") != std::string_view::npos) {
      throw InputError(fmt::format("{}: invalid JSON: {}", where_, msg));
    }
    const std::string_view before = text_.substr(0, std::min(position, text_.size()));
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    throw InputError(fmt::format("{}: line {}: invalid JSON: {}", where_, line, msg));
  }

  RawRecording finish() {
    RawRecording out;
    out.format = vllm_ ? RecordedFormat::kVllm : RecordedFormat::kSglang;
    const long long raw_steps = collector_.raw_steps();
    out.steps = collector_.finish(out.notes);
    out.layer_ids.resize(static_cast<std::size_t>(layers_));
    for (Eigen::Index l = 0; l < layers_; ++l) out.layer_ids[static_cast<std::size_t>(l)] = l;
    out.what = vllm_ ? fmt::format(
                           "vLLM expert-load history JSON ({}): {} step(s) of {} layers x "
                           "{} experts",
                           kHistoryKey, raw_steps, layers_, experts_)
                     : fmt::format("SGLang expert-distribution JSON ({}): {} layers x {} experts",
                                   kSglangKey, layers_, experts_);
    return out;
  }

 private:
  // kRoot: the top-level object. kSkip: any value under a key we ignore. kHistory: the
  // load_history array; kEntry: one of its objects. kMatrix: a [layers][experts] array; kRow: one
  // layer of it.
  enum class Kind { kRoot, kSkip, kHistory, kEntry, kMatrix, kRow };

  struct Frame {
    Kind kind = Kind::kRoot;
    bool is_array = false;
    long long count = 0;  // arrays: elements started so far (the current one is count - 1)
    std::string key;      // objects: the current key
    bool found = false;   // kRoot / kEntry: the wanted key was seen
  };

  bool is_root_key(std::string_view k) const {
    return (allow_sglang_ && k == kSglangKey) || (allow_vllm_ && k == kHistoryKey);
  }

  std::string expected_keys() const {
    if (!allow_vllm_) return fmt::format("'{}' (format=sglang)", kSglangKey);
    if (!allow_sglang_) return fmt::format("'{}' (format=vllm)", kHistoryKey);
    return fmt::format("'{}' (SGLang) or '{}' (vLLM)", kSglangKey, kHistoryKey);
  }

  // The key path of the current value, leaving out the innermost `drop` frames.
  std::string path(std::size_t drop = 0) const {
    std::string out;
    for (std::size_t i = 0; i + drop < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.kind == Kind::kSkip) break;
      if (f.is_array) {
        out += fmt::format("[{}]", f.count - 1);
      } else if (f.kind == Kind::kRoot) {
        out += f.key;
      } else {
        out += "." + f.key;
      }
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("{}: {}", where_, what));
  }

  // The kind a new value under the current frame takes; fails when the value does not fit.
  Kind child_kind(bool is_container, bool is_array, const char* what) {
    if (stack_.empty()) {
      if (is_container && !is_array) return Kind::kRoot;
      fail(fmt::format("the top level is {}, expected a JSON object with key {}", what,
                       expected_keys()));
    }
    Frame& top = stack_.back();
    if (top.is_array) ++top.count;
    switch (top.kind) {
      case Kind::kSkip:
        return Kind::kSkip;
      case Kind::kRoot:
        if (!is_root_key(top.key)) return Kind::kSkip;
        top.found = true;
        root_key_ = top.key;
        vllm_ = top.key == kHistoryKey;
        if (!is_array) {
          fail(fmt::format("'{}' is {}, expected {}", top.key, what,
                           vllm_ ? "an array of objects with key 'logical_expert_load'"
                                 : "an array of layers, each an array of numbers"));
        }
        return vllm_ ? Kind::kHistory : Kind::kMatrix;
      case Kind::kHistory:
        if (!is_container || is_array) {
          fail(fmt::format("{} is {}, expected an object with key '{}'", path(), what, kStepKey));
        }
        return Kind::kEntry;
      case Kind::kEntry:
        if (top.key != kStepKey) return Kind::kSkip;
        top.found = true;
        if (!is_array) {
          fail(fmt::format("{} is {}, expected an array of layers, each an array of numbers",
                           path(), what));
        }
        return Kind::kMatrix;
      case Kind::kMatrix:
        if (!is_array) {
          fail(fmt::format("{} is {}, expected an array of numbers (one layer)", path(), what));
        }
        return Kind::kRow;
      case Kind::kRow:
        fail(fmt::format("{} is {}, expected a number", path(), what));
    }
    return Kind::kSkip;
  }

  void open(bool is_array) {
    Frame f;
    f.kind = child_kind(true, is_array, is_array ? "an array" : "an object");
    f.is_array = is_array;
    if (f.kind == Kind::kMatrix) {
      matrix_.clear();
      row_experts_ = -1;
    }
    stack_.push_back(std::move(f));
  }

  bool scalar(const char* what) {
    child_kind(false, false, what);  // fails unless the value is skipped
    return true;
  }

  bool number(double value, const char* problem) {
    if (stack_.empty() || stack_.back().kind != Kind::kRow) return scalar("a number");
    ++stack_.back().count;
    if (*problem != '\0') {
      fail(fmt::format("{}: {} {}; loads must be finite and >= 0", path(), value, problem));
    }
    matrix_.push_back(value + 0.0);  // -0 becomes +0
    return true;
  }

  void end_row(long long experts) {
    if (experts == 0) {
      fail(fmt::format("{} is empty: a layer needs at least one expert", path(1)));
    }
    if (row_experts_ < 0) {
      row_experts_ = experts;
    } else if (experts != row_experts_) {
      fail(
          fmt::format("{} has {} experts, but the first layer of this matrix has {}; every layer "
                      "needs one value per expert",
                      path(1), experts, row_experts_));
    }
  }

  void end_matrix(long long layers) {
    if (layers == 0) fail(fmt::format("{} is empty: no layers", path(1)));
    layers_ = static_cast<Eigen::Index>(layers);
    experts_ = static_cast<Eigen::Index>(row_experts_);
    collector_.add(matrix_.data(), layers_, experts_, path(1));
  }

  std::string_view text_;
  std::string where_;
  bool allow_sglang_;
  bool allow_vllm_;
  bool vllm_ = false;
  std::string root_key_;
  std::vector<Frame> stack_;
  std::vector<double> matrix_;  // the matrix being read, row-major
  long long row_experts_ = -1;
  Eigen::Index layers_ = 0;
  Eigen::Index experts_ = 0;
  StepCollector collector_;
};

}  // namespace

RawRecording parse_json_recording(std::string_view text, const RecordingOptions& options,
                                  std::string_view where) {
  if (options.model != "auto" || options.dataset != "auto") {
    throw InputError(
        fmt::format("{}: model= and dataset= select rows of CSV files; a JSON "
                    "recording has neither",
                    where));
  }
  Handler handler(text, options, where);
  Json::sax_parse(text.begin(), text.end(), &handler);
  return handler.finish();
}

}  // namespace eplb::detail
