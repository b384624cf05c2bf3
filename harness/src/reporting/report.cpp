// summary.md + plots/ + summary.html; see report.hpp.
#include "eplb/reporting/report.hpp"

#include "eplb/reporting/plots.hpp"
#include "eplb/reporting/rebalance_report.hpp"
#include "eplb/storage/atomic_file.hpp"

namespace eplb {

ReportFiles write_report(const std::filesystem::path& dir, const CsvTable& results,
                         const CsvTable& layers, SummaryOptions options, bool plots) {
  ReportFiles out;
  std::vector<Figure> figures;
  if (plots) {
    figures = plan_figures(results, layers, {options.baseline, options.source}, out.warnings);
    for (const Figure& f : figures) options.figures.push_back({f.name, f.anchor, f.caption});
  }
  out.summary = summarize(results, options);
  write_file_atomic(dir / "summary.md", out.summary);
  // Per-run numbers of rebalance runs: results.csv has one row per step, far too many to read.
  const CsvTable runs = rebalance_runs(results);
  if (!runs.rows.empty()) write_file_atomic(dir / "rebalance_runs.csv", to_csv(runs));
  if (plots) {
    PlotResult r = render_figures(figures, dir / "plots", true);
    out.images = std::move(r.images);
    out.warnings.insert(out.warnings.end(), r.warnings.begin(), r.warnings.end());
  }
  write_file_atomic(
      dir / "summary.html",
      summary_html(out.summary, options.title.empty() ? "Results" : options.title, dir));
  return out;
}

}  // namespace eplb
