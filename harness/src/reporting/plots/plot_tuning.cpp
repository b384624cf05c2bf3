// tuning-scatter-<family> and tuning-heatmap-<family>: is the tuned choice still good on holdout?
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "eplb/reporting/tuning.hpp"
#include "figure_kinds.hpp"

namespace eplb::figures {

void tuning(const Context& c, std::vector<Figure>& out) {
  for (const TuningFamily& fam : tuning_families(c.view, c.tables, c.baseline)) {
    Figure f;
    f.name = fmt::format("tuning-scatter-{}", slug(fam.family));
    f.anchor = kTuningAnchor;
    f.caption = fmt::format("{}: tune vs holdout score of every grid point", fam.family);
    f.data = "setting\ttune\tholdout\n";
    for (const TuningPoint& p : fam.points) {
      f.data += fmt::format("{}\t{}\t{}\n", tsv(p.setting), num(p.tune), num(p.holdout));
    }
    const TuningPoint& ch = fam.points[fam.chosen];
    f.data += fmt::format("\n\nsetting\ttune\tholdout\n{}\t{}\t{}\n", tsv(ch.setting), num(ch.tune),
                          num(ch.holdout));
    f.data += fmt::format("\n\nsetting\ttune\tholdout\n{}\t{}\t{}\n", tsv(c.baseline),
                          num(fam.baseline_tune), num(fam.baseline_holdout));
    f.width = 1000;
    f.height = 750;
    f.script = fmt::format(
        "set title {}\nset xlabel 'tune score (mean balancedness of tune groups)'\n"
        "set ylabel 'holdout score (mean balancedness of holdout groups)'\n"
        "set grid\nset key outside top center horizontal\n"
        "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\nset autoscale fix\n"
        "plot DATA index 0 using 2:3 with points pt 7 ps 1.1 lc rgb '#1f77b4' title 'grid point', "
        "\\\n     DATA index 1 using 2:3 with points pt 9 ps 2.5 lc rgb '#d62728' title {}, \\\n"
        "     DATA index 2 using 2:3 with points pt 5 ps 2.0 lc rgb 'black' title {}\n",
        gp_string(fmt::format("{}: {} grid points, tune vs holdout (a high tune score that is "
                              "not high on holdout is overfitting)",
                              fam.family, fam.points.size())),
        gp_string("chosen: " + ch.setting), gp_string("baseline " + c.baseline));
    out.push_back(std::move(f));
    if (fam.keys.size() != 2) continue;
    // Heatmaps need a full grid: x = first key, y = second key.
    std::vector<std::string> xs, ys;
    for (const TuningPoint& p : fam.points) {
      const std::string x = c.view.strategy_param(p.first_row, fam.keys[0]);
      const std::string y = c.view.strategy_param(p.first_row, fam.keys[1]);
      if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
      if (std::find(ys.begin(), ys.end(), y) == ys.end()) ys.push_back(y);
    }
    for (int split = 0; split < 2; ++split) {
      // One figure per split: gnuplot's matrix reader takes one matrix per data file.
      const char* name = split == 0 ? "tune" : "holdout";
      Figure h;
      h.name = fmt::format("tuning-heatmap-{}-{}", slug(fam.family), name);
      h.anchor = kTuningAnchor;
      h.caption =
          fmt::format("{}: {} score over {} x {}", fam.family, name, fam.keys[0], fam.keys[1]);
      h.data += fmt::format("{} \\ {}", fam.keys[1], fam.keys[0]);
      for (const std::string& x : xs) h.data += fmt::format("\t{}", tsv(x));
      h.data += "\n";
      for (const std::string& y : ys) {
        h.data += tsv(y);
        for (const std::string& x : xs) {
          double v = std::nan("");
          for (const TuningPoint& p : fam.points) {
            if (c.view.strategy_param(p.first_row, fam.keys[0]) == x &&
                c.view.strategy_param(p.first_row, fam.keys[1]) == y) {
              v = split == 0 ? p.tune : p.holdout;
            }
          }
          h.data += fmt::format("\t{}", num(v));
        }
        h.data += "\n";
      }
      h.width = 300 + 70 * static_cast<int>(xs.size());  // a cell fits its 4-decimal label
      h.height = 250 + 40 * static_cast<int>(ys.size());
      h.script = fmt::format(
          "set title {}\nset xlabel {}\nset ylabel {}\n"
          "set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')\nset cbtics font ',8'\n"
          "plot DATA matrix rowheaders columnheaders using 1:2:3 with image notitle, \\\n"
          "     DATA matrix rowheaders columnheaders using 1:2:($3 == $3 ? sprintf('%.4f', $3) : "
          "'') with labels font ',8' notitle\n",
          gp_string(fmt::format("{}: mean balancedness per grid point on {}", fam.family, name)),
          gp_string(fam.keys[0]), gp_string(fam.keys[1]));
      out.push_back(std::move(h));
    }
  }
}

}  // namespace eplb::figures
