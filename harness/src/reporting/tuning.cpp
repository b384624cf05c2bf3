// Tune/holdout scores, ranks, ties and the holdout delta; see tuning.hpp.
#include "eplb/reporting/tuning.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace eplb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Ranks (1 = highest) with ties sharing the better rank.
std::vector<int> ranks(const std::vector<double>& v) {
  std::vector<int> out(v.size(), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    int better = 0;
    for (double x : v) better += x > v[i] ? 1 : 0;
    out[i] = better + 1;
  }
  return out;
}

}  // namespace

std::vector<TuningFamily> tuning_families(const ResultView& view,
                                          const std::vector<SummaryTable>& tables,
                                          const std::string& baseline) {
  const auto& rows = view.rows();
  // Each table restricted to the rows of one split (a group may hold seeds of both splits).
  std::vector<SummaryTable> tune_tables, holdout_tables;
  for (const SummaryTable& t : tables) {
    for (auto [split, list] : {std::pair{"tune", &tune_tables}, {"holdout", &holdout_tables}}) {
      SummaryTable part = t;
      for (StrategyGroup& g : part.strategies) {
        std::erase_if(g.rows, [&](std::size_t r) { return rows[r].split != split; });
      }
      std::erase_if(part.strategies, [](const StrategyGroup& g) { return g.rows.empty(); });
      if (!part.strategies.empty()) list->push_back(std::move(part));
    }
  }
  Slice tune, holdout;
  for (const SummaryTable& t : tune_tables) tune.tables.push_back(&t);
  for (const SummaryTable& t : holdout_tables) holdout.tables.push_back(&t);
  std::vector<TuningFamily> out;
  if (tune.tables.empty() || holdout.tables.empty()) return out;
  const std::size_t bal = view.metric_index("balancedness");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.swept.empty()) continue;
    auto f = std::find_if(out.begin(), out.end(),
                          [&](const TuningFamily& x) { return x.family == r.family; });
    if (f == out.end()) {
      out.push_back({});
      f = out.end() - 1;
      f->family = r.family;
      f->keys = split_keys(r.swept);
    }
    if (std::none_of(f->points.begin(), f->points.end(),
                     [&](const TuningPoint& p) { return p.strategy == r.strategy; })) {
      TuningPoint p;
      p.strategy = r.strategy;
      p.first_row = i;
      for (const std::string& k : f->keys) {
        p.setting += fmt::format("{}{}={}", p.setting.empty() ? "" : ", ", k,
                                 view.strategy_param(i, k));
      }
      f->points.push_back(std::move(p));
    }
  }
  for (TuningFamily& f : out) {
    std::vector<double> t, h;
    for (TuningPoint& p : f.points) {
      p.tune = mean_of_groups(view, tune, p.strategy, bal);
      p.holdout = mean_of_groups(view, holdout, p.strategy, bal);
      t.push_back(std::isnan(p.tune) ? -1.0 : p.tune);
      h.push_back(std::isnan(p.holdout) ? -1.0 : p.holdout);
    }
    const auto rt = ranks(t), rh = ranks(h);
    for (std::size_t i = 0; i < f.points.size(); ++i) {
      f.points[i].rank_tune = rt[i];
      f.points[i].rank_holdout = rh[i];
      if (t[i] > t[f.chosen]) f.chosen = i;
      if (h[i] > h[f.oracle]) f.oracle = i;
    }
    for (std::size_t i = 0; i < f.points.size(); ++i) {
      if (i != f.chosen && t[i] == t[f.chosen]) f.tied.push_back(i);
    }
    f.baseline_tune = mean_of_groups(view, tune, baseline, bal);
    f.baseline_holdout = mean_of_groups(view, holdout, baseline, bal);
    f.holdout_delta = overall_delta(view, holdout, f.points[f.chosen].strategy, baseline, bal);
    f.tune_groups = static_cast<int>(tune.tables.size());
    f.holdout_groups = static_cast<int>(holdout.tables.size());
  }
  return out;
}

}  // namespace eplb
