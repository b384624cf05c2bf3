// _eplb_lab: the native half of the `eplb_lab` Python package (python/README.md). Every function
// goes through the same registry, validator and metrics as the `eplb` command, and bad input
// raises ValueError with the command's message (eplb::InputError), any other eplb::Error
// RuntimeError.
#include <fmt/core.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/metrics.hpp"
#include "eplb/storage/csv.hpp"
#include "eplb/parallel_plan.hpp"
#include "eplb/strategy.hpp"
#include "eplb/validator.hpp"
#include "eplb/workload.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace eplb {
namespace {

// `value` (numpy array, torch CPU tensor, nested lists) as a [layers x experts] load matrix.
LoadMatrix load_from(const py::object& value, const char* name) {
  const py::module_ np = py::module_::import("numpy");
  py::array_t<double, py::array::c_style | py::array::forcecast> arr;
  try {
    arr = np.attr("ascontiguousarray")(np.attr("asarray")(value), "dtype"_a = "float64");
  } catch (const py::error_already_set& e) {
    throw InputError(std::string(name) + ": cannot convert to a float64 array: " + e.what());
  }
  if (arr.ndim() != 2) {
    throw InputError(fmt::format("{}: expected a 2-D array [layers, experts], got {} dimension(s)",
                                 name, arr.ndim()));
  }
  LoadMatrix load(arr.shape(0), arr.shape(1));
  std::memcpy(load.data(), arr.data(), static_cast<std::size_t>(arr.size()) * sizeof(double));
  check_load_matrix(load, name);
  return load;
}

// An integer matrix [rows x cols]; rows/cols < 0 accept any size.
IndexMatrix index_from(const py::object& value, const char* name, Eigen::Index rows,
                       Eigen::Index cols) {
  const py::module_ np = py::module_::import("numpy");
  const py::array raw = np.attr("asarray")(value);
  const char kind = raw.dtype().kind();
  if (kind != 'i' && kind != 'u') {
    throw InputError(fmt::format("{}: expected an integer array, got dtype {}", name,
                                 py::str(raw.dtype()).cast<std::string>()));
  }
  const auto arr =
      py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(raw);
  if (arr.ndim() != 2 || (rows >= 0 && arr.shape(0) != rows) ||
      (cols >= 0 && arr.shape(1) != cols)) {
    throw InputError(fmt::format(
        "{}: expected shape [{}, {}], got {} dimension(s){}", name,
        rows < 0 ? "layers" : std::to_string(rows), cols < 0 ? "any" : std::to_string(cols),
        arr.ndim(),
        arr.ndim() == 2 ? fmt::format(" [{}, {}]", arr.shape(0), arr.shape(1)) : std::string()));
  }
  IndexMatrix out(arr.shape(0), arr.shape(1));
  const std::int64_t* data = arr.data();
  for (Eigen::Index i = 0; i < out.size(); ++i) {
    if (data[i] < std::numeric_limits<std::int32_t>::min() ||
        data[i] > std::numeric_limits<std::int32_t>::max()) {
      throw InputError(fmt::format("{}: value {} out of range", name, data[i]));
    }
    out.data()[i] = static_cast<std::int32_t>(data[i]);
  }
  return out;
}

py::array_t<std::int64_t> int64_array(const std::vector<py::ssize_t>& shape,
                                      const std::int32_t* values) {
  py::array_t<std::int64_t> out(shape);
  std::int64_t* dst = out.mutable_data();
  for (py::ssize_t i = 0; i < out.size(); ++i) dst[i] = values[i];
  return out;
}

Policy policy_from(const std::string& text) {
  if (text == "auto") return Policy::kAuto;
  if (text == "hierarchical") return Policy::kHierarchical;
  if (text == "global") return Policy::kGlobal;
  throw InputError("policy='" + text + "': expected auto, hierarchical or global");
}

py::tuple rebalance_experts(const py::object& weight, int num_replicas, int num_groups,
                            int num_nodes, int num_gpus, const std::string& strategy,
                            int threads) {
  const LoadMatrix load = load_from(weight, "weight");
  if (threads < 1 || threads > kMaxPlanThreads) {
    throw InputError(fmt::format("threads={} is out of range: use 1..{}", threads, kMaxPlanThreads));
  }
  const Topology topo{num_replicas, num_groups, num_nodes, num_gpus};
  topo.validate(static_cast<int>(load.cols()));
  const auto made = make_strategy(strategy);
  Placement placement;
  {
    // Planning is pure C++: other Python threads may run meanwhile.
    const py::gil_scoped_release release;
    placement = plan_layers(*made.product, load, topo, threads);
    require_valid(placement, topo, static_cast<int>(load.rows()), static_cast<int>(load.cols()),
                  made.canonical);
  }
  const Log2Phy l2p = placement.log2phy();
  return py::make_tuple(
      int64_array({load.rows(), num_replicas}, placement.phy2log.data()),
      int64_array({l2p.num_layers, l2p.num_experts, l2p.max_count}, l2p.data.data()),
      int64_array({load.rows(), load.cols()}, placement.logcnt.data()));
}

py::dict metrics(const py::object& weight, const py::object& phy2log_in,
                 const py::object& logcnt_in, int num_groups, int num_nodes, int num_gpus,
                 const std::string& policy) {
  const LoadMatrix load = load_from(weight, "weight");
  Placement placement;
  placement.phy2log = index_from(phy2log_in, "phy2log", load.rows(), -1);
  placement.logcnt = index_from(logcnt_in, "logcnt", load.rows(), load.cols());
  const Topology topo{static_cast<int>(placement.phy2log.cols()), num_groups, num_nodes, num_gpus};
  topo.validate(static_cast<int>(load.cols()));
  placement.policy = topo.resolve(policy_from(policy));
  if (const auto violation = find_violation(placement, topo, static_cast<int>(load.rows()),
                                            static_cast<int>(load.cols()))) {
    throw InputError("invalid placement: " + violation->message);
  }
  const Metrics m = compute_metrics(load, placement, topo);
  py::dict out;
  for (const MetricInfo& info : metric_infos()) out[info.name] = metric_value(m, info.name);
  out["worst_layer"] = m.worst_layer;
  py::list layers;
  for (const LayerMetrics& lm : m.layers) {
    py::dict layer;
    layer["mean_gpu_load"] = lm.mean_gpu_load;
    layer["max_gpu_load"] = lm.max_gpu_load;
    layer["balancedness"] = lm.balancedness;
    layers.append(layer);
  }
  out["layers"] = layers;
  return out;
}

py::list strategies() {
  py::list out;
  for (const auto& entry : strategy_registry().entries()) {
    py::list params;
    for (const ParamDesc& d : entry.params) {
      params.append(py::dict("key"_a = d.key, "type"_a = to_string(d.type),
                             "default"_a = d.default_value, "range"_a = d.range_text(),
                             "doc"_a = d.doc));
    }
    out.append(py::dict("name"_a = entry.name, "kind"_a = entry.kind, "doc"_a = entry.doc,
                        "params"_a = params));
  }
  return out;
}

py::dict load_workload(const std::string& spec_or_path) {
  const Workload w = make_workload(spec_or_path);
  py::list steps;
  for (const LoadMatrix& step : w.steps) {
    py::array_t<double> arr({step.rows(), step.cols()});
    std::memcpy(arr.mutable_data(), step.data(),
                static_cast<std::size_t>(step.size()) * sizeof(double));
    steps.append(arr);
  }
  return py::dict("spec"_a = w.spec, "description"_a = w.description, "provenance"_a = w.provenance,
                  "notes"_a = w.notes, "steps"_a = steps);
}

// results.csv of a results directory (or any result CSV file) as (header, rows of strings);
// eplb_lab.read_results types the columns and builds the DataFrame.
py::tuple read_results_table(const std::string& path) {
  std::filesystem::path file = path;
  if (std::filesystem::is_directory(file)) file /= "results.csv";
  const CsvTable table = read_csv(file);
  return py::make_tuple(table.header, table.rows);
}

}  // namespace
}  // namespace eplb

