// ablation-<key>[-<metric>]: a metric against each swept parameter.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "eplb/spec.hpp"
#include "figure_kinds.hpp"

namespace eplb::figures {
namespace {

bool all_numeric(const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    char* end = nullptr;
    std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size()) return false;
  }
  return true;
}

// `spec` without parameter `key`: the strategies of one ablation curve share it.
std::string without_param(const std::string& spec, const std::string& key) {
  Spec parsed = parse_spec(spec);
  std::erase_if(parsed.params, [&](const SpecParam& p) { return p.key == key; });
  return parsed.to_string();
}

// Mean of group means: (x value, line) -> group -> values.
using Cells =
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<double>>>;
double weighted(const Cells& cells, const std::string& value, const std::string& line) {
  const auto it = cells.find({value, line});
  if (it == cells.end()) return std::nan("");
  double sum = 0.0;
  int n = 0;
  for (const auto& [group, v] : it->second) {
    const double m = stats_of(v).mean;
    if (std::isnan(m)) continue;
    sum += m;
    ++n;
  }
  return n > 0 ? sum / n : std::nan("");
}

// One figure of `metric` against `key` over `members`, the rows of one slice (topology x
// protocol): lines of different topologies would not be comparable, nor would one bound serve.
void one_metric(const Context& c, const std::string& key, const std::vector<std::size_t>& members,
                const std::string& metric, const std::string& name_suffix,
                std::vector<Figure>& out) {
  const auto& rows = c.view.rows();
  const std::size_t m = c.view.metric_index(metric);
  std::set<std::string> bases;
  for (std::size_t r : members) bases.insert(without_param(rows[r].strategy, key));
  const bool by_group = bases.size() == 1;
  const std::string all_line = "mean of groups";
  const std::string bound_line = "upper bound: balancedness_bound";
  const bool with_bound = metric == "balancedness" && c.bound_column >= 0;
  std::vector<std::string> values, lines;
  Cells cells;
  std::set<double> seen;
  for (std::size_t r : members) {
    const std::string value = c.view.strategy_param(r, key);
    const std::string group = rows[r].protocol == "cross" ? "cross" : rows[r].group;
    const std::string line =
        by_group ? c.labels.label(group) : without_param(rows[r].strategy, key);
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
    const double v = c.view.metric(r, m);
    seen.insert(v);
    cells[{value, line}][group + rows[r].topology].push_back(v);
    cells[{value, all_line}][group + rows[r].topology].push_back(v);
    if (with_bound && rows[r].ok) {
      cells[{value, bound_line}][group + rows[r].topology].push_back(
          c.view.number(r, c.bound_column));
    }
  }
  if (values.size() < 2) return;
  if (metric != "balancedness" && seen.size() < 2) return;  // nothing to see
  if (all_numeric(values)) {
    std::stable_sort(values.begin(), values.end(), [](const std::string& a, const std::string& b) {
      return std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr);
    });
  }
  if (lines.size() > kMaxSeries - 2) {
    c.notes.push_back(fmt::format("ablation of {}: {} lines, drew the first {}", key, lines.size(),
                                  kMaxSeries - 2));
    lines.resize(kMaxSeries - 2);
  }
  if (by_group && lines.size() > 1) lines.push_back(all_line);
  if (with_bound) lines.push_back(bound_line);
  Figure f;
  f.name = (metric == "balancedness" ? fmt::format("ablation-{}", slug(key))
                                     : fmt::format("ablation-{}-{}", slug(key), slug(metric))) +
           name_suffix;
  const std::size_t first = members.front();
  const std::string slice = rows[first].topology + " · " + rows[first].protocol;
  f.anchor = slice_anchor(rows[first].topology, rows[first].protocol);
  f.caption = fmt::format("{} against {}, {}", metric, key, slice);
  f.data = fmt::format("x\t{}", key);
  for (const std::string& l : lines) f.data += fmt::format("\t{}", tsv(l));
  f.data += "\n";
  double lo = INFINITY, hi = -INFINITY, bound_sum = 0.0;
  int bound_n = 0;
  for (std::size_t x = 0; x < values.size(); ++x) {
    f.data += fmt::format("{}\t{}", x, tsv(values[x]));
    for (const std::string& l : lines) {
      const double v = weighted(cells, values[x], l);
      f.data += fmt::format("\t{}", num(v));
      if (std::isnan(v)) continue;
      if (l == bound_line) {
        bound_sum += v;
        ++bound_n;
      } else {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    f.data += "\n";
  }
  std::size_t longest = 0;
  for (const std::string& l : lines) longest = std::max(longest, l.size());
  BoundDrawing drawn{bound_line, ""};
  if (with_bound && bound_n > 0) {
    drawn = bound_drawing(bound_line, bound_sum / bound_n, lo, hi);
    // The legend reads the data file's column header: say there where the bound went.
    if (drawn.title != bound_line) {
      f.data.replace(f.data.find(bound_line), bound_line.size(), tsv(drawn.title));
      longest = std::max(longest, drawn.title.size());
    }
  }
  // Legend on the right, one line per series: a key below the plot collides with the x label.
  f.width = 900 + static_cast<int>(std::min<std::size_t>(longest, 80)) * 6;
  f.height = std::max(600, 200 + 18 * static_cast<int>(lines.size()));
  const std::string ylabel = metric == "duplicate_replicas"
                                 ? "replicas sharing a GPU with a replica of the same expert (mean)"
                                 : metric + " (mean of workload-group means)";
  f.script =
      series_styles(lines.size()) +
      fmt::format(
          "set title {}\nset xlabel {}\nset ylabel {}\n"
          "set grid\nset key outside right top vertical font ',8'\n"
          "set xrange [-0.3:{}]\nset offsets 0, 0, graph 0.05, graph 0.05\n"
          "set autoscale yfix\n{}"
          "plot for [i=3:{}] DATA using 1:i:xticlabels(2) with linespoints ls (i-2) "
          "title columnheader(i)\n",
          gp_lines({fmt::format("{} against {} · {}", metric, key, slice),
                    fmt::format("{} lines: {}", lines.size(),
                                by_group ? "workload groups" : "strategies without " + key)}),
          gp_string(key), gp_string(ylabel), num(static_cast<double>(values.size()) - 0.7),
          drawn.yrange, 2 + lines.size());
  out.push_back(std::move(f));
}

}  // namespace

