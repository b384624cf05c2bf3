// RFC 4180 CSV: the writer and reader behind results.csv, layers.csv and the per-run files.
//
// A field is quoted when it contains a comma, a double quote, CR or LF, or leading/trailing
// spaces; a quote inside a quoted field is doubled. Strategy specs contain commas
// (`seed003:gpu_steps=3,tail=0.2`), so quoting is essential. Rows end with LF (RFC 4180 says
// CRLF; the reader accepts both, and LF keeps gnuplot, awk and pandas happy). Every row of a
// table has as many fields as the header.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace eplb {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // Index of column `name`, or -1.
  int find_column(std::string_view name) const;
  // Index of column `name`; throws InputError naming `where` when it is missing.
  int column(std::string_view name, std::string_view where) const;
};

// `field` as it must appear in a CSV line.
std::string csv_field(std::string_view field);

// Appends one CSV line (fields joined by commas, quoted as needed, LF-terminated).
void append_csv_row(std::string& out, const std::vector<std::string>& fields);

// The whole table as CSV text (header first).
std::string to_csv(const CsvTable& table);

// Parses CSV text; the first record is the header. `where` (a file name) prefixes every error,
// which also names the line. A missing final newline is accepted. Throws InputError on an
// unterminated quote, a stray quote inside an unquoted field or a row of the wrong width.
CsvTable parse_csv(std::string_view text, std::string_view where);

// parse_csv of a file; throws InputError naming the file when it cannot be read.
CsvTable read_csv(const std::filesystem::path& path);

}  // namespace eplb
