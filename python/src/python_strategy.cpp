// The `python` strategy family (see python_strategy.hpp): one embedded interpreter per process on
// a thread of its own, one imported module per strategy object.
#include "eplb/python_strategy.hpp"

#include <fmt/format.h>
#include <pybind11/embed.h>
#include <pybind11/numpy.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/validator.hpp"

namespace py = pybind11;

#if defined(__SANITIZE_ADDRESS__)
// The interpreter is never finalised (numpy cannot be re-initialised, and its thread is never
// joined), so at exit CPython's objects (and OpenSSL's, which hashlib loads) are reachable only
// through their own arenas. Leak reports from them would bury real ones in our code.
extern "C" const char* __lsan_default_suppressions() {  // NOLINT(bugprone-reserved-identifier)
  return "leak:libpython\nleak:_multiarray_umath\nleak:/usr/lib/python3\nleak:libcrypto.so\n";
}
#endif

namespace eplb {
namespace {

// Every Python call runs on this one thread, which starts the interpreter on first use (so
// `eplb list` never does) and holds its lock for the life of the process. Callers on any thread
// hand it a job and wait: that is the serialisation the GIL would impose anyway, without
// creating and deleting a Python thread state per call from the runner's worker threads (which
// crashed in _PyThreadState_DeleteCurrent with --jobs 2 under pybind11 2.10 / CPython 3.11).
// Debian's interpreter is named explicitly: with the program name left to a PATH lookup, a
// pyenv or venv python3 earlier on PATH would set sys.prefix and hide apt's numpy.
class PythonThread {
 public:
  // Never destroyed: the thread may be blocked waiting for work when the process exits.
  static PythonThread& instance() {
    static PythonThread* const thread = new PythonThread();
    return *thread;
  }

