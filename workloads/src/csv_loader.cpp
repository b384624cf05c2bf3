// The CSV loaders: the wide format (`layer,e0,...`, optionally with model, dataset and step key
// columns) and HarMoEny's long format (`,dataset,iteration,layer_idx,0,...`). Both are the same
// shape of table, key columns then one column per expert, so one reader serves both; the dialect
// only decides which key column names are valid.
//
// Rows may come in any order (HarMoEny lists all iterations of layer 0 first): matrices are built
// by sorting rows on (step, layer id). Every step must hold the same layer ids, each once.
// Limits: no quoted fields (none of the supported writers needs them); the whole file is held in
// memory, which is fine for the table sizes these formats are used for.
#include <fmt/core.h>

#include <algorithm>
#include <numeric>

#include "eplb/error.hpp"
#include "loader_common.hpp"

namespace eplb::detail {
namespace {

enum class Role { kIgnore, kModel, kDataset, kStep, kLayer };

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits `line` on ',' into `fields` (reused, so a large file does not allocate per line).
void split(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(trim(line.substr(start)));
      return;
    }
    fields.push_back(trim(line.substr(start, comma - start)));
    start = comma + 1;
  }
}

class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  // Next line without its '\n' / "\r\n"; false at the end.
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  long long number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  long long number_ = 0;
};

// Expert k's column is named "e<k>" or "<k>".
bool is_expert_name(std::string_view name, long long k) {
  if (!name.empty() && name.front() == 'e') name.remove_prefix(1);
  return name == std::to_string(k);
}

struct Dialect {
  bool harmoeny = false;

  std::optional<Role> role(std::string_view name, std::size_t column) const {
    if (harmoeny) {
      if (name.empty() && column == 0) return Role::kIgnore;  // the pandas row index
      if (name == "dataset") return Role::kDataset;
      if (name == "iteration") return Role::kStep;
      if (name == "layer_idx") return Role::kLayer;
      return std::nullopt;
    }
    if (name == "model") return Role::kModel;
    if (name == "dataset") return Role::kDataset;
    if (name == "step") return Role::kStep;
    if (name == "layer") return Role::kLayer;
    return std::nullopt;
  }

  const char* expected_header() const {
    return harmoeny ? "',dataset,iteration,layer_idx,0,1,...' (HarMoEny)"
                    : "'[model,][dataset,][step,]layer,e0,e1,...' (wide CSV)";
  }
};

struct Row {
  int model = -1;
  int dataset = -1;
  long long step = 0;
  long long layer = 0;
  long long line = 0;
  std::size_t offset = 0;  // into the flat value array
};

int intern(std::vector<std::string>& values, std::string_view v) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == v) return static_cast<int>(i);
  }
  values.emplace_back(v);
  return static_cast<int>(values.size() - 1);
}

std::string join_quoted(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) {
    out += fmt::format("{}'{}'", out.empty() ? "" : ", ", printable(v));
  }
  return out;
}

constexpr int kNoColumn = -1;
constexpr int kAutoPick = -2;

// The index in `seen` of an explicit filter value, kNoColumn when the file lacks the column, or
// kAutoPick for "auto".
int explicit_pick(std::string_view where, const char* key, bool has_column,
                  const std::string& filter, const std::vector<std::string>& seen) {
  if (!has_column) {
    if (filter != "auto") {
      throw InputError(fmt::format("{}: {}={} was given, but the file has no '{}' column", where,
                                   key, filter, key));
    }
    return kNoColumn;
  }
  if (filter == "auto") return kAutoPick;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i] == filter) return static_cast<int>(i);
  }
  throw InputError(fmt::format("{}: no rows with {} '{}'; the file holds {}", where, key,
                               printable(filter), join_quoted(seen)));
}

