// run / merge / report orchestration and manifest.json; see experiment.hpp.
#include "eplb/running/experiment.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "eplb/error.hpp"
#include "eplb/kernel_isa.hpp"
#include "eplb/reporting/report.hpp"
#include "eplb/reporting/summary.hpp"
#include "eplb/storage/atomic_file.hpp"
#include "eplb/storage/dir_lock.hpp"
#include "eplb/storage/files.hpp"
#include "eplb/storage/manifest.hpp"
#include "eplb/storage/results.hpp"
#include "eplb/strategy.hpp"

namespace eplb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSchema = "eplb-results/1";

template <class... Args>
void say(std::FILE* stream, fmt::format_string<Args...> format, Args&&... args) {
  if (stream != nullptr) fmt::print(stream, format, std::forward<Args>(args)...);
}

std::string build_warning() {
  const Provenance& p = provenance();
  if (is_release_build() && !p.sanitizers) return {};
  return fmt::format(
      "this eplb binary is a {} build{}: plan times are not representative (use a Release "
      "build, e.g. cmake --preset release)",
      p.build_type.empty() ? "non-Release" : p.build_type, p.sanitizers ? " with sanitizers" : "");
}

json provenance_json() {
  const Provenance& p = provenance();
  json libraries = json::object();
  for (const auto& [name, version] : p.libraries) libraries[name] = version;
  json j = {{"git",
             {{"sha", p.git_sha},
              {"dirty", p.git_dirty ? json(*p.git_dirty) : json(nullptr)},
              {"source_dir", EPLB_SOURCE_DIR}}},
            {"build",
             {{"type", p.build_type},
              {"compiler", p.compiler},
              {"sanitizers", p.sanitizers},
              {"sanitizer_flags", p.sanitizer_flags},
              {"identity", build_identity(p)}}},
            // The kernels' instruction set: the same placements either way, not the same times.
            {"host",
             {{"cpu", p.cpu},
              {"cores", p.cores},
              {"hostname", p.hostname},
              {"os", p.os},
              {"kernel_isa", std::string(to_string(kernel_isa()))}}},
            {"libraries", libraries}};
  return j;
}

json read_manifest(const fs::path& dir) {
  const fs::path path = dir / "manifest.json";
  const std::string text = read_text_file(path);
  try {
    json j = json::parse(text);
    if (!j.is_object() || j.value("schema_version", "") != kSchema) {
      throw InputError(fmt::format("{}: not an eplb results manifest (schema_version {} expected)",
                                   path.string(), kSchema));
    }
    return j;
  } catch (const json::exception& e) {
    throw InputError(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
}

std::optional<json> try_read_manifest(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "manifest.json", ec)) return std::nullopt;
  return read_manifest(dir);
}

void write_manifest(const fs::path& dir, const json& manifest) {
  write_file_atomic(dir / "manifest.json", manifest.dump(2) + "\n");
}

std::string plan_fingerprint(const json& manifest) {
  return manifest.contains("plan") ? manifest["plan"].value("fingerprint", "") : "";
}

// The identity of the binary that wrote a manifest ("" for manifests older than the field).
std::string manifest_build(const json& manifest) {
  return manifest.value("build_identity", std::string());
}

// True if `inner` is `outer` or lies inside it (both made absolute and normal first).
bool inside(const fs::path& inner, const fs::path& outer) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(fs::absolute(inner), ec);
  const fs::path b = fs::weakly_canonical(fs::absolute(outer), ec);
  auto ai = a.begin();
  for (auto bi = b.begin(); bi != b.end(); ++bi, ++ai) {
    if (bi->empty()) continue;  // a trailing separator
    if (ai == a.end() || *ai != *bi) return false;
  }
  return true;
}

// A directory that is neither missing, nor empty, nor an eplb results directory: writing into it
// would mix our files with someone else's.
bool foreign_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::is_regular_file(dir / "manifest.json", ec)) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename() != ".lock") return true;
  }
  return false;
}

