// RFC 4180 writer and reader; see csv.hpp.
#include "eplb/storage/csv.hpp"

#include <fmt/core.h>

#include "eplb/error.hpp"
#include "eplb/storage/files.hpp"

namespace eplb {

int CsvTable::find_column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int CsvTable::column(std::string_view name, std::string_view where) const {
  const int index = find_column(name);
  if (index < 0) {
    throw InputError(fmt::format("{}: no column '{}' (is this an eplb results CSV?)", where, name));
  }
  return index;
}

std::string csv_field(std::string_view field) {
  bool quote = !field.empty() && (field.front() == ' ' || field.back() == ' ');
  for (char c : field) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void append_csv_row(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += csv_field(fields[i]);
  }
  out.push_back('\n');
}

std::string to_csv(const CsvTable& table) {
  std::string out;
  append_csv_row(out, table.header);
  for (const auto& row : table.rows) append_csv_row(out, row);
  return out;
}

CsvTable parse_csv(std::string_view text, std::string_view where) {
  CsvTable table;
  std::vector<std::string> record;
  std::string field;
  std::size_t line = 1;         // current physical line (for messages)
  std::size_t record_line = 1;  // line where the current record started
  bool in_quotes = false;
  bool field_was_quoted = false;
  bool record_empty = true;  // nothing seen yet on this record

  auto finish_record = [&]() {
    record.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
    if (table.header.empty()) {
      table.header = std::move(record);
    } else if (record.size() != table.header.size()) {
      throw InputError(fmt::format("{}:{}: row has {} fields, the header has {}", where,
                                   record_line, record.size(), table.header.size()));
    } else {
      table.rows.push_back(std::move(record));
    }
    record.clear();
    record_empty = true;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty() || field_was_quoted) {
          throw InputError(fmt::format(
              "{}:{}: stray '\"' inside an unquoted field (quote the whole field and double "
              "inner quotes)",
              where, line));
        }
        in_quotes = true;
        field_was_quoted = true;
        record_empty = false;
        break;
      case ',':
        record.push_back(std::move(field));
        field.clear();
        field_was_quoted = false;
        record_empty = false;
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;  // CRLF: the LF ends the record
        field.push_back(c);
        break;
      case '\n':
        if (record_empty && record.empty() && field.empty()) {
          throw InputError(fmt::format("{}:{}: empty line (a CSV row needs {} fields)", where, line,
                                       table.header.empty() ? 1 : table.header.size()));
        }
        finish_record();
        ++line;
        record_line = line;
        break;
      default:
        if (field_was_quoted) {
          throw InputError(fmt::format("{}:{}: text after a closing quote (quote the whole field)",
                                       where, line));
        }
        field.push_back(c);
        record_empty = false;
        break;
    }
  }
  if (in_quotes) {
    throw InputError(
        fmt::format("{}:{}: unterminated quoted field (file truncated?)", where, record_line));
  }
  if (!record_empty || !record.empty() || !field.empty()) finish_record();
  if (table.header.empty()) throw InputError(fmt::format("{}: empty CSV (no header)", where));
  return table;
}

CsvTable read_csv(const std::filesystem::path& path) {
  return parse_csv(read_text_file(path), path.string());
}

}  // namespace eplb
