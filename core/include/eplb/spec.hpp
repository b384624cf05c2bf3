// Spec strings and the registry that turns them into objects (strategies, workloads).
//
// Grammar (the only place that parses specs):
//     spec  := name [ ':' param { ',' param } ]
//     param := key '=' value
//     name, key: [a-z0-9_]+ ; value: one or more characters other than ',', '=', whitespace
// Examples: `deepseek`, `deepseek:policy=global`, `seed003:gpu_steps=3`,
// `zipf:exponent=1.2,seed=7`.
//
// Each registry entry declares its parameters (type, default, range, doc). Resolving a spec
// validates every value and fills in defaults; the *canonical* form lists only the values that
// differ from the entry's defaults, in declaration order, so `parse -> canonical -> parse` is a
// fixed point. Results record every resolved value (ParamValues::items), so a later change of a
// default never silently aliases old results.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eplb {

struct SpecParam {
  std::string key;
  std::string value;
};

struct Spec {
  std::string name;
  std::vector<SpecParam> params;

  std::string to_string() const;
};

// Throws InputError quoting the spec and the position of the first offending character.
Spec parse_spec(std::string_view text);

enum class ParamType { kInt, kDouble, kBool, kChoice, kString };
const char* to_string(ParamType type);

struct ParamDesc {
  std::string key;
  ParamType type = ParamType::kInt;
  std::string default_value;                              // as it would be written in a spec
  double min = -std::numeric_limits<double>::infinity();  // inclusive, kInt/kDouble only
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // kChoice only
  std::string doc;                   // one line

  // "[0, 1]", "{greedy, near_tie}", "true|false", "text".
  std::string range_text() const;
};

// Builders that keep registration tables short and readable.
ParamDesc int_param(std::string key, int def, int min, int max, std::string doc);
ParamDesc double_param(std::string key, double def, double min, double max, std::string doc);
ParamDesc bool_param(std::string key, bool def, std::string doc);
ParamDesc choice_param(std::string key, std::string def, std::vector<std::string> choices,
                       std::string doc);
ParamDesc string_param(std::string key, std::string def, std::string doc);

// Canonical text of a double: shortest form that round-trips.
std::string format_double(double value);

// Every declared parameter with its validated value, in declaration order.
class ParamValues {
 public:
  ParamValues() = default;
  ParamValues(std::vector<ParamDesc> descs, std::vector<std::string> values);

  int get_int(std::string_view key) const;
  double get_double(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;  // kChoice and kString
  const std::string& text(std::string_view key) const;        // canonical text of any type

  // (key, canonical value) for every parameter, defaults included.
  std::vector<std::pair<std::string, std::string>> items() const;
  const std::vector<ParamDesc>& descs() const { return descs_; }

 private:
  std::size_t index(std::string_view key, ParamType expected) const;

  std::vector<ParamDesc> descs_;
  std::vector<std::string> values_;
};

// Validates `given` against `descs`: unknown keys (the message lists the valid ones), repeated
// keys, type, range and choice errors all throw InputError naming `owner` (e.g. "strategy
// 'seed003'"), the key and the bad value.
ParamValues resolve_params(const std::vector<ParamDesc>& descs, const std::vector<SpecParam>& given,
                           std::string_view owner);

// `name` plus the values that differ from the defaults in `descs`.
std::string canonical_spec(std::string_view name, const ParamValues& values);

// A name -> factory table. `what` ("strategy", "workload") appears in error messages.
template <class Product>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Product>(const ParamValues&)>;

  struct Entry {
    std::string name;
    std::string kind;  // a short tag shown by `eplb list`: "preset", "family", "generator", ...
    std::string doc;   // one line
    std::vector<ParamDesc> params;
    Factory make;
  };

  struct Made {
    std::unique_ptr<Product> product;
    std::string canonical;  // canonical spec
    ParamValues values;     // every resolved value
  };

  explicit Registry(std::string what) : what_(std::move(what)) {}

  // Throws Error if the name is taken or malformed, or if a default does not validate.
  void add(Entry entry);

  // Throws InputError listing every registered name when `name` is unknown.
  const Entry& find(std::string_view name) const;
  bool contains(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& what() const { return what_; }

  Made create(std::string_view spec_text) const {
    const Spec spec = parse_spec(spec_text);
    const Entry& entry = find(spec.name);
    Made made;
    made.values = resolve_params(entry.params, spec.params, owner(entry.name));
    made.canonical = canonical_spec(entry.name, made.values);
    made.product = entry.make(made.values);
    return made;
  }

  std::string canonical(std::string_view spec_text) const {
    const Spec spec = parse_spec(spec_text);
    const Entry& entry = find(spec.name);
    return canonical_spec(entry.name, resolve_params(entry.params, spec.params, owner(entry.name)));
  }

 private:
  std::string owner(std::string_view name) const;

  std::string what_;
  std::vector<Entry> entries_;
};

// Non-template helpers behind Registry (spec.cpp).
namespace detail {
void check_new_entry(std::string_view what, std::string_view name,
                     const std::vector<std::string>& existing,
                     const std::vector<ParamDesc>& params);
[[noreturn]] void throw_unknown_name(std::string_view what, std::string_view name,
                                     const std::vector<std::string>& existing);
std::string owner_text(std::string_view what, std::string_view name);
}  // namespace detail

template <class Product>
void Registry<Product>::add(Entry entry) {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const Entry& e : entries_) names.push_back(e.name);
  detail::check_new_entry(what_, entry.name, names, entry.params);
  entries_.push_back(std::move(entry));
}

template <class Product>
bool Registry<Product>::contains(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return true;
  }
  return false;
}

template <class Product>
const typename Registry<Product>::Entry& Registry<Product>::find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return e;
  }
  std::vector<std::string> names;
  for (const Entry& e : entries_) names.push_back(e.name);
  detail::throw_unknown_name(what_, name, names);
}

template <class Product>
std::string Registry<Product>::owner(std::string_view name) const {
  return detail::owner_text(what_, name);
}

}  // namespace eplb
