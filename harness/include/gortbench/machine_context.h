// gortbench/machine_context.h — what the machine is and how it is set up,
// for `gort-bench topology` and for every run's `context` (see
// docs/results-schema.md for the field names, which the reports read).
//
// Hardware shape comes from hwloc (packages, cores, PUs, caches, NUMA, the
// allowed cpuset, the topology as XML); CPU limits from
// gort::sched::read_cpu_limits (cgroup leaf and every ancestor) and the
// GOMAXPROCS libgort would choose; counter availability by actually opening
// each event; the rest from /proc and /sys (governor, turbo, SMT, ASLR,
// perf_event_paranoid, NMI watchdog, kernel, CPU model, microcode, load).
// Nothing here fails: what cannot be read is recorded as null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gortbench {

// ContextOptions selects the costlier parts.
struct ContextOptions {
  bool topology_xml = true;  // embed hwloc's XML export
  bool build_info = true;    // compiler, flags, build type, git, Go version
  std::string source_dir;    // for git (default: the configured source dir)
  // From a bundle (scripts/bundle.sh), which has neither the git tree nor Go:
  std::string go_version;    // recorded instead of the local `go version` when set
  nlohmann::json bundle;     // its manifest: git commit/dirty from it, kept as "bundle"
};

// machine_context gathers the context object of run.json.
nlohmann::json machine_context(const ContextOptions& opts);

// render_topology formats a context for people (gort-bench topology).
std::string render_topology(const nlohmann::json& ctx);

// read_trimmed reads a small file's content without trailing blanks; empty
// (and *ok false) when unreadable.
std::string read_trimmed(const std::string& path, bool* ok = nullptr);

// command_output runs argv (no shell) and returns its first line of stdout,
// or "" when it cannot run.
std::string command_output(const std::vector<std::string>& argv);

}  // namespace gortbench
