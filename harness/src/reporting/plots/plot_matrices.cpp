// Matrix figures: heatmap-<group>-<slice> (per layer), winrate-<slice>,
// cross-<baseline>-<topology>.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "figure_kinds.hpp"

namespace eplb::figures {

void heatmap(const Context& c, const CsvTable& layers, std::vector<Figure>& out) {
  if (layers.header.empty() || layers.rows.empty()) return;
  constexpr std::string_view where = "layers.csv";
  auto col = [&](const char* name) { return static_cast<std::size_t>(layers.column(name, where)); };
  const std::size_t strategy = col("strategy"), group = col("workload_group"), r = col("replicas"),
                    g = col("groups"), n = col("nodes"), p = col("gpus"),
                    protocol = col("protocol"), layer = col("layer"), bal = col("balancedness");
  struct Table {
    std::string group, topology, protocol;
    std::vector<std::string> strategies;
    int layers = 0;
    std::map<std::pair<std::string, int>, std::vector<double>> cells;
  };
  std::vector<Table> tables;
  std::map<std::string, std::size_t> index;
  for (const auto& row : layers.rows) {
    const bool cross = row[protocol] == "cross";
    Table key;
    key.group = cross ? "cross" : row[group];
    key.topology = fmt::format("R={},G={},N={},P={}", row[r], row[g], row[n], row[p]);
    key.protocol = row[protocol];
    auto [it, inserted] =
        index.emplace(key.group + "\n" + key.topology + "\n" + key.protocol, tables.size());
    if (inserted) tables.push_back(std::move(key));
    Table& t = tables[it->second];
    if (std::find(t.strategies.begin(), t.strategies.end(), row[strategy]) == t.strategies.end()) {
      t.strategies.push_back(row[strategy]);
    }
    const int l = std::atoi(row[layer].c_str());
    t.layers = std::max(t.layers, l + 1);
    t.cells[{row[strategy], l}].push_back(std::strtod(row[bal].c_str(), nullptr));
  }
  const std::size_t limit = 16;
  if (tables.size() > limit) {
    c.notes.push_back(fmt::format(
        "drew the per-layer heatmaps of the first {} of {} tables; layers.csv holds them all",
        limit, tables.size()));
  }
  for (std::size_t k = 0; k < std::min(limit, tables.size()); ++k) {
    const Table& t = tables[k];
    const std::string label = t.group == "cross" ? "cross" : c.labels.label(t.group);
    Figure f;
    f.name =
        fmt::format("heatmap-{}-{}-{}", slug(label), topology_slug(t.topology), slug(t.protocol));
    f.anchor = table_anchor(t.group, t.topology, t.protocol);
    f.caption = fmt::format("per-layer balancedness, {} · {} · {}", label, t.topology, t.protocol);
    // No header line: x is the layer index itself, so gnuplot can space the tics.
    for (const std::string& s : t.strategies) {
      f.data += tsv(s);
      for (int l = 0; l < t.layers; ++l) {
        auto it = t.cells.find({s, l});
        f.data += fmt::format("\t{}",
                              num(it == t.cells.end() ? std::nan("") : stats_of(it->second).mean));
      }
      f.data += "\n";
    }
    // Tall enough for the vertical colour-bar label beside a few rows.
    f.height = std::max(430, 140 + 30 * static_cast<int>(t.strategies.size()));
    f.width = std::max(900, 300 + 14 * t.layers);
    f.script = fmt::format(
        "set title {}\nset xlabel 'layer'\nset cblabel 'balancedness (mean over seeds and steps)'\n"
        "set yrange [] reverse\nset xrange [-0.5:{}]\nset xtics {} out\nset ytics font ',8'\n"
        "set palette defined (0 '#b2182b', 0.5 '#fddbc7', 1 '#2166ac')\n"
        "plot DATA matrix rowheaders using 1:2:3 with image notitle\n",
        gp_string(
            fmt::format("Per-layer balancedness · {} · {} · {}", label, t.topology, t.protocol)),
        t.layers - 0.5, t.layers > 20 ? 5 : 1);
    out.push_back(std::move(f));
  }
}

void winrate(const Context& c, std::vector<Figure>& out) {
  for (const Slice& slice : c.slices) {
    const auto keep = capped_strategies(c.view, slice, c.baseline, 12);
    std::vector<std::size_t> subset;
    for (const SummaryTable* t : slice.tables) {
      for (const StrategyGroup& g : t->strategies) {
        if (std::find(keep.begin(), keep.end(), g.strategy) != keep.end()) {
          subset.insert(subset.end(), g.rows.begin(), g.rows.end());
        }
      }
    }
    const WinRates w = win_rates(c.view, "balancedness", &subset);
    const std::size_t n = w.strategies.size();
    if (n < 2) continue;
    Figure f;
    f.name = fmt::format("winrate-{}", slice_slug(slice));
    f.anchor = slice_anchor(slice.topology, slice.protocol);
    f.caption = fmt::format("win rate on paired instances, {}", slice.key());
    f.data = "strategy";
    for (std::size_t j = 0; j < n; ++j) f.data += fmt::format("\tS{}", j + 1);
    f.data += "\n";
    std::size_t longest = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string label = fmt::format("S{} {}", i + 1, w.strategies[i]);
      longest = std::max(longest, label.size());
      f.data += tsv(label.size() > 60 ? label.substr(0, 57) + "..." : label);
      for (std::size_t j = 0; j < n; ++j)
        f.data += fmt::format("\t{}", num(i == j ? std::nan("") : w.rate(i, j)));
      f.data += "\n";
    }
    f.width =
        400 + static_cast<int>(std::min<std::size_t>(longest, 60)) * 7 + 55 * static_cast<int>(n);
    f.height = std::max(450, 150 + 40 * static_cast<int>(n));
    f.script = fmt::format(
        "set title {}\n"
        "set yrange [] reverse\nset cbrange [0:1]\nset ytics font ',8'\n"
        "set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')\n"
        "plot DATA matrix rowheaders columnheaders using 1:2:3 with image notitle, \\\n"
        "     DATA matrix rowheaders columnheaders using 1:2:($3 == $3 ? sprintf('%.0f%%', "
        "100*$3) : '') with labels font ',8' notitle\n",
        // Two lines: one long line, centred over the matrix, runs off a narrow figure.
        gp_lines({"Win rate on balancedness: row beats column (ties 1/2)",
                  slice.key() + (slice.strategies.size() > n
                                     ? fmt::format(" · baseline + {} best of {}", n - 1,
                                                   slice.strategies.size())
                                     : std::string())}));
    out.push_back(std::move(f));
  }
}

