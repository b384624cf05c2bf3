// One report of a results directory: summary.md, plots/ and summary.html, always together
// (and rebalance_runs.csv, one row per rebalance run, when results.csv has rebalance rows).
//
// summary.html is the page to send a colleague: the summary's tables and every figure it links,
// in one self-contained file (inline CSS, PNGs embedded as base64 data URIs, no network).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eplb/reporting/summary.hpp"
#include "eplb/storage/csv.hpp"

namespace eplb {

struct ReportFiles {
  std::string summary;  // Markdown
  std::vector<std::filesystem::path> images;
  std::vector<std::string> warnings;
};

// `options.figures` is filled here (when `plots`); `layers` may have an empty header.
ReportFiles write_report(const std::filesystem::path& dir, const CsvTable& results,
                         const CsvTable& layers, SummaryOptions options, bool plots);

// The Markdown subset summary.md uses (headings, paragraphs, lists, pipe tables, `code`,
// **bold**, links, <details>) as one HTML page; links to `plots/*.png` that exist under `dir`
// become embedded figures.
std::string summary_html(const std::string& markdown, const std::string& title,
                         const std::filesystem::path& dir);

}  // namespace eplb
