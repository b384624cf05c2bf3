#include "eplb/spec.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "eplb/error.hpp"

namespace eplb {
namespace {

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

bool is_value_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f && c != ',' && c != '=';
}

[[noreturn]] void spec_error(std::string_view text, std::size_t pos, std::string_view what) {
  throw InputError(
      fmt::format("bad spec '{}' at character {}: {}. Expected name[:key=value,...] "
                  "with name and keys in [a-z0-9_]",
                  text, pos + 1, what));
}

std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  // strtod is correctly rounding and accepts the forms people write (1e-3, .5, 2.).
  const std::string copy(s);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true" || s == "1" || s == "on" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "off" || s == "no") return false;
  return std::nullopt;
}

// Returns the canonical text of `raw` for `desc`, or throws naming `owner`.
std::string canonical_value(const ParamDesc& desc, std::string_view raw, std::string_view owner) {
  auto bad = [&](std::string_view why) -> std::string {
    throw InputError(fmt::format("{}: bad value '{}' for parameter '{}': {} (expected {} {})",
                                 owner, raw, desc.key, why, to_string(desc.type),
                                 desc.range_text()));
  };
  switch (desc.type) {
    case ParamType::kInt: {
      const auto v = parse_int(raw);
      if (!v) return bad("not an integer");
      if (static_cast<double>(*v) < desc.min || static_cast<double>(*v) > desc.max) {
        return bad("out of range");
      }
      return std::to_string(*v);
    }
    case ParamType::kDouble: {
      const auto v = parse_double(raw);
      if (!v) return bad("not a finite number");
      if (*v < desc.min || *v > desc.max) return bad("out of range");
      return format_double(*v == 0.0 ? 0.0 : *v);  // -0 and 0 are one value
    }
    case ParamType::kBool: {
      const auto v = parse_bool(raw);
      if (!v) return bad("not a boolean");
      return *v ? "true" : "false";
    }
    case ParamType::kChoice:
      if (std::find(desc.choices.begin(), desc.choices.end(), raw) == desc.choices.end()) {
        return bad("not one of the choices");
      }
      return std::string(raw);
    case ParamType::kString:
      if (raw.empty()) return bad("empty");
      return std::string(raw);
  }
  return bad("unknown type");
}

}  // namespace

std::string Spec::to_string() const {
  std::string out = name;
  for (std::size_t i = 0; i < params.size(); ++i) {
    out += i == 0 ? ':' : ',';
    out += params[i].key;
    out += '=';
    out += params[i].value;
  }
  return out;
}

Spec parse_spec(std::string_view text) {
  Spec spec;
  std::size_t pos = 0;
  while (pos < text.size() && is_name_char(text[pos])) ++pos;
  if (pos == 0) spec_error(text, 0, text.empty() ? "empty spec" : "expected a name");
  spec.name = std::string(text.substr(0, pos));
  if (pos == text.size()) return spec;
  if (text[pos] != ':') spec_error(text, pos, "expected ':' after the name");
  ++pos;
  while (true) {
    const std::size_t key_start = pos;
    while (pos < text.size() && is_name_char(text[pos])) ++pos;
    if (pos == key_start) spec_error(text, pos, "expected a parameter name");
    if (pos == text.size() || text[pos] != '=') spec_error(text, pos, "expected '=' after the key");
    std::string key(text.substr(key_start, pos - key_start));
    ++pos;
    const std::size_t value_start = pos;
    while (pos < text.size() && is_value_char(text[pos])) ++pos;
    if (pos == value_start) spec_error(text, pos, "expected a value");
    spec.params.push_back(
        {std::move(key), std::string(text.substr(value_start, pos - value_start))});
    if (pos == text.size()) return spec;
    if (text[pos] != ',') spec_error(text, pos, "expected ',' between parameters");
    ++pos;
  }
}

const char* to_string(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kDouble:
      return "double";
    case ParamType::kBool:
      return "bool";
    case ParamType::kChoice:
      return "choice";
    case ParamType::kString:
      return "string";
  }
  return "?";
}

std::string format_double(double value) { return fmt::format("{}", value); }

std::string ParamDesc::range_text() const {
  auto bound = [](double v) {
    if (std::isinf(v)) return std::string(v < 0 ? "-inf" : "inf");
    return format_double(v);
  };
  switch (type) {
    case ParamType::kInt:
    case ParamType::kDouble:
      return fmt::format("[{}, {}]", bound(min), bound(max));
    case ParamType::kBool:
      return "true|false";
    case ParamType::kChoice:
      return fmt::format("{{{}}}", fmt::join(choices, ", "));
    case ParamType::kString:
      return "text";
  }
  return "";
}

ParamDesc int_param(std::string key, int def, int min, int max, std::string doc) {
  return {std::move(key),
          ParamType::kInt,
          std::to_string(def),
          static_cast<double>(min),
          static_cast<double>(max),
          {},
          std::move(doc)};
}

ParamDesc double_param(std::string key, double def, double min, double max, std::string doc) {
  return {std::move(key), ParamType::kDouble, format_double(def), min, max, {}, std::move(doc)};
}

ParamDesc bool_param(std::string key, bool def, std::string doc) {
  ParamDesc d;
  d.key = std::move(key);
  d.type = ParamType::kBool;
  d.default_value = def ? "true" : "false";
  d.doc = std::move(doc);
  return d;
}