  // Runs `job` on the Python thread and rethrows what it threw.
  void run(const std::function<void()>& job) {
    const std::lock_guard<std::mutex> one_call(call_mutex_);
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = &job;
    wake_.notify_all();
    wake_.wait(lock, [this] { return job_ == nullptr; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  PythonThread() {
    std::thread([this] { loop(); }).detach();
  }

  static void start_interpreter() {
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.isolated = 0;
    config.use_environment = 1;          // PYTHONPATH reaches the user's imports
    config.install_signal_handlers = 0;  // SIGINT/SIGTERM stay the harness's
    const PyStatus status =
        PyConfig_SetBytesString(&config, &config.program_name, EPLB_PYTHON_EXECUTABLE);
    if (PyStatus_Exception(status) != 0) {
      PyConfig_Clear(&config);
      throw Error("python strategy: cannot configure the embedded interpreter");
    }
    py::initialize_interpreter(&config, 0, nullptr, false);
  }

  void loop() {
    std::exception_ptr start_error;
    PyThreadState* state = nullptr;
    try {
      start_interpreter();
      // Between jobs the lock is free, so threads a user's module started keep running.
      state = PyEval_SaveThread();
    } catch (...) {
      start_error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return job_ != nullptr; });
      if (state != nullptr) PyEval_RestoreThread(state);
      try {
        if (start_error) std::rethrow_exception(start_error);
        (*job_)();
      } catch (const py::error_already_set& e) {
        // Its destructor needs the interpreter lock: never let one reach another thread.
        error_ = std::make_exception_ptr(Error(e.what()));
      } catch (...) {
        error_ = std::current_exception();
      }
      if (state != nullptr) state = PyEval_SaveThread();
      job_ = nullptr;
      wake_.notify_all();
    }
  }

  std::mutex call_mutex_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  const std::function<void()>* job_ = nullptr;
  std::exception_ptr error_;
};

std::string describe_python_error(const py::error_already_set& e) {
  std::string text = fmt::format("{}: {}", py::str(e.type().attr("__name__")).cast<std::string>(),
                                 py::str(e.value()).cast<std::string>());
  if (e.trace()) {
    const py::list frames = py::module_::import("traceback").attr("extract_tb")(e.trace());
    if (!frames.empty()) {
      const py::object last = frames[frames.size() - 1];
      text += fmt::format(" (at {}:{})", py::str(last.attr("filename")).cast<std::string>(),
                          last.attr("lineno").cast<long>());
    }
  }
  return text;
}

std::string shape_text(const std::vector<py::ssize_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  }
  return out + (shape.size() == 1 ? ",)" : ")");
}

// One returned array: its shape and its values as int32, whatever the array-like was (numpy,
// torch, nested lists). Float arrays are accepted when every value is a whole number.
struct IntArray {
  std::vector<py::ssize_t> shape;
  std::vector<std::int32_t> values;
};

IntArray integer_array(const py::object& value, const std::string& name,
                       const std::vector<py::ssize_t>& expected, const std::string& who) {
  const py::module_ np = py::module_::import("numpy");
  const py::array arr = np.attr("asarray")(value);
  IntArray out;
  out.shape.assign(arr.shape(), arr.shape() + arr.ndim());
  bool fits = out.shape.size() == expected.size();
  for (std::size_t i = 0; fits && i < expected.size(); ++i) {
    fits = expected[i] < 0 ? out.shape[i] > 0 : out.shape[i] == expected[i];
  }
  if (!fits) {
    std::vector<std::string> dims;
    for (py::ssize_t d : expected) dims.push_back(d < 0 ? "K" : std::to_string(d));
    throw Error(fmt::format("{} returned {} of shape {}, expected ({})", who, name,
                            shape_text(out.shape), fmt::join(dims, ", ")));
  }
  const char kind = arr.dtype().kind();
  if (kind != 'i' && kind != 'u' && kind != 'f' && kind != 'b') {
    throw Error(fmt::format("{} returned {} with dtype {}, expected integers", who, name,
                            py::str(arr.dtype()).cast<std::string>()));
  }
  using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
  const Doubles doubles = Doubles::ensure(arr);
  if (!doubles) {
    PyErr_Clear();
    throw Error(fmt::format("{} returned {} that numpy cannot convert to numbers", who, name));
  }
  const double* data = doubles.data();
  out.values.resize(static_cast<std::size_t>(doubles.size()));
  for (std::size_t i = 0; i < out.values.size(); ++i) {
    const double v = data[i];
    if (!std::isfinite(v) || v != std::floor(v) ||
        std::fabs(v) > static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
      throw Error(
          fmt::format("{} returned a non-integer value {} in {} (flat index {})", who, v, name, i));
    }
    out.values[i] = static_cast<std::int32_t>(v);
  }
  return out;
}

// log2phy must list each expert's slots (any order) followed by -1 padding, as eplb.py's does.
void check_log2phy(const IntArray& log2phy, const Placement& placement, const std::string& who) {
  const auto layers = log2phy.shape[0];
  const auto experts = log2phy.shape[1];
  const auto width = log2phy.shape[2];
  for (py::ssize_t l = 0; l < layers; ++l) {
    for (py::ssize_t e = 0; e < experts; ++e) {
      const auto count = placement.logcnt(l, e);
      for (py::ssize_t k = 0; k < width; ++k) {
        const std::int32_t slot =
            log2phy.values[static_cast<std::size_t>((l * experts + e) * width + k)];
        const bool ok = k < count ? slot >= 0 && slot < placement.phy2log.cols() &&
                                        placement.phy2log(l, slot) == e
                                  : slot == -1;
        if (!ok) {
          throw Error(fmt::format(
              "{} returned a log2phy inconsistent with phy2log: log2phy[{}][{}][{}] = {}, but "
              "expert {} has {} replica(s) and entries past them must be -1",
              who, l, e, k, slot, e, count));
        }
      }
    }
  }
  // Entries are in range and point at the expert; distinct entries then cover all its slots.
  for (py::ssize_t l = 0; l < layers; ++l) {
    std::vector<char> seen(static_cast<std::size_t>(placement.phy2log.cols()), 0);
    for (py::ssize_t e = 0; e < experts; ++e) {
      for (py::ssize_t k = 0; k < placement.logcnt(l, e); ++k) {
        const auto slot = static_cast<std::size_t>(
            log2phy.values[static_cast<std::size_t>((l * experts + e) * width + k)]);
        if (seen[slot] != 0) {
          throw Error(
              fmt::format("{} returned a log2phy listing slot {} twice in layer {}", who, slot, l));
        }
        seen[slot] = 1;
      }
    }
  }
}

class PythonStrategy final : public Strategy {
 public:
  PythonStrategy(std::string file, std::string function, Policy policy, bool torch_input)
      : file_(std::move(file)),
        function_name_(std::move(function)),
        policy_(policy),
        torch_input_(torch_input) {}

  PythonStrategy(const PythonStrategy&) = delete;
  PythonStrategy& operator=(const PythonStrategy&) = delete;

  ~PythonStrategy() override {
    if (function_) PythonThread::instance().run([this] { function_ = py::object(); });
  }

  Placement plan(const LoadMatrix& load, const Topology& topology) const override {
    const Policy policy = topology.resolve(policy_);
    Placement placement;
    PythonThread::instance().run([&] { placement = plan_in_python(load, topology, policy); });
    return placement;
  }

