// File helpers for results directories (atomic writes themselves are in atomic_file.hpp).
//
// Every file the harness writes goes through `write_file_atomic` (temporary file `<path>.tmp.<pid>`
// + fsync + rename), so a process killed at any moment (SIGKILL, Slurm preemption, the OOM killer)
// leaves either the old file or the new one, never a torn one; at worst a stray temporary file,
// which `remove_temp_files` deletes on the next run.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace eplb {

// Whole file as text. Throws InputError naming the path when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

// Deletes leftovers of interrupted atomic writes in `dir` (not recursive), except those of a
// process that is still alive (two shards sharing a directory). Returns the count.
int remove_temp_files(const std::filesystem::path& dir);

// The temporary name this process uses for `path` (atomic_file.hpp's convention), for outputs
// written by other programs (gnuplot) before they are renamed into place.
std::filesystem::path temp_path_for(const std::filesystem::path& path);

// `text` as one single-quoted POSIX shell word (for popen/system command lines).
std::string shell_word(std::string_view text);

// Creates `dir` and its parents; throws Error naming it on failure.
void make_directories(const std::filesystem::path& dir);

}  // namespace eplb