// "auto": the one value of `field` among the rows whose `other` field is `other_value` (any row
// when the other filter is absent or also auto); several values are an error listing them.
int auto_pick(std::string_view where, const char* key, const std::vector<std::string>& seen,
              const std::vector<Row>& rows, int Row::*field, int Row::*other, int other_value) {
  std::vector<bool> present(seen.size(), false);
  for (const Row& r : rows) {
    if (other_value < 0 || r.*other == other_value)
      present[static_cast<std::size_t>(r.*field)] = true;
  }
  std::vector<std::string> candidates;
  int index = kNoColumn;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (!present[i]) continue;
    candidates.push_back(seen[i]);
    index = static_cast<int>(i);
  }
  if (candidates.size() == 1) return index;
  if (candidates.empty()) {
    throw InputError(fmt::format("{}: no rows match the other filter; the file holds {}s {}", where,
                                 key, join_quoted(seen)));
  }
  throw InputError(fmt::format(
      "{}: the file holds {} {}s ({}); choose one with {}=NAME, e.g. "
      "file:path={},{}={}",
      where, candidates.size(), key, join_quoted(candidates), key, where, key, candidates.front()));
}

}  // namespace

RawRecording parse_csv_recording(std::string_view text, const RecordingOptions& options,
                                 std::string_view where) {
  // Lines end at '\n' (an optional '\r' before it is dropped): a file whose lines end in a bare
  // '\r' would read as one line and be quoted whole in the first error.
  if (text.find('\n') == std::string_view::npos &&
      text.find('\r') < text.find_last_not_of(" \t\r")) {
    throw InputError(
        fmt::format("{}: lines end in a bare CR (\\r, classic Mac line endings); "
                    "convert them to LF, e.g. tr '\\r' '\\n' < {} > fixed.csv",
                    where, where));
  }
  Lines lines(text);
  std::string_view line;
  while (lines.next(line) && trim(line).empty()) {
  }
  const long long header_line = lines.number();
  std::vector<std::string_view> fields;
  split(line, fields);

  Dialect dialect;
  dialect.harmoeny = options.format == RecordedFormat::kHarmoeny ||
                     (options.format == RecordedFormat::kAuto &&
                      std::any_of(fields.begin(), fields.end(), [](std::string_view f) {
                        return f == "layer_idx" || f == "iteration";
                      }));

  std::vector<Role> roles;  // one per key column
  std::vector<std::string> names;
  std::size_t first_expert = 0;
  bool in_keys = true;
  for (std::size_t c = 0; c < fields.size(); ++c) {
    const std::string_view name = fields[c];
    names.emplace_back(name);
    if (name.find('"') != std::string_view::npos) {
      throw InputError(fmt::format("{}: line {}: quoted fields are not supported (column {})",
                                   where, header_line, c + 1));
    }
    if (in_keys) {
      if (const auto role = dialect.role(name, c)) {
        if (std::find(roles.begin(), roles.end(), *role) != roles.end()) {
          throw InputError(
              fmt::format("{}: line {}: column {} '{}' repeats a key column; expected a "
                          "header like {}",
                          where, header_line, c + 1, printable(name), dialect.expected_header()));
        }
        roles.push_back(*role);
        continue;
      }
      if (!is_expert_name(name, 0)) {
        const bool other_dialect = Dialect{!dialect.harmoeny}.role(name, c).has_value();
        throw InputError(fmt::format(
            "{}: line {}: unknown column {} '{}'; expected a header like {}{}", where, header_line,
            c + 1, printable(name), dialect.expected_header(),
            !other_dialect ? ""
            : dialect.harmoeny
                ? "; this looks like a wide CSV: use format=csv or format=auto"
                : "; this looks like a HarMoEny file: use format=harmoeny or format=auto"));
      }
      in_keys = false;
      first_expert = c;
    }
    const auto k = static_cast<long long>(c - first_expert);
    if (!is_expert_name(name, k)) {
      throw InputError(
          fmt::format("{}: line {}: column {} is '{}', expected 'e{}' or '{}': expert "
                      "columns are numbered 0, 1, ... in order",
                      where, header_line, c + 1, printable(name), k, k));
    }
  }
  if (in_keys) {
    throw InputError(
        fmt::format("{}: line {}: the header has no expert columns; expected a header like "
                    "{}",
                    where, header_line, dialect.expected_header()));
  }
  auto has = [&](Role r) { return std::find(roles.begin(), roles.end(), r) != roles.end(); };
  if (!has(Role::kLayer)) {
    throw InputError(fmt::format(
        "{}: line {}: the header has no '{}' column; expected a header like "
        "{}{}",
        where, header_line, dialect.harmoeny ? "layer_idx" : "layer", dialect.expected_header(),
        parse_number(fields.front()) ? " (this line looks like data: "
                                       "is the header missing?)"
                                     : ""));
  }
  if (dialect.harmoeny && !(has(Role::kDataset) && has(Role::kStep))) {
    throw InputError(
        fmt::format("{}: line {}: a HarMoEny header needs 'dataset', 'iteration' and "
                    "'layer_idx'; expected {}",
                    where, header_line, dialect.expected_header()));
  }

  const std::size_t num_columns = fields.size();
  const std::size_t num_experts = num_columns - first_expert;
  std::vector<std::string> models;
  std::vector<std::string> datasets;
  std::vector<Row> rows;
  std::vector<double> values;
  while (lines.next(line)) {
    if (trim(line).empty()) continue;
    const long long n = lines.number();
    if (line.find('"') != std::string_view::npos) {
      throw InputError(fmt::format("{}: line {}: quoted fields are not supported", where, n));
    }
    split(line, fields);
    if (fields.size() != num_columns) {
      throw InputError(
          fmt::format("{}: line {}: {} fields, but the header (line {}) has {}; every row "
                      "needs one value per column",
                      where, n, fields.size(), header_line, num_columns));
    }
    Row row;
    row.line = n;
    row.offset = values.size();
    for (std::size_t c = 0; c < first_expert; ++c) {
      const std::string_view f = fields[c];
      switch (roles[c]) {
        case Role::kIgnore:
          break;
        case Role::kModel:
          row.model = intern(models, f);
          break;
        case Role::kDataset:
          row.dataset = intern(datasets, f);
          break;
        case Role::kStep:
        case Role::kLayer: {
          const auto index = parse_index(f);
          if (!index) {
            throw InputError(
                fmt::format("{}: line {}: column '{}': '{}' is not a non-negative integer", where,
                            n, printable(names[c]), printable(f)));
          }
          (roles[c] == Role::kStep ? row.step : row.layer) = *index;
          break;
        }
      }
    }
    for (std::size_t c = first_expert; c < num_columns; ++c) {
      const std::string_view f = fields[c];
      const auto value = parse_number(f);
      if (!value) {
        throw InputError(fmt::format("{}: line {}: expert {} (column '{}'): '{}' is not a number",
                                     where, n, c - first_expert, printable(names[c]),
                                     printable(f)));
      }
      const char* problem = load_value_problem(*value);
      if (*problem != '\0') {
        throw InputError(
            fmt::format("{}: line {}: expert {} (column '{}'): '{}' {}; loads must be "
                        "finite and >= 0",
                        where, n, c - first_expert, printable(names[c]), printable(f), problem));
      }
      values.push_back(*value + 0.0);  // -0 becomes +0
    }
    rows.push_back(row);
  }
  if (rows.empty()) {
    throw InputError(
        fmt::format("{}: no data rows after the header (line {})", where, header_line));
  }

  int model = explicit_pick(where, "model", has(Role::kModel), options.model, models);
  int dataset = explicit_pick(where, "dataset", has(Role::kDataset), options.dataset, datasets);
  if (model == kAutoPick) {
    model = auto_pick(where, "model", models, rows, &Row::model, &Row::dataset, dataset);
  }
  if (dataset == kAutoPick) {
    dataset = auto_pick(where, "dataset", datasets, rows, &Row::dataset, &Row::model, model);
  }
  std::vector<Row> selected;
  for (const Row& r : rows) {
    if (r.model == model && r.dataset == dataset) selected.push_back(r);
  }
  std::stable_sort(selected.begin(), selected.end(), [](const Row& a, const Row& b) {
    return a.step != b.step ? a.step < b.step : a.layer < b.layer;
  });

  const bool has_step = has(Role::kStep);
  const char* step_name = dialect.harmoeny ? "iteration" : "step";
  RawRecording out;
  // Layer ids of the first step; every other step must list the same ones.
  for (const Row& r : selected) {
    if (r.step != selected.front().step) break;
    if (!out.layer_ids.empty() && out.layer_ids.back() == r.layer) continue;  // reported below
    out.layer_ids.push_back(r.layer);
  }
  const auto num_layers = static_cast<Eigen::Index>(out.layer_ids.size());
  StepCollector collector(options.window, std::string(where));
  std::vector<double> step_values;
  std::size_t i = 0;
  while (i < selected.size()) {
    const long long step = selected[i].step;
    std::size_t j = i;
    step_values.clear();
    for (; j < selected.size() && selected[j].step == step; ++j) {
      const Row& r = selected[j];
      if (j > i && selected[j - 1].layer == r.layer) {
        throw InputError(fmt::format(
            "{}: line {}: {}layer {} appears again (first on line {}); each "
            "layer appears once{}",
            where, r.line, has_step ? fmt::format("{} {}, ", step_name, step) : "", r.layer,
            selected[j - 1].line, has_step ? fmt::format(" per {}", step_name) : ""));
      }
      const std::size_t k = j - i;
      if (k >= out.layer_ids.size() || out.layer_ids[k] != r.layer) {
        throw InputError(
            fmt::format("{}: line {}: {} {} has layer {} where {} {} has {}; every {} needs the "
                        "same layers ({})",
                        where, r.line, step_name, step, r.layer, step_name, selected.front().step,
                        k < out.layer_ids.size() ? fmt::format("layer {}", out.layer_ids[k])
                                                 : std::string("no more layers"),
                        step_name, format_id_ranges(out.layer_ids)));
      }
      step_values.insert(step_values.end(), values.begin() + static_cast<std::ptrdiff_t>(r.offset),
                         values.begin() + static_cast<std::ptrdiff_t>(r.offset + num_experts));
    }
    if (j - i != out.layer_ids.size()) {
      throw InputError(fmt::format(
          "{}: line {}: {} {} has {} layer(s), but {} {} has {}; every {} needs the same layers "
          "({})",
          where, selected[i].line, step_name, step, j - i, step_name, selected.front().step,
          out.layer_ids.size(), step_name, format_id_ranges(out.layer_ids)));
    }
    collector.add(step_values.data(), num_layers, static_cast<Eigen::Index>(num_experts),
                  fmt::format("{} {} (line {})", step_name, step, selected[i].line));
    i = j;
  }
  out.format = dialect.harmoeny ? RecordedFormat::kHarmoeny : RecordedFormat::kCsv;
  const long long raw_steps = collector.raw_steps();
  out.steps = collector.finish(out.notes);
  std::string filter;
  if (model >= 0) filter += fmt::format(", model '{}'", models[static_cast<std::size_t>(model)]);
  if (dataset >= 0) {
    filter += fmt::format(", dataset '{}'", datasets[static_cast<std::size_t>(dataset)]);
  }
  out.what = fmt::format("{}{}: {} {}(s) of {} layers x {} experts",
                         dialect.harmoeny ? "HarMoEny long CSV" : "wide CSV", filter, raw_steps,
                         has_step ? step_name : "step", num_layers, num_experts);
  return out;
}

}  // namespace eplb::detail
