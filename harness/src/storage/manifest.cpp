// Provenance collection for manifest.json; see manifest.hpp.
#include "eplb/storage/manifest.hpp"

#include <fmt/core.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <Eigen/Core>
#include <array>
#include <boost/version.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "eplb/build_identity.hpp"
#include "eplb/storage/files.hpp"

namespace eplb {
namespace {

// stdout of a shell command, or nullopt when it fails.
std::optional<std::string> capture(const std::string& command) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 512> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 2));
    }
  }
  return "unknown";
}

Provenance collect() {
  Provenance p;
  p.git_sha = EPLB_GIT_SHA;
  if (p.git_sha != "unknown" && EPLB_GIT_DIRTY >= 0) p.git_dirty = EPLB_GIT_DIRTY == 1;
  p.diff_hash = EPLB_GIT_DIFF_HASH;
  p.build_type = EPLB_BUILD_TYPE;
  p.compiler = EPLB_COMPILER;
  p.sanitizer_flags = EPLB_SANITIZER_FLAGS;
  p.sanitizers = !p.sanitizer_flags.empty();
#if defined(__SANITIZE_ADDRESS__)
  p.sanitizers = true;
  if (p.sanitizer_flags.empty()) p.sanitizer_flags = "address";
#endif
  p.cpu = cpu_model();
  p.cores = static_cast<int>(std::thread::hardware_concurrency());
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) p.hostname = host.data();
  struct utsname u {};
  if (::uname(&u) == 0) p.os = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  p.libraries = {
      {"eigen",
       fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
      {"fmt",
       fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
      {"boost", fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                            BOOST_VERSION % 100)},
      {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                    NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)},
  };
  if (auto v = capture("gnuplot --version 2>/dev/null")) {
    p.libraries.emplace_back("gnuplot", trim(*v));
  } else {
    p.libraries.emplace_back("gnuplot", "not found");
  }
  return p;
}

}  // namespace

const Provenance& provenance() {
  static const Provenance p = collect();
  return p;
}

std::string build_identity(const Provenance& p) {
  std::string tree = p.git_sha;
  if (p.git_dirty.value_or(false)) tree += "-dirty." + p.diff_hash;
  return fmt::format("{} {}{}", tree, p.build_type.empty() ? "unknown-build-type" : p.build_type,
                     p.sanitizers ? " +sanitize=" + p.sanitizer_flags : "");
}

bool is_release_build() { return std::string_view(EPLB_BUILD_TYPE) == "Release"; }

std::string tree_tag(const Provenance& p) {
  if (p.git_sha == "unknown") return "nogit";
  return p.git_sha.substr(0, 7) + (p.git_dirty.value_or(false) ? "-dirty" : "");
}

std::string utc_now(bool compact) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::array<char, 32> buffer{};
  std::strftime(buffer.data(), buffer.size(), compact ? "%Y%m%d-%H%M%S" : "%Y-%m-%dT%H:%M:%SZ",
                &tm);
  return buffer.data();
}

}  // namespace eplb
