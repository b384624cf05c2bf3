#include "cli_common.hpp"

#include <fmt/core.h>

#include <iostream>
#include <sstream>

#include "eplb/error.hpp"

namespace eplb::cli {

bool parse_args(const std::string& command, const std::string& usage, const Args& args,
                po::options_description& options, po::variables_map& vm,
                const po::positional_options_description* positional) {
  options.add_options()("help,h", "print this help and exit");
  try {
    po::command_line_parser parser(args);
    parser.options(options);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help") != 0U) {
      std::ostringstream text;
      text << options;
      fmt::print("usage: {}\n\n{}", usage, text.str());
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(fmt::format("{} (see 'eplb {} --help')", e.what(), command));
  }
  return true;
}

void require_option(const std::string& command, const po::variables_map& vm, const char* name) {
  if (vm.count(name) == 0U) {
    throw InputError(
        fmt::format("missing required option --{} (see 'eplb {} --help')", name, command));
  }
}

void add_topology_options(po::options_description& options) {
  options.add_options()("replicas", po::value<int>(), "physical slots per layer (R)")(
      "groups", po::value<int>(), "expert groups (G); hierarchical keeps a group on one node")(
      "nodes", po::value<int>(), "nodes (N)")("gpus", po::value<int>(), "GPUs (P)");
}

Topology topology_from(const std::string& command, const po::variables_map& vm) {
  for (const char* name : {"replicas", "groups", "nodes", "gpus"}) {
    require_option(command, vm, name);
    const int value = vm[name].as<int>();
    if (value > kMaxTopologySize) {
      throw InputError(
          fmt::format("--{} {} exceeds the limit of {} (README, Limits; see 'eplb "
                      "{} --help')",
                      name, value, kMaxTopologySize, command));
    }
  }
  return {vm["replicas"].as<int>(), vm["groups"].as<int>(), vm["nodes"].as<int>(),
          vm["gpus"].as<int>()};
}

}  // namespace eplb::cli
