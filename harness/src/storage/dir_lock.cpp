// flock-based directory lock; see dir_lock.hpp.
#include "eplb/storage/dir_lock.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "eplb/error.hpp"
#include "eplb/storage/files.hpp"

namespace eplb {

DirectoryLock::DirectoryLock(const std::filesystem::path& dir, Mode mode, const char* command) {
  make_directories(dir);
  const std::filesystem::path path = dir / ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  const int op = (mode == Mode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  if (::flock(fd_, op) != 0) {
    const int err = errno;
    std::string holder;
    char buffer[256] = {};
    const ssize_t n = ::pread(fd_, buffer, sizeof buffer - 1, 0);
    if (n > 0) holder = printable(std::string(buffer, static_cast<std::size_t>(n)));
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) {
      throw Error(fmt::format("cannot lock {}: {}", path.string(), std::strerror(err)));
    }
    throw InputError(fmt::format(
        "{} is in use by another eplb command ({}); wait for it to finish, or give this one "
        "another directory",
        dir.string(), holder.empty() ? "unknown" : holder));
  }
  if (mode == Mode::kExclusive) {
    // Who holds it, for the message above; the lock itself is the flock, not this text.
    const std::string text = fmt::format("eplb {}, pid {}", command, ::getpid());
    if (::ftruncate(fd_, 0) == 0) {
      (void)!::pwrite(fd_, text.data(), text.size(), 0);
    }
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace eplb