 private:
  Placement plan_in_python(const LoadMatrix& load, const Topology& topology, Policy policy) const {
    const std::string who = fmt::format("{} in '{}'", function_name_, file_);
    try {
      const py::object& function = loaded_function();
      py::array_t<double> weight({load.rows(), load.cols()});
      std::memcpy(weight.mutable_data(), load.data(),
                  static_cast<std::size_t>(load.size()) * sizeof(double));
      py::object argument = weight;
      if (torch_input_) argument = py::module_::import("torch").attr("from_numpy")(weight);
      const py::object result = function(argument, topology.num_replicas, topology.num_groups,
                                         topology.num_nodes, topology.num_gpus);
      if (!py::isinstance<py::sequence>(result) || py::isinstance<py::str>(result) ||
          py::len(result) != 3) {
        throw Error(
            fmt::format("{} returned {}, expected a tuple (phy2log, log2phy, logcnt)", who,
                        py::str(py::type::of(result).attr("__name__")).cast<std::string>()));
      }
      const py::sequence parts = result;
      const py::ssize_t layers = load.rows();
      const py::ssize_t experts = load.cols();
      const IntArray phy2log =
          integer_array(parts[0], "phy2log", {layers, topology.num_replicas}, who);
      const IntArray log2phy = integer_array(parts[1], "log2phy", {layers, experts, -1}, who);
      const IntArray logcnt = integer_array(parts[2], "logcnt", {layers, experts}, who);

      Placement placement;
      placement.policy = policy;
      placement.phy2log =
          Eigen::Map<const IndexMatrix>(phy2log.values.data(), layers, topology.num_replicas);
      placement.logcnt = Eigen::Map<const IndexMatrix>(logcnt.values.data(), layers, experts);
      if (const auto violation = find_violation(placement, topology, static_cast<int>(layers),
                                                static_cast<int>(experts))) {
        throw Error(fmt::format("{} returned an invalid placement: {}", who, violation->message));
      }
      check_log2phy(log2phy, placement, who);
      return placement;
    } catch (const py::error_already_set& e) {
      throw Error(fmt::format("{}: {}", who, describe_python_error(e)));
    }
  }

  // Imports file_ once (on the Python thread, which alone touches function_). A failed import is
  // retried on the next call and fails the same way.
  const py::object& loaded_function() const {
    if (function_) return function_;
    if (!std::filesystem::is_regular_file(file_)) {
      throw Error(
          fmt::format("python strategy: file '{}' not found (relative paths start at the "
                      "working directory {})",
                      file_, std::filesystem::current_path().string()));
    }
    static std::atomic<int> counter{0};
    const std::string module_name = fmt::format("eplb_lab_strategy_{}", counter++);
    const py::module_ util = py::module_::import("importlib.util");
    py::object module;
    try {
      const py::object spec = util.attr("spec_from_file_location")(module_name, file_);
      if (spec.is_none()) {
        throw Error(fmt::format("python strategy: '{}' is not an importable Python file", file_));
      }
      module = util.attr("module_from_spec")(spec);
      // Registered before running it, as `import` does (dataclasses and pickling look it up).
      py::module_::import("sys").attr("modules")[py::str(module_name)] = module;
      spec.attr("loader").attr("exec_module")(module);
    } catch (const py::error_already_set& e) {
      throw Error(fmt::format("python strategy: importing '{}' failed: {}", file_,
                              describe_python_error(e)));
    }
    if (!py::hasattr(module, function_name_.c_str()) ||
        !py::isinstance<py::function>(module.attr(function_name_.c_str()))) {
      throw Error(fmt::format("python strategy: '{}' has no function '{}' (set function=NAME)",
                              file_, function_name_));
    }
    function_ = module.attr(function_name_.c_str());
    return function_;
  }

  std::string file_;
  std::string function_name_;
  Policy policy_;
  bool torch_input_;
  mutable py::object function_;
};

Policy policy_from(const std::string& text) {
  if (text == "hierarchical") return Policy::kHierarchical;
  if (text == "global") return Policy::kGlobal;
  return Policy::kAuto;
}

}  // namespace

Registry<Strategy>::Entry python_strategy_entry() {
  return {
      "python",
      "family",
      "eplb.py's rebalance_experts(weight, num_replicas, num_groups, num_nodes, num_gpus) from a "
      "Python file: python:file=PATH[,function=NAME,input=torch,policy=global] (timed "
      "with the Python call; the GIL serialises calls)",
      // String parameters cannot default to "" (the spec grammar has no empty values), so the
      // required file defaults to this marker, as the workload sources' paths do.
      {string_param("file", "required",
                    "the .py file holding the function (required; relative "
                    "to the working directory)"),
       string_param("function", "rebalance_experts", "the function to call"),
       choice_param("policy", "auto", {"auto", "hierarchical", "global"},
                    "placements accepted: hierarchical (group locality checked) iff groups % "
                    "nodes == 0 (auto), or as forced"),
       choice_param("input", "numpy", {"numpy", "torch"},
                    "type of `weight`: float64 numpy array or torch CPU tensor")},
      [](const ParamValues& v) -> std::unique_ptr<Strategy> {
        if (v.get_string("file") == "required") {
          throw InputError(
              "strategy 'python': set file=PATH to the .py file holding the function, e.g. "
              "python:file=my_eplb.py");
        }
        return std::make_unique<PythonStrategy>(v.get_string("file"), v.get_string("function"),
                                                policy_from(v.get_string("policy")),
                                                v.get_string("input") == "torch");
      }};
}

void register_python_strategy() {
  static std::once_flag once;
  std::call_once(once, [] { add_strategy_family(python_strategy_entry()); });
}

}  // namespace eplb
