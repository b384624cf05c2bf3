// Provenance of a results directory: git state, build, host and library versions.
//
// The git sha, dirty flag and a hash of the uncommitted diff are captured at BUILD time
// (harness/build_identity.cmake regenerates a header on every build), so they describe the
// sources this binary was compiled from, whatever the tree holds when the sweep runs. The dirty
// flag ignores untracked files (results/ lives in the tree).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eplb {

struct Provenance {
  std::string git_sha = "unknown";  // full sha, or "unknown" outside a git work tree
  std::optional<bool> git_dirty;    // nullopt when git_sha is unknown
  std::string diff_hash;            // first 12 hex digits of sha1(git diff HEAD) when dirty
  std::string build_type;           // CMAKE_BUILD_TYPE of this binary
  std::string compiler;
  bool sanitizers = false;
  std::string sanitizer_flags;  // e.g. "address,undefined"; empty without sanitizers
  std::string cpu;
  int cores = 0;
  std::string hostname;
  std::string os;
  std::vector<std::pair<std::string, std::string>> libraries;  // name -> version
};

// Collected once per process (git runs twice).
const Provenance& provenance();

// "<sha>[-dirty.<diff hash>] <build type>[ +sanitize=<flags>]": two binaries with the same
// identity give the same plans and comparable plan times. Resuming into a results directory
// written by another identity is refused (experiment.cpp).
std::string build_identity(const Provenance& p);

// "Release" builds only: timings of other builds are not representative.
bool is_release_build();

// "ab12cd3", "ab12cd3-dirty" or "nogit", used in results directory names.
std::string tree_tag(const Provenance& p);

// Current UTC time as "2025-01-31T12:00:00Z" (compact=false) or "20250131-120000".
std::string utc_now(bool compact);

}  // namespace eplb
