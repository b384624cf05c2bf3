// The figure kinds of plots.hpp, one file each, and the gnuplot helpers they share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eplb/reporting/analysis.hpp"
#include "eplb/reporting/plots.hpp"

namespace eplb::figures {

struct Context {
  const ResultView& view;
  const std::vector<SummaryTable>& tables;
  const std::vector<Slice>& slices;
  const GroupLabels& labels;
  std::string baseline;
  int bound_column = -1;  // `balancedness_bound` in results.csv, or -1
  std::vector<std::string>& notes;
};

void pareto(const Context& c, std::vector<Figure>& out);
void delta(const Context& c, std::vector<Figure>& out);
void ablation(const Context& c, std::vector<Figure>& out);
void heatmap(const Context& c, const CsvTable& layers, std::vector<Figure>& out);
void winrate(const Context& c, std::vector<Figure>& out);
void cross_matrix(const Context& c, std::vector<Figure>& out);
void tuning(const Context& c, std::vector<Figure>& out);

// Helpers.
constexpr std::size_t kMaxSeries = 20;
std::string gp_string(std::string_view text);  // a single-quoted gnuplot string
std::string tsv(std::string_view text);        // a data-file field
std::string num(double v);                     // "NaN" for NaN
// `set style line` 1..n: 10 colours x 13 markers, distinct for n <= 20.
std::string series_styles(std::size_t n);
std::string slice_slug(const Slice& slice);
// Mean of the bound over the baseline's rows of a slice's tables (NaN without the column).
double mean_bound(const Context& c, const Slice& slice);

// How a figure draws the balancedness bound beside data spanning [lo, hi]: a bound far above the
// data (more than the data's own span) would crush the differences the figure is about, so then
// the y range is the data's alone and the legend gives the bound's value instead of showing it.
struct BoundDrawing {
  std::string title;   // the legend entry, naming the column
  std::string yrange;  // "set yrange ...\n" or "" (autoscale covers the bound)
};
BoundDrawing bound_drawing(const std::string& title, double bound, double lo, double hi);

// A gnuplot string expression of several lines ('a' . "\n" . 'b'): titles too long for one.
std::string gp_lines(const std::vector<std::string>& lines);

}  // namespace eplb::figures
