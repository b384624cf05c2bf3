// Per-run files, the run index and table assembly; see results.hpp.
#include "eplb/storage/results.hpp"

#include <fmt/core.h>

#include <charconv>
#include <map>

#include "eplb/error.hpp"
#include "eplb/running/runner.hpp"
#include "eplb/storage/atomic_file.hpp"
#include "eplb/storage/files.hpp"

namespace eplb {
namespace {

// Appends `table`'s rows to `into`, mapping columns by name and growing the header (union in
// first-appearance order).
void append_by_name(CsvTable& into, std::map<std::string, std::size_t>& positions,
                    const CsvTable& table) {
  std::vector<std::size_t> target(table.header.size());
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    auto [it, inserted] = positions.emplace(table.header[c], into.header.size());
    if (inserted) {
      into.header.push_back(table.header[c]);
      for (auto& row : into.rows) row.emplace_back();
    }
    target[c] = it->second;
  }
  for (const auto& row : table.rows) {
    std::vector<std::string> out(into.header.size());
    for (std::size_t c = 0; c < row.size(); ++c) out[target[c]] = row[c];
    into.rows.push_back(std::move(out));
  }
}

}  // namespace

std::filesystem::path ResultStore::run_file(const std::string& run_id) const {
  return runs_dir() / (run_id + ".csv");
}

std::filesystem::path ResultStore::layers_file(const std::string& run_id) const {
  return runs_dir() / (run_id + ".layers.csv");
}

bool ResultStore::finished(const Run& run, bool per_layer) const {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(run_file(run.id), ec)) return false;
  if (per_layer && !std::filesystem::is_regular_file(layers_file(run.id), ec)) return false;
  // Files are written atomically, so this fails only for a file edited by hand or from another
  // identity with a colliding hash: redo the run rather than trust it.
  try {
    const CsvTable table = read_csv(run_file(run.id));
    const int id = table.column("run_id", run_file(run.id).string());
    if (table.rows.size() != run.steps.size()) return false;
    for (const auto& row : table.rows) {
      if (row[static_cast<std::size_t>(id)] != run.id) return false;
    }
    const int strategy = table.column("strategy", run_file(run.id).string());
    return table.rows.empty() ||
           run.identity.find("strategy=" + table.rows[0][static_cast<std::size_t>(strategy)] +
                             "\n") == 0;
  } catch (const InputError&) {
    return false;
  }
}

void ResultStore::save(const Run& run, const RunOutput& output, bool per_layer) const {
  if (per_layer) write_file_atomic(layers_file(run.id), to_csv(output.layers));
  write_file_atomic(run_file(run.id), to_csv(output.rows));
}

CsvTable run_index(const Expansion& expansion) {
  CsvTable index;
  index.header = {"run",    "run_id", "strategy", "workload", "score_workload", "replicas",
                  "groups", "nodes",  "gpus",     "protocol", "steps"};
  for (const Run& run : expansion.runs) {
    const Topology& t = run.topology;
    index.rows.push_back({std::to_string(run.index), run.id,
                          expansion.strategies[static_cast<std::size_t>(run.strategy)].spec,
                          expansion.workloads[static_cast<std::size_t>(run.workload)].spec,
                          expansion.workloads[static_cast<std::size_t>(run.score_workload)].spec,
                          std::to_string(t.num_replicas), std::to_string(t.num_groups),
                          std::to_string(t.num_nodes), std::to_string(t.num_gpus),
                          run.protocol_label(), std::to_string(run.steps.size())});
  }
  return index;
}

Assembled assemble_results(const std::vector<std::filesystem::path>& dirs, const CsvTable& index,
                           const Shard& shard, bool per_layer) {
  const int run_col = index.column("run", "index.csv");
  const int id_col = index.column("run_id", "index.csv");
  Assembled out;
  std::map<std::string, std::size_t> result_positions, layer_positions;
  for (const auto& entry : index.rows) {
    const std::string& run_text = entry[static_cast<std::size_t>(run_col)];
    const std::string& id = entry[static_cast<std::size_t>(id_col)];
    int run = 0;
    const auto parsed = std::from_chars(run_text.data(), run_text.data() + run_text.size(), run);
    if (parsed.ec != std::errc() || parsed.ptr != run_text.data() + run_text.size() || run < 0) {
      throw InputError(
          fmt::format("index.csv: run number '{}' is not a non-negative integer; the "
                      "file is damaged (rerun the plan to rewrite it)",
                      printable(run_text)));
    }
    if (run % shard.count != shard.index) continue;
    ++out.runs_expected;
    bool found = false;
    for (const auto& dir : dirs) {
      const ResultStore store(dir);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(store.run_file(id), ec)) continue;
      CsvTable rows = read_csv(store.run_file(id));
      // Older files of the same identity may carry another run number (the plan was edited):
      // the current index decides.
      const int rc = rows.column("run", store.run_file(id).string());
      for (auto& row : rows.rows) row[static_cast<std::size_t>(rc)] = run_text;
      append_by_name(out.results, result_positions, rows);
      if (per_layer && std::filesystem::is_regular_file(store.layers_file(id), ec)) {
        CsvTable layers = read_csv(store.layers_file(id));
        const int lc = layers.column("run", store.layers_file(id).string());
        for (auto& row : layers.rows) row[static_cast<std::size_t>(lc)] = run_text;
        append_by_name(out.layers, layer_positions, layers);
      }
      found = true;
      break;
    }
    if (found) {
      ++out.runs_found;
    } else {
      out.missing.push_back(id);
    }
  }
  if (out.results.header.empty()) {
    out.results.header = result_columns();
  }
  return out;
}

}  // namespace eplb
