// Errors eplb-lab raises on bad input, bad options or an invalid placement.
//
// Every message names what is wrong and, where possible, where (file and line, option, layer and
// slot) and how to fix it. The CLI prints `eplb: error: <message>` and exits with status 2.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace eplb {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad user input: a file, a spec string, an option value.
class InputError : public Error {
 public:
  using Error::Error;
};

// A topology that breaks one of the rules of `Topology::validate`.
class TopologyError : public InputError {
 public:
  using InputError::InputError;
};

// A placement the validator rejected (a bug in a strategy, never the user's fault).
class PlacementError : public Error {
 public:
  using Error::Error;
};

// `text` with control bytes (NUL, CR, LF, tab, ESC, ...) and DEL written as \0, \r, \n, \t
// and \xNN, so that text quoted from an input file never reaches a terminal raw (a CR-only file
// would otherwise overwrite the message, an ESC could restyle the terminal).
std::string printable(std::string_view text);

}  // namespace eplb
