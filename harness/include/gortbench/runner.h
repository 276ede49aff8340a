// gortbench/runner.h — `gort-bench run`: plan, execute, store.
//
// The plan is every (registry entry × GOMAXPROCS × quota) of the suite that
// the filter selects, each with a C++ side (the gort_bench_<sub> binary, one
// process per benchmark instance, so per-process counters belong to one
// instance) and a Go side (the twin's compiled test binary). Repetitions are
// interleaved: every repetition runs every unit once, in an order shuffled
// per repetition (the seed is recorded), so drift hits A and B alike.
//
// The run directory is built under a temporary name next to its final one
// and renamed at the end: an interrupted or failed run leaves nothing. Each
// quota unit runs in its own transient cgroup (QuotaCgroup), removed after
// the process — also on Ctrl-C, a crash of the child, or a timeout.
//
// All input is validated before anything is created; bad input gives one
// line on stderr and exit status 2 (see validate()).
#pragma once

#include <string>
#include <vector>

namespace gortbench {

// RunOptions are `gort-bench run`'s options, as parsed by the CLI.
struct RunOptions {
  std::string suite = "quick";
  std::string filter;             // ECMAScript regex on registry names; "" = all
  std::string procs;              // "default,host,floor,ceil,1,2"; "" = the suite's choice
  std::string pin = "none";
  std::string counters;           // "" = none; "default"; or a list
  std::string quota;              // "none,0.5,1"; "" = the suite's choice
  int reps = 0;                   // 0 = the suite's default (quick 6, full 10)
  int go = -1;                    // -1 = when the toolchain is there; 0 no; 1 required
  std::string out;                // results root; "" = <repo>/results
  bool dry_run = false;
  std::string registry;           // "" = <repo>/harness/benchmarks.json
  std::string bench_dir;          // "" = <build>/benches
  std::string go_twins;           // prebuilt Go twins (see below); "" = build them with go test -c
  std::string bundle_manifest;    // a bundle's manifest.json: commit and build recorded from it
  double timeout_s = 0;           // per process; 0 = the entry's
  std::vector<std::string> argv;  // recorded in run.json
  bool quiet = false;             // no progress lines
};

// run_command executes `run` and returns the process exit status: 0 done,
// 1 done but some benchmark processes failed, 2 bad input, 130/143
// interrupted. On success it prints the run directory on stdout (last line).
int run_command(const RunOptions& opts);

// Prebuilt Go twins (`run --go-twins DIR`, made by `build-go-twins DIR`):
// DIR/<go_twin_file_name(go_dir)> is the test binary of the registry's
// go_dir, and DIR/go-version.txt the `go version` line of the toolchain that
// built them, recorded as the run's go_version. No Go toolchain is needed.
// A twin absent from DIR is a skip; DIR or go-version.txt absent is bad input.
inline constexpr const char* kGoVersionFile = "go-version.txt";

// go_twin_file_name is the file name of go_dir's test binary: go_dir
// (relative to the repository root) with every character other than
// [A-Za-z0-9.-] made '_', cut at 80, then ".test" (benches/go/chan ->
// benches_go_chan.test).
std::string go_twin_file_name(const std::string& go_dir);

// build_go_twins_command compiles every Go twin of the registry into dir
// (created if needed) as `run` would (go test -c, same environment) and
// writes dir/go-version.txt. 0 when all built, 1 when one did not (named on
// stderr), 2 on bad input (no Go toolchain, unreadable registry).
int build_go_twins_command(const std::string& dir, const std::string& registry);

// parse_procs_list / parse_quota_list parse the CLI lists. Procs items are
// integers >= 1 or rules: default (the runtime chooses: 0), host (the CPUs
// this process may use), floor / ceil (of the unit's quota; host without
// one), encoded as the kProcs* values. Quota "none" is 0. False on a
// malformed list. (kProcs* are in registry.h.)

bool parse_procs_list(const std::string& s, std::vector<int>* out);
bool parse_quota_list(const std::string& s, std::vector<double>* out);

}  // namespace gortbench
