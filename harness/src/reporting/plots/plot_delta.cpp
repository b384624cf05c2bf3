// delta-<slice>: Δ balancedness vs the baseline with 95% intervals, one panel per strategy.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "figure_kinds.hpp"

namespace eplb::figures {

void delta(const Context& c, std::vector<Figure>& out) {
  const std::size_t bal = c.view.metric_index("balancedness");
  constexpr std::size_t kMaxPanels = 12;
  for (const Slice& slice : c.slices) {
    if (std::find(slice.strategies.begin(), slice.strategies.end(), c.baseline) ==
        slice.strategies.end()) {
      continue;
    }
    std::vector<std::string> shown;
    for (const std::string& s : capped_strategies(c.view, slice, c.baseline, kMaxPanels + 1)) {
      if (s != c.baseline) shown.push_back(s);
    }
    if (shown.empty()) continue;
    // x positions: the slice's groups, or for a one-table slice its units (plan workloads).
    const bool by_unit = slice.tables.size() == 1;
    Figure f;
    f.name = fmt::format("delta-{}", slice_slug(slice));
    f.anchor = slice_anchor(slice.topology, slice.protocol);
    f.caption = fmt::format("Δ balancedness vs {} per {}, 95% CI, {}", c.baseline,
                            by_unit ? unit_name_of(slice.protocol) : "workload group", slice.key());
    const std::string figure_title =
        fmt::format("Δ balancedness vs {} (positive: better) · {}", c.baseline, slice.key());
    f.script = fmt::format(
        "set multiplot layout {},{} title {}\n"
        "set grid ytics\nset xtics rotate by 45 right font ',8'\nset key off\n"
        "set offsets graph 0.04, graph 0.04, graph 0.1, graph 0.1\nset autoscale yfix\n"
        "set style line 1 lc rgb '#1f77b4' pt 7 ps 1.2 lw 1.5\n"
        "set style line 2 lc rgb '#d62728' pt 5 ps 1.4 lw 2\n",
        (shown.size() + 2) / 3, std::min<std::size_t>(shown.size(), 3), gp_string(figure_title));
    std::size_t block = 0;
    std::size_t positions = 0;
    for (const std::string& s : shown) {
      f.data += "x\tlabel\tdelta\tlow\thigh\n";
      std::size_t x = 0;
      if (by_unit) {
        const SummaryTable& t = *slice.tables.front();
        // One point per unit: the unit's mean delta (all its instances).
        const StrategyGroup* g = find_strategy(t, s);
        const StrategyGroup* b = find_strategy(t, c.baseline);
        std::vector<std::string> units;
        for (std::size_t r : g ? g->rows : std::vector<std::size_t>{}) {
          const std::string u = unit_of(c.view.rows()[r]);
          if (std::find(units.begin(), units.end(), u) == units.end()) units.push_back(u);
        }
        for (const std::string& u : units) {
          SummaryTable one = t;
          for (StrategyGroup& sg : one.strategies) {
            std::erase_if(sg.rows, [&](std::size_t r) { return unit_of(c.view.rows()[r]) != u; });
          }
          const PairedStats d = table_delta(c.view, one, s, c.baseline, bal);
          std::string label = u;
          if (label.rfind("recorded:name=", 0) == 0) label = label.substr(14);
          f.data += fmt::format("{}\t{}\t{}\tNaN\tNaN\n", x++, tsv(label), num(d.mean));
        }
        (void)b;
      } else {
        for (const SummaryTable* t : slice.tables) {
          const PairedStats d = table_delta(c.view, *t, s, c.baseline, bal);
          f.data += fmt::format("{}\t{}\t{}\t{}\t{}\n", x++, tsv(c.labels.label(t->group)),
                                num(d.mean), num(d.ci.low), num(d.ci.high));
        }
      }
      const PairedStats all = by_unit
                                  ? table_delta(c.view, *slice.tables.front(), s, c.baseline, bal)
                                  : overall_delta(c.view, slice, s, c.baseline, bal);
      f.data += fmt::format("\n\nx\tlabel\tdelta\tlow\thigh\n{}\toverall\t{}\t{}\t{}\n\n\n", x,
                            num(all.mean), num(all.ci.low), num(all.ci.high));
      positions = std::max(positions, x + 1);
      std::string title = s.size() > 48 ? s.substr(0, 45) + "..." : s;
      // Signed, at the summary's precision; a rounded zero is "+0.0000", never "-0".
      const double rounded = std::round(all.mean * 1e4) / 1e4;
      title += fmt::format("\\noverall {:+.4f}", rounded == 0.0 ? 0.0 : rounded);
      f.script += fmt::format(
          "set title {} font ',9'\nset xrange [-0.6:{}]\n"
          "plot DATA index {} using 1:3:xtic(2) with points ls 1, "
          "'' index {} using 1:3:4:5 with yerrorbars ls 1, "
          "'' index {} using 1:3:xtic(2) with points ls 2, "
          "'' index {} using 1:3:4:5 with yerrorbars ls 2, "
          "0 with lines lc rgb 'black' dt 2\n",
          "\"" + title + "\"", num(static_cast<double>(x) + 0.6), block, block, block + 1,
          block + 1);
      block += 2;
    }
    f.script += "unset multiplot\n";
    const std::size_t cols = std::min<std::size_t>(shown.size(), 3);
    const std::size_t rows = (shown.size() + 2) / 3;
    // Wide enough for every panel's positions, and for the figure title over a single panel.
    f.width = static_cast<int>(std::max<std::size_t>(
        cols * std::max<std::size_t>(380, 60 + 40 * positions), 80 + 7 * figure_title.size()));
    f.height = static_cast<int>(60 + rows * 360);
    if (slice.strategies.size() > shown.size() + 1) {
      c.notes.push_back(fmt::format("{}: Δ panels for the {} best of {} strategies", f.name,
                                    shown.size(), slice.strategies.size() - 1));
    }
    out.push_back(std::move(f));
  }
}

}  // namespace eplb::figures
