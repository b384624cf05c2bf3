// Provenance of a results directory: git state, build, host and library versions.
//
// The git sha and dirty flag are read at run time from the source tree the binary was built
// from (EPLB_SOURCE_DIR), so they describe the tree as it is when the sweep runs; a binary
// copied elsewhere reports "unknown". The dirty flag ignores untracked files (results/ lives in
// the tree).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eplb {

struct Provenance {
  std::string git_sha = "unknown";  // full sha, or "unknown" outside a git work tree
  std::optional<bool> git_dirty;    // nullopt when git_sha is unknown
  std::string build_type;           // CMAKE_BUILD_TYPE of this binary
  std::string compiler;
  bool sanitizers = false;
  std::string cpu;
  int cores = 0;
  std::string hostname;
  std::string os;
  std::vector<std::pair<std::string, std::string>> libraries;  // name -> version
};

// Collected once per process (git runs twice).
const Provenance& provenance();

// "Release" builds only: timings of other builds are not representative.
bool is_release_build();

// "ab12cd3", "ab12cd3-dirty" or "nogit", used in results directory names.
std::string tree_tag(const Provenance& p);

// Current UTC time as "2025-01-31T12:00:00Z" (compact=false) or "20250131-120000".
std::string utc_now(bool compact);

}  // namespace eplb