ParamDesc choice_param(std::string key, std::string def, std::vector<std::string> choices,
                       std::string doc) {
  ParamDesc d;
  d.key = std::move(key);
  d.type = ParamType::kChoice;
  d.default_value = std::move(def);
  d.choices = std::move(choices);
  d.doc = std::move(doc);
  return d;
}

ParamDesc string_param(std::string key, std::string def, std::string doc) {
  ParamDesc d;
  d.key = std::move(key);
  d.type = ParamType::kString;
  d.default_value = std::move(def);
  d.doc = std::move(doc);
  return d;
}

ParamValues::ParamValues(std::vector<ParamDesc> descs, std::vector<std::string> values)
    : descs_(std::move(descs)), values_(std::move(values)) {}

std::size_t ParamValues::index(std::string_view key, ParamType expected) const {
  for (std::size_t i = 0; i < descs_.size(); ++i) {
    if (descs_[i].key != key) continue;
    const bool text_like = expected == ParamType::kString && descs_[i].type == ParamType::kChoice;
    if (descs_[i].type != expected && !text_like) {
      throw Error(fmt::format("parameter '{}' is {}, read as {}", key, to_string(descs_[i].type),
                              to_string(expected)));
    }
    return i;
  }
  throw Error(fmt::format("no parameter '{}' is declared", key));
}

int ParamValues::get_int(std::string_view key) const {
  return std::stoi(values_[index(key, ParamType::kInt)]);
}

double ParamValues::get_double(std::string_view key) const {
  return std::strtod(values_[index(key, ParamType::kDouble)].c_str(), nullptr);
}

bool ParamValues::get_bool(std::string_view key) const {
  return values_[index(key, ParamType::kBool)] == "true";
}

const std::string& ParamValues::get_string(std::string_view key) const {
  return values_[index(key, ParamType::kString)];
}

const std::string& ParamValues::text(std::string_view key) const {
  for (std::size_t i = 0; i < descs_.size(); ++i) {
    if (descs_[i].key == key) return values_[i];
  }
  throw Error(fmt::format("no parameter '{}' is declared", key));
}

std::vector<std::pair<std::string, std::string>> ParamValues::items() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(descs_.size());
  for (std::size_t i = 0; i < descs_.size(); ++i) out.emplace_back(descs_[i].key, values_[i]);
  return out;
}

ParamValues resolve_params(const std::vector<ParamDesc>& descs, const std::vector<SpecParam>& given,
                           std::string_view owner) {
  std::vector<std::string> values;
  values.reserve(descs.size());
  for (const ParamDesc& d : descs) values.push_back(canonical_value(d, d.default_value, owner));
  std::vector<bool> seen(descs.size(), false);
  for (const SpecParam& p : given) {
    const auto it = std::find_if(descs.begin(), descs.end(),
                                 [&](const ParamDesc& d) { return d.key == p.key; });
    if (it == descs.end()) {
      std::vector<std::string> keys;
      for (const ParamDesc& d : descs) keys.push_back(d.key);
      throw InputError(fmt::format(
          "{}: unknown parameter '{}'; valid parameters: {}", owner, p.key,
          keys.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(keys, ", "))));
    }
    const auto i = static_cast<std::size_t>(it - descs.begin());
    if (seen[i]) {
      throw InputError(fmt::format("{}: parameter '{}' is given twice", owner, p.key));
    }
    seen[i] = true;
    values[i] = canonical_value(*it, p.value, owner);
  }
  return ParamValues(descs, std::move(values));
}

std::string canonical_spec(std::string_view name, const ParamValues& values) {
  Spec spec;
  spec.name = std::string(name);
  const auto items = values.items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ParamDesc& d = values.descs()[i];
    if (items[i].second != canonical_value(d, d.default_value, name)) {
      spec.params.push_back({items[i].first, items[i].second});
    }
  }
  return spec.to_string();
}

namespace detail {

void check_new_entry(std::string_view what, std::string_view name,
                     const std::vector<std::string>& existing,
                     const std::vector<ParamDesc>& params) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char)) {
    throw Error(fmt::format("cannot register {} '{}': names use [a-z0-9_]", what, name));
  }
  if (std::find(existing.begin(), existing.end(), name) != existing.end()) {
    throw Error(fmt::format("cannot register {} '{}': the name is already registered", what, name));
  }
  std::vector<std::string> keys;
  for (const ParamDesc& d : params) {
    if (std::find(keys.begin(), keys.end(), d.key) != keys.end()) {
      throw Error(fmt::format("cannot register {} '{}': parameter '{}' is declared twice", what,
                              name, d.key));
    }
    keys.push_back(d.key);
    canonical_value(d, d.default_value, owner_text(what, name));  // defaults must validate
  }
}

void throw_unknown_name(std::string_view what, std::string_view name,
                        const std::vector<std::string>& existing) {
  throw InputError(
      fmt::format("unknown {} '{}'; valid names: {}", what, name, fmt::join(existing, ", ")));
}

std::string owner_text(std::string_view what, std::string_view name) {
  return fmt::format("{} '{}'", what, name);
}

}  // namespace detail
}  // namespace eplb
