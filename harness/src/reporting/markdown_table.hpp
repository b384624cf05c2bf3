// Markdown building blocks shared by the summary, the tuning report and `eplb compare`:
// escaping, number formats and a column-wise table whose best cell is bolded only when the
// column really separates the rows.
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "eplb/reporting/statistics.hpp"

namespace eplb::md {

std::string escape(std::string_view text);
std::string code(std::string_view text);
std::string fixed(double v, int decimals);         // "—" for NaN
std::string signed_fixed(double v, int decimals);  // never "-0.0000"
std::string micros(double v);                      // µs with 3-4 significant digits
// "+0.0023 [+0.0011, +0.0030]" (interval omitted when NaN), " ✓" appended when significant.
std::string delta_cell(const PairedStats& s, int decimals);
std::string p_cell(const PairedStats& s);           // "0.031 (exact)" / "—"
std::string wtl_cell(const PairedStats& s);         // "5/0/1"

// A table column: display texts plus the numbers that decide which cell is best.
struct Column {
  explicit Column(std::string h, int dir = 0) : header(std::move(h)), direction(dir) {}
  std::string header;
  std::vector<std::string> cells;
  std::vector<double> values;     // NaN: never best
  int direction = 0;              // +1 higher is better, -1 lower is better, 0 not ranked
  std::vector<std::string> keys;  // text compared to find ties with the best (rounded value)
  // Optional noise band per cell (e.g. the IQR of a timing): the best cell is bolded only when
  // its band does not overlap the band of any other row.
  std::vector<double> low, high;

  void add(std::string cell, double value = std::numeric_limits<double>::quiet_NaN(),
           std::string key = {});
};

void mark_best(Column& column);
void render(std::string& out, const std::vector<Column>& columns);

}  // namespace eplb::md
