// gortbench/registry.h — the benchmark registry: harness/benchmarks.json.
//
// One entry per benchmark (a C++ Google Benchmark family and/or its Go
// twin). Adding a benchmark is adding one object to that file; see
// harness/README.md. Unknown keys are errors (they are usually typos), so a
// registry that loads is one the runner understands.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gortbench {

// GOMAXPROCS rules (items of --procs and full_procs besides integers >= 1):
// the runtime's default, the CPUs this process may use, floor / ceil of the
// unit's quota (host without one).
inline constexpr int kProcsDefault = 0, kProcsHost = -1, kProcsFloor = -2, kProcsCeil = -3;

// parse_procs_item parses one such item; false when it is neither.
bool parse_procs_item(const std::string& s, int* out);

// BenchSpec is one registry entry.
struct BenchSpec {
  std::string name;       // shared name of the C++ benchmark and its Go twin
  std::string subsystem;  // sched|chan|sync|mem|gc|lang|timer|quota|...
  std::optional<int> claim;
  std::vector<std::string> impls;  // what the entry measures (documentation + list)
  std::string impl;       // impl of the C++ side's samples unless the name says impl:X; default gort
  std::string binary;     // C++ binary in <build>/benches, e.g. gort_bench_sched; "" none
  std::string filter;     // --benchmark_filter; default "^<name>(/|$)"
  std::string min_time;   // --benchmark_min_time (seconds); default "0.1"
  std::string go_dir;     // Go package dir relative to the repo root; "" none
  std::string go_bench;   // -test.bench regex; default "^Benchmark<name>$"
  std::string benchtime;  // -test.benchtime; default "100ms"
  std::vector<std::string> suites;      // "quick" and/or "full"
  std::vector<int> full_procs;          // GOMAXPROCS sweep in the full suite (ints
                                        // >= 1 or "host"/"floor"/"ceil"/"default")
  std::vector<double> full_quotas;      // quota sweep (CPUs) in the full suite
  std::vector<std::pair<std::string, std::string>> env;  // extra env (GOGC=...)
  int timeout_s = 300;    // per process
  std::string note;

  bool in_suite(const std::string& s) const;
  bool has_cxx() const { return !binary.empty(); }
  bool has_go() const { return !go_dir.empty(); }
};

// load_registry reads and validates a registry file; false with a one-line
// *err naming the file, entry and key on failure.
bool load_registry(const std::string& path, std::vector<BenchSpec>* out, std::string* err);

// parse_registry does the same from a parsed document.
bool parse_registry(const nlohmann::json& doc, const std::string& what, std::vector<BenchSpec>* out,
                    std::string* err);

}  // namespace gortbench
