// gortbench/compare.h — `gort-bench compare`: two runs (or two
// implementations inside one run), benchmark by benchmark, with the
// statistics of stats.h.
//
// Entries pair up by name and params; "procs" is left out of the key where
// procs_mode is "default" (so runs on machines with different CPU counts,
// or gort vs Go whose defaults differ under a quota, still pair up). A
// header says when the two runs come from different machines.
#pragma once

#include <string>

namespace gortbench {

// CompareOptions are `compare`'s arguments.
struct CompareOptions {
  std::string run_a, run_b;  // run directories (or run.json paths); b empty with impl/vs
  std::string format = "text";  // text|json|go
  std::string impl, vs;         // compare impl vs `vs` inside run_a
};

// compare_command prints the comparison; returns 0, or 2 on bad input.
int compare_command(const CompareOptions& o);

}  // namespace gortbench
