// Helpers shared by the `eplb` subcommands: option parsing with --help and clear errors.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "eplb/cli.hpp"
#include "eplb/types.hpp"

namespace eplb::cli {

namespace po = boost::program_options;

// Parses `args` against `options` (+ positional), handling --help. Returns false when help was
// printed (the command then returns 0). Unknown options and bad values throw InputError naming
// the option and `command`.
bool parse_args(const std::string& command, const std::string& usage, const Args& args,
                po::options_description& options, po::variables_map& vm,
                const po::positional_options_description* positional = nullptr);

// Throws InputError "missing required option --name" unless present.
void require_option(const std::string& command, const po::variables_map& vm, const char* name);

// Adds --replicas --groups --nodes --gpus to `options`.
void add_topology_options(po::options_description& options);
// Reads them (all required) into a Topology; validation is left to Topology::validate.
Topology topology_from(const std::string& command, const po::variables_map& vm);

}  // namespace eplb::cli
