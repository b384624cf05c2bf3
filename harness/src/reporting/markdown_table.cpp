// Markdown building blocks; see markdown_table.hpp.
#include "markdown_table.hpp"

#include <fmt/core.h>

#include <cmath>

namespace eplb::md {

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out.push_back(c);
  }
  return out;
}

std::string code(std::string_view text) { return fmt::format("`{}`", escape(text)); }

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "—";
  return fmt::format("{:.{}f}", v, decimals);
}

std::string signed_fixed(double v, int decimals) {
  if (std::isnan(v)) return "—";
  // A difference that rounds to zero is shown as +0.0000, never -0.0000.
  const double shown = std::abs(v) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : v;
  return fmt::format("{:+.{}f}", shown, decimals);
}

std::string micros(double v) {
  if (std::isnan(v)) return "—";
  if (v < 10.0) return fmt::format("{:.2f}", v);
  if (v < 1000.0) return fmt::format("{:.1f}", v);
  return fmt::format("{:.0f}", v);
}

std::string delta_cell(const PairedStats& s, int decimals) {
  std::string out = signed_fixed(s.mean, decimals);
  if (!std::isnan(s.ci.low)) {
    out += fmt::format(" [{}, {}]", signed_fixed(s.ci.low, decimals),
                       signed_fixed(s.ci.high, decimals));
  }
  if (s.significant()) out += " ✓";
  return out;
}

std::string p_cell(const PairedStats& s) {
  if (std::isnan(s.p_value)) return "—";
  return fmt::format("{:.3g}", s.p_value);
}

std::string wtl_cell(const PairedStats& s) {
  return fmt::format("{}/{}/{}", s.wins, s.ties, s.losses);
}

void Column::add(std::string cell, double value, std::string key) {
  cells.push_back(std::move(cell));
  values.push_back(value);
  keys.push_back(std::move(key));
}

void mark_best(Column& column) {
  if (column.direction == 0) return;
  int best = -1;
  for (std::size_t i = 0; i < column.values.size(); ++i) {
    const double v = column.values[i];
    if (std::isnan(v)) continue;
    if (best < 0 || (column.direction > 0 ? v > column.values[static_cast<std::size_t>(best)]
                                          : v < column.values[static_cast<std::size_t>(best)])) {
      best = static_cast<int>(i);
    }
  }
  if (best < 0) return;
  const auto b = static_cast<std::size_t>(best);
  if (!column.low.empty()) {
    // Noise-aware: the best band must clear every other band.
    for (std::size_t i = 0; i < column.values.size(); ++i) {
      if (i == b || std::isnan(column.values[i])) continue;
      const bool clear = column.direction < 0 ? column.high[b] < column.low[i]
                                              : column.low[b] > column.high[i];
      if (!clear) return;
    }
    column.cells[b] = "**" + column.cells[b] + "**";
    return;
  }
  // Only mark when the column separates the rows at the shown precision.
  const std::string& best_key = column.keys[b];
  std::size_t ties = 0;
  for (const std::string& k : column.keys) ties += k == best_key ? 1 : 0;
  if (ties == column.cells.size() && column.cells.size() > 1) return;
  for (std::size_t i = 0; i < column.cells.size(); ++i) {
    if (!std::isnan(column.values[i]) && column.keys[i] == best_key) {
      column.cells[i] = "**" + column.cells[i] + "**";
    }
  }
}

void render(std::string& out, const std::vector<Column>& columns) {
  if (columns.empty()) return;
  out += "|";
  for (const Column& c : columns) out += " " + c.header + " |";
  out += "\n|";
  for (const Column& c : columns) out += c.direction == 0 ? " --- |" : " ---: |";
  out += "\n";
  for (std::size_t r = 0; r < columns.front().cells.size(); ++r) {
    out += "|";
    for (const Column& c : columns) out += " " + c.cells[r] + " |";
    out += "\n";
  }
  out += "\n";
}

}  // namespace eplb::md