PYBIND11_MODULE(_eplb_lab, m) {
  m.doc() = "eplb-lab's strategies, validator, metrics and workloads (see python/README.md)";
  // ValueError for bad input (as the CLI's exit status 2), RuntimeError for anything else.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const eplb::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const eplb::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  m.def("rebalance_experts", &eplb::rebalance_experts, "weight"_a, "num_replicas"_a, "num_groups"_a,
        "num_nodes"_a, "num_gpus"_a, "strategy"_a = "deepseek", "threads"_a = 1,
        "Drop-in for eplb.py's rebalance_experts: (phy2log [L, R], log2phy [L, E, K] padded "
        "with -1, logcnt [L, E]) as int64 arrays, planned by `strategy` (an eplb spec) and "
        "validated; `threads` plans layers in parallel (same result). `weight` is any 2-D array-like [layers, experts] (numpy, torch CPU tensor).");
  m.def("metrics", &eplb::metrics, "weight"_a, "phy2log"_a, "logcnt"_a, "num_groups"_a,
        "num_nodes"_a, "num_gpus"_a, "policy"_a = "auto",
        "Every eplb-lab metric of a placement scored on `weight` [L, E] (dict; 'layers' holds "
        "the per-layer loads). The placement is validated first; policy='auto' checks group "
        "locality iff num_groups % num_nodes == 0, as eplb.py plans.");
  m.def("strategies", &eplb::strategies,
        "The registered strategies: name, kind, doc and parameters (as `eplb list`).");
  m.def("load_workload", &eplb::load_workload, "spec_or_path"_a,
        "A workload spec (`eplb workloads`) or a recorded file: dict with spec, description, "
        "provenance, notes and steps (float64 arrays [layers, experts]).");
  m.def("_read_results_table", &eplb::read_results_table, "path"_a);
}
