// pareto-<slice>: balancedness against plan time, one legend entry per strategy.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "figure_kinds.hpp"

namespace eplb::figures {

void pareto(const Context& c, std::vector<Figure>& out) {
  const std::size_t bal = c.view.metric_index("balancedness");
  for (const Slice& slice : c.slices) {
    struct Point {
      std::string label;
      double time, bal;
    };
    std::vector<Point> points;
    for (const std::string& s : capped_strategies(c.view, slice, c.baseline, kMaxSeries)) {
      std::vector<double> t;
      for (const SummaryTable* table : slice.tables) {
        if (const StrategyGroup* g = find_strategy(*table, s)) {
          for (std::size_t r : g->rows) t.push_back(c.view.rows()[r].plan_us);
        }
      }
      const Point p{s, median_of(t), mean_of_groups(c.view, slice, s, bal)};
      if (!std::isnan(p.time) && p.time > 0.0 && !std::isnan(p.bal)) points.push_back(p);
    }
    if (points.empty()) {
      c.notes.push_back(fmt::format(
          "no Pareto plot for {}: no plan times (timing.repeats = 0) or only error rows",
          slice.key()));
      continue;
    }
    Figure f;
    f.name = fmt::format("pareto-{}", slice_slug(slice));
    f.anchor = slice_anchor(slice.topology, slice.protocol);
    f.caption = fmt::format("balancedness vs plan time, {}", slice.key());
    std::size_t longest = 0;
    for (const Point& p : points) {
      f.data += fmt::format("strategy\tplan_us\tbalancedness\n{}\t{}\t{}\n\n\n", tsv(p.label),
                            num(p.time), num(p.bal));
      longest = std::max(longest, p.label.size());
    }
    std::vector<Point> sorted = points;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Point& a, const Point& b) {
      return a.time < b.time || (a.time == b.time && a.bal > b.bal);
    });
    f.data += "strategy\tplan_us\tbalancedness\n";
    double best = -1.0;
    for (const Point& p : sorted) {
      if (p.bal <= best) continue;
      best = p.bal;
      f.data += fmt::format("{}\t{}\t{}\n", tsv(p.label), num(p.time), num(p.bal));
    }
    double lo = INFINITY, hi = -INFINITY, fastest = INFINITY, slowest = 0.0;
    for (const Point& p : points) {
      lo = std::min(lo, p.bal);
      hi = std::max(hi, p.bal);
      fastest = std::min(fastest, p.time);
      slowest = std::max(slowest, p.time);
    }
    const double bound = mean_bound(c, slice);
    const BoundDrawing drawn = bound_drawing(
        "upper bound: balancedness_bound (" + c.baseline + "'s policy)", bound, lo, hi);
    if (!std::isnan(bound)) longest = std::max(longest, drawn.title.size());
    // A fixed plot area (the right margin pinned in screen coordinates) plus room for the legend
    // (about 7 px a character at ',9', plus the sample): a long legend entry never squeezes the
    // axes, whatever gnuplot estimates for the key.
    constexpr int kPlotRight = 760;
    f.width = kPlotRight + 80 + static_cast<int>(std::min<std::size_t>(longest, 90)) * 7;
    f.height = std::max(600, 200 + 22 * static_cast<int>(points.size()));
    // Less than a decade of plan times has no log-scale tics to read: linear then.
    const bool log_x = slowest >= 10.0 * fastest;
    std::vector<std::string> title = {"Balancedness vs plan time · " + slice.key()};
    if (slice.strategies.size() > points.size()) {
      title.push_back(fmt::format("{} of {} strategies: the baseline and the best", points.size(),
                                  slice.strategies.size()));
    }
    f.script = series_styles(points.size()) +
               fmt::format(
                   "set title {}\n"
                   "set xlabel 'plan time per call, µs (median of timed calls{})'\n"
                   "set ylabel 'balancedness (mean of workload-group means)'\n"
                   "{}set grid\nset key outside right top vertical font ',9'\n"
                   "set rmargin at screen {}\n"
                   "set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08\n"
                   "set autoscale fix\n{}plot ",
                   gp_lines(title), log_x ? "; log scale" : "", log_x ? "set logscale x\n" : "",
                   num(static_cast<double>(kPlotRight) / f.width), drawn.yrange);
    for (std::size_t i = 0; i < points.size(); ++i) {
      f.script += fmt::format("DATA index {} using 2:3 with points ls {} title {}, \\\n     ", i,
                              i + 1, gp_string(points[i].label));
    }
    f.script += fmt::format(
        "DATA index {} using 2:3 with lines lc rgb 'black' dt 2 lw 1 title 'Pareto front'",
        points.size());
    if (!std::isnan(bound)) {
      f.script += fmt::format(", \\\n     {} with lines lc rgb '#555555' dt 3 lw 2 title {}",
                              num(bound), gp_string(drawn.title));
    }
    f.script += "\n";
    out.push_back(std::move(f));
  }
}

}  // namespace eplb::figures