// The most recent directory under results/<plan>/ with this tree tag, shard and plan text.
std::optional<fs::path> resumable_dir(const fs::path& root, const std::string& suffix,
                                      const std::string& fingerprint) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return std::nullopt;
  std::vector<fs::path> candidates;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    // <timestamp>-<suffix>, optionally followed by -<n> when two runs started in one second
    const std::size_t at = name.find("-" + suffix);
    if (at == std::string::npos) continue;
    const std::string rest = name.substr(at + 1 + suffix.size());
    if (!rest.empty() &&
        (rest[0] != '-' || rest.find_first_not_of("0123456789", 1) != std::string::npos))
      continue;
    try {
      const auto manifest = try_read_manifest(entry.path());
      if (manifest && plan_fingerprint(*manifest) == fingerprint &&
          manifest_build(*manifest) == build_identity(provenance()))
        candidates.push_back(entry.path());
    } catch (const InputError&) {
      // not ours to resume
    }
  }
  if (candidates.empty()) return std::nullopt;
  return *std::max_element(candidates.begin(), candidates.end());
}

struct Finalized {
  int runs_expected = 0;
  int runs_found = 0;
  std::string summary;
  std::vector<fs::path> plots;
  std::vector<std::string> warnings;
};

Finalized finalize(const fs::path& dir, const std::vector<fs::path>& run_dirs,
                   const CsvTable& index, const Shard& shard, const SummaryOptions& summary_options,
                   bool plots) {
  Finalized f;
  const Assembled assembled = assemble_results(run_dirs, index, shard, true);
  f.runs_expected = assembled.runs_expected;
  f.runs_found = assembled.runs_found;
  write_file_atomic(dir / "results.csv", to_csv(assembled.results));
  if (!assembled.layers.header.empty()) {
    write_file_atomic(dir / "layers.csv", to_csv(assembled.layers));
  }
  SummaryOptions options = summary_options;
  if (!assembled.missing.empty()) {
    options.footer = fmt::format(
        "\n**Incomplete**: {} of {} runs have no result yet (re-run the same command to resume).\n",
        assembled.missing.size(), assembled.runs_expected);
  }
  ReportFiles report = write_report(dir, assembled.results, assembled.layers, options, plots);
  f.summary = std::move(report.summary);
  f.plots = std::move(report.images);
  f.warnings = std::move(report.warnings);
  return f;
}

void print_outcome(std::FILE* out, std::FILE* log, const fs::path& dir, const Finalized& f) {
  say(out, "{}\n", f.summary);
  say(out, "results: {}\n", (dir / "results.csv").string());
  say(out, "summary: {}\n", (dir / "summary.md").string());
  if (!f.plots.empty()) {
    say(out, "plots:\n");
    for (const fs::path& p : f.plots) say(out, "  {}\n", p.string());
  }
  for (const std::string& w : f.warnings) say(log, "warning: {}\n", w);
}

Outcome outcome_of(const fs::path& dir, const Finalized& f) {
  Outcome outcome;
  outcome.dir = dir;
  outcome.runs_expected = f.runs_expected;
  outcome.runs_found = f.runs_found;
  outcome.summary = f.summary;
  outcome.plots = f.plots;
  outcome.warnings = f.warnings;
  return outcome;
}

bool same_table(const CsvTable& a, const CsvTable& b) {
  return a.header == b.header && a.rows == b.rows;
}

}  // namespace

