// An advisory lock on a results directory (flock on <dir>/.lock), so that two `eplb run`,
// `merge` or `report` commands never write one directory at once: both would evaluate the same
// runs, and the later manifest write would drop the other's session.
#pragma once

#include <filesystem>

namespace eplb {

class DirectoryLock {
 public:
  enum class Mode { kExclusive, kShared };  // writers / readers (merge reads its shards)

  // Creates `dir` if needed and takes the lock without waiting. Throws InputError naming the
  // directory, the command holding it (pid and command line, as it wrote them into .lock) and
  // what to do, when another process holds it.
  DirectoryLock(const std::filesystem::path& dir, Mode mode, const char* command);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace eplb
