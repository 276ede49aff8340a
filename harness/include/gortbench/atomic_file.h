// gortbench/atomic_file.h — files that are either wholly old or wholly new.
//
// write_file_atomic writes to a temporary file in the same directory, fsyncs
// it, renames it over the target and fsyncs the directory: a crash or kill at
// any point leaves either the previous file or the complete new one, plus at
// most a `.<name>.tmp.<pid>` that the next write replaces.
#pragma once

#include <string>

namespace gortbench {

// write_file_atomic replaces `path` with `data`; false with *err on failure
// (the previous file is then untouched).
bool write_file_atomic(const std::string& path, const std::string& data, std::string* err);

// fsync_dir fsyncs a directory so a rename inside it is durable.
bool fsync_dir(const std::string& dir);

}  // namespace gortbench