Outcome run_plan(const Plan& plan, const RunConfig& config, const WorkloadLoader& loader) {
  say(config.log_stream, "eplb run: {}{}\n", plan.path.string(),
      plan.description.empty() ? "" : " — " + plan.description);
  const Expansion expansion = expand_plan(plan, loader);
  for (const std::string& note : expansion.notes) say(config.log_stream, "note: {}\n", note);
  const bool per_layer = config.per_layer || plan.per_layer;
  EvalOptions eval;
  eval.warmup = plan.warmup;
  eval.repeats = config.repeats.value_or(plan.repeats);
  eval.plan_threads = config.plan_threads.value_or(plan.plan_threads);
  eval.per_layer = per_layer;
  const long calls = expansion.rows() * (1 + (eval.repeats > 0 ? eval.warmup + eval.repeats : 0));
  say(config.out_stream, "{}: {} ({} plan calls)\n", plan.name, expansion.describe(), calls);
  if (config.out_stream != nullptr) std::fflush(config.out_stream);

  const long guard = config.max_runs.value_or(plan.max_runs);
  if (static_cast<long>(expansion.runs.size()) > guard) {
    throw InputError(
        fmt::format("{}: {} runs exceed the guard of {} runs. If this is intended, raise it with "
                    "--max-runs {} or \"guard\": {{\"max_runs\": {}}} in the plan",
                    plan.path.string(), expansion.runs.size(), guard, expansion.runs.size(),
                    expansion.runs.size()));
  }
  if (expansion.runs.empty()) {
    throw InputError(fmt::format("{}: the plan expands to no runs", plan.path.string()));
  }
  std::vector<int> selected;
  for (const Run& run : expansion.runs) {
    if (config.shard.contains(run)) selected.push_back(run.index);
  }
  if (!config.shard.whole()) {
    say(config.out_stream, "shard {}: {} of {} runs\n", config.shard.to_string(), selected.size(),
        expansion.runs.size());
  }
  if (config.dry_run) {
    for (int i : selected) {
      const Run& run = expansion.runs[static_cast<std::size_t>(i)];
      say(config.out_stream, "{:>5}  {}  {}  {}  {}  {} steps  {}\n", run.index,
          expansion.strategies[static_cast<std::size_t>(run.strategy)].spec,
          run.workload == run.score_workload
              ? expansion.workloads[static_cast<std::size_t>(run.workload)].spec
              : expansion.workloads[static_cast<std::size_t>(run.workload)].spec + " -> " +
                    expansion.workloads[static_cast<std::size_t>(run.score_workload)].spec,
          run.topology.to_string(), run.protocol_label(), run.steps.size(), run.id);
    }
    Outcome outcome;
    outcome.runs_expected = static_cast<int>(selected.size());
    return outcome;
  }

  const std::string warning = build_warning();
  if (!warning.empty()) say(config.log_stream, "warning: {}\n", warning);

  // Results directory.
  const Provenance& prov = provenance();
  const std::string fingerprint_text = fingerprint(plan.text);
  std::string suffix = tree_tag(prov);
  if (!config.shard.whole()) {
    suffix += fmt::format("-shard{}of{}", config.shard.index, config.shard.count);
  }
  fs::path dir;
  bool resumed = false;
  if (config.out) {
    dir = *config.out;
  } else {
    const fs::path root = config.results_root / plan.name;
    if (!config.fresh) {
      if (auto existing = resumable_dir(root, suffix, fingerprint_text)) {
        dir = *existing;
        resumed = true;
      }
    }
    if (!resumed) {
      const std::string base = utc_now(true) + "-" + suffix;
      dir = root / base;
      for (int n = 2; fs::exists(dir); ++n) dir = root / fmt::format("{}-{}", base, n);
    }
  }
  if (foreign_directory(dir)) {
    throw InputError(
        fmt::format("--out {}: the directory holds files but no manifest.json, so it "
                    "is not an eplb results directory; give a new or empty directory",
                    dir.string()));
  }
  const DirectoryLock lock(dir, DirectoryLock::Mode::kExclusive, "run");
  const std::string identity = build_identity(prov);
  bool rebuilt = false;
  json manifest;
  if (auto previous = try_read_manifest(dir)) {
    manifest = *previous;
    const std::string other_plan =
        manifest.contains("plan") ? manifest["plan"].value("name", std::string()) : std::string();
    if (!other_plan.empty() && other_plan != plan.name) {
      throw InputError(fmt::format(
          "{} holds the results of plan '{}', not '{}'; give this plan its own --out (its "
          "results.csv, summary and manifest would be replaced)",
          dir.string(), other_plan, plan.name));
    }
    if (manifest_build(manifest) != identity) {
      if (!config.force) {
        throw InputError(fmt::format(
            "{} was written by another build ({}); this binary is {}. Resuming would mix plans "
            "and plan times of two builds: pass --force to redo every run here with this build, "
            "or give another --out",
            dir.string(), manifest_build(manifest).empty() ? "unknown" : manifest_build(manifest),
            identity));
      }
      rebuilt = true;
    }
    if (manifest.value("shard", "0/1") != config.shard.to_string()) {
      throw InputError(fmt::format("{} holds shard {} of its sweep, not {}; pass another --out",
                                   dir.string(), manifest.value("shard", "0/1"),
                                   config.shard.to_string()));
    }
    if (plan_fingerprint(manifest) != fingerprint_text) {
      say(config.log_stream,
          "note: the plan text changed since {} was written; finished runs whose identity is "
          "unchanged are kept, the others run now\n",
          dir.string());
    }
  } else {
    manifest = json{
        {"schema_version", kSchema}, {"created_at", utc_now(false)}, {"sessions", json::array()}};
  }
  make_directories(dir / "runs");
  remove_temp_files(dir);
  remove_temp_files(dir / "runs");
  if (rebuilt) {
    say(config.log_stream, "note: {} was written by another build; --force redoes every run\n",
        dir.string());
  }

  const ResultStore store(dir);
  int finished_before = 0;
  for (int i : selected) {
    finished_before +=
        store.finished(expansion.runs[static_cast<std::size_t>(i)], per_layer) ? 1 : 0;
  }
  say(config.log_stream, "results directory: {}{}\n", dir.string(),
      finished_before > 0
          ? fmt::format(" ({} {} of {} runs already finished{})",
                        resumed ? "resuming:" : "existing:", finished_before, selected.size(),
                        config.force ? "; --force redoes them" : "")
          : "");

  const std::string started = utc_now(false);
  json session = provenance_json();
  session["command_line"] = config.command_line;
  session["started_at"] = started;
  session["plan_fingerprint"] = fingerprint_text;
  session["options"] = {{"jobs", config.jobs},
                        {"force", config.force},
                        {"warmup", eval.warmup},
                        {"repeats", eval.repeats},
                        {"plan_threads", eval.plan_threads},
                        {"per_layer", per_layer},
                        {"shard", config.shard.to_string()}};
  manifest["plan"] = {{"name", plan.name},
                      {"path", plan.path.string()},
                      {"fingerprint", fingerprint_text},
                      {"description", plan.description},
                      {"text", plan.text}};
  manifest["shard"] = config.shard.to_string();
  manifest["command_line"] = config.command_line;
  manifest["build_identity"] = identity;
  const json current = provenance_json();
  for (const auto& [key, value] : current.items()) manifest[key] = value;
  if (!warning.empty()) {
    manifest["warning"] = warning;
  } else {
    manifest.erase("warning");
  }
  manifest["status"] = "running";
  manifest["sessions"].push_back(session);
  manifest["runs"] = {{"total", expansion.runs.size()},
                      {"selected", selected.size()},
                      {"rows", expansion.rows()},
                      {"finished", finished_before}};
  write_manifest(dir, manifest);
  const CsvTable index = run_index(expansion);
  write_file_atomic(dir / "index.csv", to_csv(index));

  ExecuteOptions exec;
  exec.jobs = config.jobs;
  exec.force = config.force;
  exec.progress = config.progress;
  exec.eval = eval;
  const ExecuteStats stats = execute_runs(expansion, selected, store, exec);

  SummaryOptions summary_options;
  summary_options.title = plan.name;
  summary_options.description = plan.description;
  summary_options.baseline = plan.baseline;
  summary_options.source = (dir / "results.csv").string();
  const Finalized f = finalize(dir, {dir}, index, config.shard, summary_options, config.plots);

  session["finished_at"] = utc_now(false);
  session["counts"] = {{"evaluated", stats.evaluated},
                       {"skipped", stats.skipped},
                       {"error_rows", stats.error_rows},
                       {"seconds", stats.seconds}};
  manifest["sessions"].back() = session;
  manifest["status"] = f.runs_found == f.runs_expected ? "complete" : "incomplete";
  manifest["runs"]["finished"] = f.runs_found;
  write_manifest(dir, manifest);

  say(config.log_stream, "evaluated {} runs, skipped {} finished, {} error rows, {:.1f} s\n",
      stats.evaluated, stats.skipped, stats.error_rows, stats.seconds);
  print_outcome(config.out_stream, config.log_stream, dir, f);

  Outcome outcome = outcome_of(dir, f);
  outcome.stats = stats;
  return outcome;
}

