// gortbench/bench_output.h — reading what benchmark processes print, and
// writing the run in the formats other tools read.
//
// Google Benchmark JSON (--benchmark_format=json) and Go's benchmark text
// format (`BenchmarkName/k=v-P  N  123 ns/op  4 B/op  7 p99_ns`) are turned
// into Samples: one measurement of one benchmark instance, named as in
// docs/results-schema.md (base name + params; `impl:` in a C++ name or the
// `impl` param selects the implementation, default gort; Go's -P suffix is
// GOMAXPROCS).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gortbench {

// Sample is one repetition of one benchmark instance.
struct Sample {
  std::string name;          // base name ("ChanPingPong")
  std::string impl;          // gort, go, os, ...
  nlohmann::json params;     // from the name: {"size": 64, ...}
  double ns_per_op = 0;
  double iterations = 0;
  nlohmann::json metrics;    // extra per-op figures: {"p99_late_ns": 123, ...}
  nlohmann::json raw;        // the entry as printed
  std::string raw_name;      // the full name as printed
  bool procs_in_name = false;  // the benchmark sets GOMAXPROCS itself (procs:N / procs=N)
};

// parse_gbench_json reads Google Benchmark JSON output; errored runs are
// returned in *errors ("name: message"). False when the text is not JSON.
bool parse_gbench_json(const std::string& text, std::vector<Sample>* out,
                       std::vector<std::string>* errors, nlohmann::json* context);

// parse_go_bench reads `go test -bench` output (other lines are ignored).
std::vector<Sample> parse_go_bench(const std::string& text);

// parse_gc_trace reads a benchmark process's stderr for its GC cycles
// (docs/results-schema.md, "series"): Go's gctrace lines (GODEBUG=gctrace=1;
// libgort prints the same format), the Boehm baseline's own
// "boehm gc N @Ts: S ms stop, A->B MB in use, H MB heap" lines (live_mb from
// the "In-use heap: ..." line Boehm prints before it under GC_PRINT_STATS=1,
// else null), and the markers
// the GC benchmarks print beside them: "gort-bench run" when a run of the
// benchmark function starts (Google Benchmark's calibration runs and the
// measured one, which is the last) and "gort-bench window begin|end" around
// a measured window. Every cycle gets `run` (run markers seen before it)
// and `measured`: in the last run and, when the process printed window
// markers, inside a window. Null when the text holds no cycle line.
nlohmann::json parse_gc_trace(const std::string& text);

// split_bench_name splits "Name/k:v/k2=v2-8" into base and params; *procs
// gets Go's -P suffix when `go_suffix` (else 0).
std::string split_bench_name(const std::string& full, bool go_suffix, nlohmann::json* params, int* procs);

// go_bench_text renders a run.json document in Go's benchmark format, one
// line per repetition, grouped by `impl:` configuration lines.
std::string go_bench_text(const nlohmann::json& run);

// gbench_json renders a run.json document as Google Benchmark JSON (for
// compare.py): C++ entries as printed, Go entries converted.
nlohmann::json gbench_json(const nlohmann::json& run);

}  // namespace gortbench
