#include "eplb/storage/placement_file.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "eplb/error.hpp"
#include "eplb/storage/files.hpp"
#include "eplb/validator.hpp"

namespace eplb {
namespace {

using nlohmann::json;

IndexMatrix index_rows(const json& doc, const char* key, const std::string& where) {
  if (!doc.contains(key) || !doc[key].is_array() || doc[key].empty()) {
    throw InputError(
        fmt::format("{}: key '{}' missing or not a non-empty list of rows (write the "
                    "file with eplb plan --out)",
                    where, key));
  }
  const json& rows = doc[key];
  const std::size_t width = rows[0].is_array() ? rows[0].size() : 0;
  IndexMatrix m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(width));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (!rows[r].is_array() || rows[r].size() != width || width == 0) {
      throw InputError(
          fmt::format("{}: {}[{}]: expected a list of {} integers", where, key, r, width));
    }
    for (std::size_t c = 0; c < width; ++c) {
      const json& v = rows[r][c];
      if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 1 << 30) {
        throw InputError(
            fmt::format("{}: {}[{}][{}]: expected a non-negative integer", where, key, r, c));
      }
      m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) =
          static_cast<std::int32_t>(v.get<long long>());
    }
  }
  return m;
}

int topology_field(const json& t, const char* key, const std::string& where) {
  if (!t.contains(key) || !t[key].is_number_integer()) {
    throw InputError(fmt::format("{}: topology.{}: missing or not an integer", where, key));
  }
  return t[key].get<int>();
}

}  // namespace

PlacementFile read_placement_file(const std::filesystem::path& path) {
  const std::string where = path.string();
  const std::string text = read_text_file(path);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
  if (!doc.is_object() || !doc.contains("topology") || !doc["topology"].is_object()) {
    throw InputError(fmt::format(
        "{}: not a placement file (an object with topology, policy, phy2log and logcnt, as "
        "eplb plan --out writes it)",
        where));
  }
  PlacementFile out;
  const json& t = doc["topology"];
  out.topology.num_replicas = topology_field(t, "num_replicas", where);
  out.topology.num_groups = topology_field(t, "num_groups", where);
  out.topology.num_nodes = topology_field(t, "num_nodes", where);
  out.topology.num_gpus = topology_field(t, "num_gpus", where);
  const std::string policy = doc.value("policy", "");
  if (policy == to_string(Policy::kHierarchical)) {
    out.placement.policy = Policy::kHierarchical;
  } else if (policy == to_string(Policy::kGlobal)) {
    out.placement.policy = Policy::kGlobal;
  } else {
    throw InputError(fmt::format("{}: policy: expected \"hierarchical\" or \"global\"", where));
  }
  out.placement.phy2log = index_rows(doc, "phy2log", where);
  out.placement.logcnt = index_rows(doc, "logcnt", where);
  const int layers = static_cast<int>(out.placement.phy2log.rows());
  const int experts = static_cast<int>(out.placement.logcnt.cols());
  try {
    out.topology.validate(experts);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: topology: {}", where, e.what()));
  }
  if (const auto v = find_violation(out.placement, out.topology, layers, experts)) {
    throw InputError(fmt::format("{}: {}", where, v->message));
  }
  return out;
}

}  // namespace eplb
