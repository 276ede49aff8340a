// cgroup.h — the CPU limits this process runs under: its affinity mask and
// the CPU quota of its cgroup and of every ancestor cgroup.
//
// read_cpu_limits reads, all prefixed with `root` so tests can pass a fake
// tree: proc/self/status (Cpus_allowed_list), proc/self/cgroup (which cgroup
// the process is in, per hierarchy), proc/self/mountinfo (where each
// hierarchy is mounted and which part of it the mount shows), then the quota
// files of the leaf cgroup and of every ancestor up to the mount's root:
//   v1 (the hierarchy with the `cpu` controller): cpu.cfs_quota_us and
//      cpu.cfs_period_us; quota -1 means none;
//   v2 (the unified hierarchy, used when no v1 `cpu` hierarchy is mounted):
//      cpu.max, "max PERIOD" or "QUOTA PERIOD".
// The tightest quota of the chain is the limit: a parent's limit caps its
// children even when theirs is looser or unset (Go 1.25 and automaxprocs read
// only the leaf and miss it). Missing or unreadable files mean "no limit";
// nothing here throws or aborts. Not for signal handlers (it allocates); the
// scheduler calls it at startup and sysmon calls it about once a second.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gort::sched {

// CgroupCpuLimit is one cgroup of the chain. quota_us < 0: no quota.
struct CgroupCpuLimit {
  std::string path;  // cgroup path inside its hierarchy, e.g. "/kubepods/pod1"
  int version;       // 1 or 2
  std::int64_t quota_us;
  std::int64_t period_us;
};

// CpuLimits is everything that bounds the CPUs this process may use.
struct CpuLimits {
  int affinity_cpus;                  // CPUs in Cpus_allowed_list (>= 1)
  int cgroup_version;                 // 0: no cgroup CPU controller found
  std::vector<CgroupCpuLimit> chain;  // leaf first, then every ancestor
  double quota_cpus;                  // tightest quota/period; <= 0: none
};

// read_cpu_limits reads the limits under `root` ("/" is the real machine).
CpuLimits read_cpu_limits(const std::string& root = "/");

// default_procs is GOMAXPROCS as libgort chooses it, rounded as Go 1.25 does:
// ceil(quota_cpus), at least 2 unless the affinity allows fewer, never above
// affinity_cpus. Without a quota it is affinity_cpus.
int default_procs(const CpuLimits& l);

// parse_cpu_list counts the CPUs in a list such as "0-3,8,10-11"; 0 when the
// list is malformed or empty.
int parse_cpu_list(const std::string& s);

}  // namespace gort::sched
