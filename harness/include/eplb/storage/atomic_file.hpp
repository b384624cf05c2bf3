// Crash-safe file writing: content goes to a temporary file in the same directory, is flushed,
// and is renamed over the target (atomic on POSIX), so a reader never sees a half-written file and
// an interrupted write leaves the previous version intact.
#pragma once

#include <string>
#include <string_view>

namespace eplb {

// Throws InputError naming the path on any failure (the temporary file is removed).
void write_file_atomic(const std::string& path, std::string_view content);

}  // namespace eplb
