// summary.html from summary.md; see report.hpp.
#include <fmt/core.h>

#include <sstream>

#include "eplb/error.hpp"
#include "eplb/reporting/report.hpp"
#include "eplb/storage/files.hpp"

namespace eplb {
namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63u]);
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63u]);
    out.push_back(kAlphabet[(v >> 12) & 63u]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63u] : '=');
    out.push_back('=');
  }
  return out;
}

// Inline Markdown: `code`, **bold**, [text](target).
std::string inline_html(std::string_view text, const std::filesystem::path& dir) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '|') {
      out += '|';
      i += 2;
    } else if (text[i] == '`') {
      const std::size_t end = text.find('`', i + 1);
      if (end == std::string_view::npos) {
        out += html_escape(text.substr(i));
        break;
      }
      std::string code(text.substr(i + 1, end - i - 1));
      std::erase_if(code, [](char ch) { return ch == '\\'; });  // only "\\|" escapes occur
      out += fmt::format("<code>{}</code>", html_escape(code));
      i = end + 1;
    } else if (text.substr(i, 2) == "**") {
      const std::size_t end = text.find("**", i + 2);
      if (end == std::string_view::npos) {
        out += "**";
        i += 2;
        continue;
      }
      out += fmt::format("<strong>{}</strong>", inline_html(text.substr(i + 2, end - i - 2), dir));
      i = end + 2;
    } else if (text[i] == '[') {
      const std::size_t close = text.find("](", i);
      const std::size_t end = close == std::string_view::npos ? close : text.find(')', close);
      if (end == std::string_view::npos) {
        out += '[';
        ++i;
        continue;
      }
      const std::string label(text.substr(i + 1, close - i - 1));
      const std::string target(text.substr(close + 2, end - close - 2));
      std::error_code ec;
      if (target.ends_with(".png") && std::filesystem::is_regular_file(dir / target, ec)) {
        out += fmt::format(
            "<figure><img alt=\"{0}\" src=\"data:image/png;base64,{1}\"><figcaption>{0} "
            "<span class=\"file\">({2})</span></figcaption></figure>",
            html_escape(label), base64(read_text_file(dir / target)), html_escape(target));
      } else {
        out += fmt::format("<a href=\"{}\">{}</a>", html_escape(target), html_escape(label));
      }
      i = end + 1;
    } else {
      out += html_escape(text.substr(i, 1));
      ++i;
    }
  }
  return out;
}

std::vector<std::string> table_cells(std::string_view line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += "\\|";
      ++i;
    } else if (line[i] == '|') {
      const auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    } else {
      cell.push_back(line[i]);
    }
  }
  return cells;
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 7px}th{background:#f0f0f0}"
    "td.r,th.r{text-align:right}tr:nth-child(even){background:#fafafa}"
    "code{background:#f4f4f4;padding:0 3px}"
    "figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}"
    "figcaption{font-size:13px;color:#555}.file{color:#999}"
    "details{margin:1em 0}li:has(figure){list-style:none}";

}  // namespace

std::string summary_html(const std::string& markdown, const std::string& title,
                         const std::filesystem::path& dir) {
  std::vector<std::string> lines;
  std::istringstream in(markdown);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string body;
  std::string paragraph;
  auto flush = [&] {
    if (!paragraph.empty()) body += "<p>" + inline_html(paragraph, dir) + "</p>\n";
    paragraph.clear();
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) {
      flush();
    } else if (line.starts_with("#")) {
      flush();
      const std::size_t level = line.find_first_not_of('#');
      body += fmt::format("<h{0}>{1}</h{0}>\n", level, inline_html(line.substr(level + 1), dir));
    } else if (line.starts_with("<details>") || line.starts_with("</details>")) {
      flush();
      body += line + "\n";  // our own markup, passed through
    } else if (line.starts_with("- ")) {
      flush();
      body += "<ul>\n";
      for (; i < lines.size() && lines[i].starts_with("- "); ++i) {
        body += "<li>" + inline_html(lines[i].substr(2), dir) + "</li>\n";
      }
      --i;
      body += "</ul>\n";
    } else if (line.starts_with("|") && i + 1 < lines.size() && lines[i + 1].starts_with("| ---")) {
      flush();
      const auto header = table_cells(line);
      const auto align = table_cells(lines[i + 1]);
      auto cls = [&](std::size_t c) {
        return c < align.size() && align[c].ends_with(":") ? " class=\"r\"" : "";
      };
      body += "<table>\n<tr>";
      for (std::size_t c = 0; c < header.size(); ++c) {
        body += fmt::format("<th{}>{}</th>", cls(c), inline_html(header[c], dir));
      }
      body += "</tr>\n";
      for (i += 2; i < lines.size() && lines[i].starts_with("|"); ++i) {
        const auto cells = table_cells(lines[i]);
        body += "<tr>";
        for (std::size_t c = 0; c < cells.size(); ++c) {
          body += fmt::format("<td{}>{}</td>", cls(c), inline_html(cells[c], dir));
        }
        body += "</tr>\n";
      }
      --i;
      body += "</table>\n";
    } else {
      paragraph += (paragraph.empty() ? "" : " ") + line;
    }
  }
  flush();
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      html_escape(title), kStyle, body);
}

}  // namespace eplb