Outcome merge_results(const std::vector<fs::path>& shard_dirs, const fs::path& out,
                      const MergeConfig& config) {
  if (shard_dirs.empty()) throw InputError("eplb merge: no shard directories given");
  std::vector<json> manifests;
  std::vector<CsvTable> indexes;
  for (std::size_t i = 0; i < shard_dirs.size(); ++i) {
    const fs::path& dir = shard_dirs[i];
    if (inside(out, dir) || inside(dir, out)) {
      throw InputError(
          fmt::format("--out {} overlaps the shard directory {}; merge into a new "
                      "directory beside them",
                      out.string(), dir.string()));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (inside(dir, shard_dirs[j]) || inside(shard_dirs[j], dir)) {
        throw InputError(fmt::format(
            "shard directories {} and {} are the same or one holds the other; give each shard "
            "once",
            shard_dirs[j].string(), dir.string()));
      }
    }
    manifests.push_back(read_manifest(dir));
    indexes.push_back(read_csv(dir / "index.csv"));
  }
  std::vector<std::unique_ptr<DirectoryLock>> locks;
  for (const fs::path& dir : shard_dirs) {
    locks.push_back(std::make_unique<DirectoryLock>(dir, DirectoryLock::Mode::kShared, "merge"));
  }
  if (foreign_directory(out)) {
    throw InputError(
        fmt::format("--out {}: the directory holds files but no manifest.json; give "
                    "a new or empty directory",
                    out.string()));
  }
  locks.push_back(std::make_unique<DirectoryLock>(out, DirectoryLock::Mode::kExclusive, "merge"));
  for (std::size_t i = 1; i < shard_dirs.size(); ++i) {
    if (plan_fingerprint(manifests[i]) != plan_fingerprint(manifests[0]) ||
        !same_table(indexes[i], indexes[0])) {
      throw InputError(
          fmt::format("{} and {} are not shards of one sweep (their plan text or run index differ: "
                      "same plan file and same eplb build needed)",
                      shard_dirs[0].string(), shard_dirs[i].string()));
    }
    if (manifest_build(manifests[i]) != manifest_build(manifests[0])) {
      throw InputError(fmt::format(
          "{} and {} were written by different builds ({} and {}); their plan times are not "
          "comparable: rerun one shard with the other's build",
          shard_dirs[0].string(), shard_dirs[i].string(),
          manifest_build(manifests[0]).empty() ? "unknown" : manifest_build(manifests[0]),
          manifest_build(manifests[i]).empty() ? "unknown" : manifest_build(manifests[i])));
    }
  }
  if (auto existing = try_read_manifest(out)) {
    if (plan_fingerprint(*existing) != plan_fingerprint(manifests[0])) {
      throw InputError(fmt::format("{} holds results of another plan; merge into a new directory",
                                   out.string()));
    }
  }
  // Which shards are present; a missing one shows up as missing runs below.
  std::vector<std::string> shards;
  int count = 0;
  for (const json& m : manifests) {
    const std::string text = m.value("shard", "0/1");
    const Shard s = parse_shard(text, "manifest.json shard");
    if (count != 0 && s.count != count) {
      throw InputError(fmt::format("shards of different splits ({} and {}) cannot be merged",
                                   shards.front(), text));
    }
    if (std::find(shards.begin(), shards.end(), s.to_string()) != shards.end()) {
      throw InputError(
          fmt::format("two of the directories hold shard {}; give each shard once", s.to_string()));
    }
    count = s.count;
    shards.push_back(s.to_string());
  }

  make_directories(out / "runs");
  remove_temp_files(out);
  remove_temp_files(out / "runs");
  const CsvTable& index = indexes[0];
  const int id_col = index.column("run_id", "index.csv");
  int copied = 0;
  for (const auto& row : index.rows) {
    const std::string& id = row[static_cast<std::size_t>(id_col)];
    const ResultStore target(out);
    std::error_code ec;
    for (const fs::path& dir : shard_dirs) {
      const ResultStore source(dir);
      if (!fs::is_regular_file(source.run_file(id), ec)) continue;
      if (fs::is_regular_file(source.layers_file(id), ec)) {
        write_file_atomic(target.layers_file(id), read_text_file(source.layers_file(id)));
      }
      write_file_atomic(target.run_file(id), read_text_file(source.run_file(id)));
      ++copied;
      break;
    }
  }
  write_file_atomic(out / "index.csv", to_csv(index));

  json manifest = manifests[0];
  manifest["shard"] = "0/1";
  manifest["created_at"] = utc_now(false);
  manifest["command_line"] = config.command_line;
  json sources = json::array();
  json sessions = json::array();
  for (std::size_t i = 0; i < shard_dirs.size(); ++i) {
    sources.push_back({{"dir", fs::absolute(shard_dirs[i]).string()}, {"shard", shards[i]}});
    for (const json& s : manifests[i].value("sessions", json::array())) sessions.push_back(s);
  }
  manifest["merged_from"] = sources;
  manifest["sessions"] = sessions;
  manifest["merged_by"] = provenance_json();

  Plan plan;
  plan.baseline = "deepseek";
  try {
    plan = parse_plan(manifest["plan"].value("text", ""), manifest["plan"].value("path", "plan"));
  } catch (const InputError&) {
    // A plan text this binary no longer accepts: the default baseline still gives a summary.
  }
  SummaryOptions summary_options;
  summary_options.title = manifest["plan"].value("name", "results");
  summary_options.description = manifest["plan"].value("description", "");
  summary_options.baseline = plan.baseline;
  summary_options.source = (out / "results.csv").string();
  const Finalized f = finalize(out, {out}, index, Shard{}, summary_options, config.plots);
  manifest["status"] = f.runs_found == f.runs_expected ? "complete" : "incomplete";
  manifest["runs"] = {
      {"total", index.rows.size()}, {"selected", index.rows.size()}, {"finished", f.runs_found}};
  write_manifest(out, manifest);
  say(config.log_stream, "merged {} shard directories ({} of {} runs)\n", shard_dirs.size(), copied,
      index.rows.size());
  if (f.runs_found != f.runs_expected) {
    say(config.log_stream,
        "warning: {} runs are missing (shards present: {}/{}); merge again when "
        "the other shards finish\n",
        f.runs_expected - f.runs_found, shards.size(), count);
  }
  print_outcome(config.out_stream, config.log_stream, out, f);
  return outcome_of(out, f);
}