void ablation(const Context& c, std::vector<Figure>& out) {
  const auto& rows = c.view.rows();
  std::vector<std::string> keys;
  for (const auto& row : rows) {
    for (const std::string& k : split_keys(row.swept)) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  for (const std::string& key : keys) {
    // The key's rows per slice, in first-seen order; one figure per slice.
    std::vector<std::pair<std::string, std::vector<std::size_t>>> slices;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto swept = split_keys(rows[i].swept);
      if (std::find(swept.begin(), swept.end(), key) == swept.end()) continue;
      const std::string slice =
          fmt::format("-{}-{}", topology_slug(rows[i].topology), slug(rows[i].protocol));
      auto it = std::find_if(slices.begin(), slices.end(),
                             [&](const auto& s) { return s.first == slice; });
      if (it == slices.end()) it = slices.insert(slices.end(), {slice, {}});
      it->second.push_back(i);
    }
    const auto& names = c.view.metrics();
    for (const auto& [slice, members] : slices) {
      // `ablation-<key>` when the sweep has one slice (the usual case), else one per slice.
      const std::string suffix = slices.size() > 1 ? slice : std::string();
      one_metric(c, key, members, "balancedness", suffix, out);
      // Packers are what trade balance for co-location, so their ablations also plot duplicates.
      if (key.ends_with("_pack") &&
          std::find(names.begin(), names.end(), "duplicate_replicas") != names.end()) {
        one_metric(c, key, members, "duplicate_replicas", suffix, out);
      }
    }
  }
}

}  // namespace eplb::figures
