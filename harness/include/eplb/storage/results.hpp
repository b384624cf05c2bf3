// The results store: one directory per sweep, one file per finished run, assembled tables.
//
// Layout (also in results/README.md):
//   <dir>/manifest.json          provenance (see manifest.hpp)
//   <dir>/index.csv              index of every run of the plan: run, run_id, specs, topology
//   <dir>/runs/<run_id>.csv      rows of one finished run (written once, atomically, never
//                                rewritten; its presence means the run is finished)
//   <dir>/runs/<run_id>.layers.csv   per-layer rows (per_layer only; written before the above)
//   <dir>/results.csv            the tidy table, assembled from runs/ in run order
//   <dir>/layers.csv             the per-layer table (per_layer only)
//   <dir>/summary.md, <dir>/plots/   derived from results.csv (and layers.csv)
// Run files are keyed by run id (a hash of the run's identity), so a re-run recognises finished
// runs even if the plan was reordered, and a changed default gives a new id instead of reusing
// stale numbers. Assembly takes only the runs of the current index: stale files are ignored.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eplb/storage/csv.hpp"
#include "eplb/plan_files/expand.hpp"

namespace eplb {

struct RunOutput;

class ResultStore {
 public:
  explicit ResultStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path runs_dir() const { return dir_ / "runs"; }
  std::filesystem::path run_file(const std::string& run_id) const;
  std::filesystem::path layers_file(const std::string& run_id) const;

  // True if the run's file exists, parses and belongs to this run (and, with per_layer, its
  // per-layer file exists too).
  bool finished(const Run& run, bool per_layer) const;
  // Writes the per-layer file (per_layer) and then the run file, each atomically.
  void save(const Run& run, const RunOutput& output, bool per_layer) const;

 private:
  std::filesystem::path dir_;
};

// index.csv: every run of the (unsharded) expansion.
CsvTable run_index(const Expansion& expansion);

struct Assembled {
  CsvTable results;
  CsvTable layers;  // empty header when no per-layer files were found
  int runs_expected = 0;
  int runs_found = 0;
  std::vector<std::string> missing;  // run ids (of the selected shard) without a file
};

// Joins the run files found in `dirs` (first hit wins) for the runs of `index` that `shard`
// selects, in run order. Columns are the union of the run files' columns in first-appearance
// order, so equal inputs always give byte-equal tables.
Assembled assemble_results(const std::vector<std::filesystem::path>& dirs, const CsvTable& index,
                           const Shard& shard, bool per_layer);

}  // namespace eplb