Outcome report_results(const fs::path& dir, const ReportConfig& config) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw InputError(fmt::format("{}: no such results directory", dir.string()));
  }
  const DirectoryLock lock(dir, DirectoryLock::Mode::kExclusive, "report");
  const auto manifest = try_read_manifest(dir);
  SummaryOptions options;
  options.title = dir.filename().string();
  options.source = (dir / "results.csv").string();
  Shard shard;
  if (manifest) {
    const json& p = (*manifest)["plan"];
    options.title = p.value("name", options.title);
    options.description = p.value("description", "");
    try {
      options.baseline = parse_plan(p.value("text", ""), p.value("path", "plan")).baseline;
    } catch (const InputError&) {
      // keep the default baseline
    }
    shard = parse_shard(manifest->value("shard", "0/1"), (dir / "manifest.json").string());
  }
  if (config.baseline) {
    try {
      options.baseline = strategy_registry().canonical(*config.baseline);
    } catch (const InputError& e) {
      throw InputError(fmt::format("--baseline {}: {}", printable(*config.baseline), e.what()));
    }
  }

  const bool have_csv = fs::is_regular_file(dir / "results.csv", ec);
  if (!have_csv && !fs::is_regular_file(dir / "index.csv", ec)) {
    throw InputError(fmt::format("{}: neither results.csv nor index.csv: not a results directory",
                                 dir.string()));
  }
  Finalized f;
  if (!have_csv) {
    say(config.log_stream,
        "note: {} has no results.csv (interrupted sweep); assembling it from runs/\n",
        dir.string());
    f = finalize(dir, {dir}, read_csv(dir / "index.csv"), shard, options, config.plots);
  } else {
    const CsvTable results = read_csv(dir / "results.csv");
    CsvTable layers;
    if (fs::is_regular_file(dir / "layers.csv", ec)) layers = read_csv(dir / "layers.csv");
    ReportFiles report = write_report(dir, results, layers, options, config.plots);
    f.summary = std::move(report.summary);
    f.plots = std::move(report.images);
    f.warnings = std::move(report.warnings);
  }
  print_outcome(config.out_stream, config.log_stream, dir, f);
  return outcome_of(dir, f);
}

}  // namespace eplb