void cross_matrix(const Context& c, std::vector<Figure>& out) {
  const std::size_t bal = c.view.metric_index("balancedness");
  for (const Slice& slice : c.slices) {
    if (slice.protocol != "cross") continue;
    const StrategyGroup* g = find_strategy(*slice.tables.front(), c.baseline);
    if (g == nullptr) continue;
    const auto& rows = c.view.rows();
    std::vector<std::string> names;  // plan and score workloads together, first-seen order
    std::map<std::pair<std::string, std::string>, std::vector<double>> cells;
    for (std::size_t r : g->rows) {
      for (const std::string* w : {&rows[r].workload, &rows[r].score_workload}) {
        if (std::find(names.begin(), names.end(), *w) == names.end()) names.push_back(*w);
      }
      cells[{rows[r].workload, rows[r].score_workload}].push_back(c.view.metric(r, bal));
    }
    auto short_name = [](std::string w) {
      return w.rfind("recorded:name=", 0) == 0 ? w.substr(14) : w;
    };
    Figure f;
    f.name = fmt::format("cross-{}-{}", slug(c.baseline), topology_slug(slice.topology));
    f.anchor = slice_anchor(slice.topology, slice.protocol);
    f.caption =
        fmt::format("{}: balancedness planning on A (row), scoring on B (column)", c.baseline);
    f.data = "plan \\ score";
    for (const std::string& b : names) f.data += fmt::format("\t{}", tsv(short_name(b)));
    f.data += "\n";
    for (const std::string& a : names) {
      f.data += tsv(short_name(a));
      for (const std::string& b : names) {
        const auto it = cells.find({a, b});
        f.data +=
            fmt::format("\t{}", num(it == cells.end() ? std::nan("") : stats_of(it->second).mean));
      }
      f.data += "\n";
    }
    f.width = 500 + 110 * static_cast<int>(names.size());
    f.height = 300 + 60 * static_cast<int>(names.size());
    f.script = fmt::format(
        "set title {}\nset xlabel 'scored on B'\nset ylabel 'planned on A'\n"
        "set yrange [] reverse\nset xtics rotate by 30 right font ',8'\nset ytics font ',8'\n"
        "set palette defined (0 '#b2182b', 0.5 '#fddbc7', 1 '#2166ac')\n"
        "plot DATA matrix rowheaders columnheaders using 1:2:3 with image notitle, \\\n"
        "     DATA matrix rowheaders columnheaders using 1:2:($3 == $3 ? sprintf('%.4f', $3) : "
        "'') with labels font ',8' notitle\n",
        gp_string(fmt::format("{}: balancedness of the plan of A scored on B · {}", c.baseline,
                              slice.topology)));
    out.push_back(std::move(f));
  }
}

}  // namespace eplb::figures
