// gortbench/quota_cgroup.h — a transient cgroup with a CPU quota, for one
// benchmark process.
//
// v1 (a mounted `cpu` hierarchy, as on this machine):
//   /sys/fs/cgroup/cpu/gort-<harness pid>-<n>/cpu.cfs_{period,quota}_us
// v2 (unified only): /sys/fs/cgroup/gort-<pid>-<n>/cpu.max, after enabling
// +cpu in the root's cgroup.subtree_control.
// Throttling is read from cpu.stat (nr_periods, nr_throttled and
// throttled_time ns in v1, throttled_usec in v2) before and after the run.
//
// Invariant: a QuotaCgroup that created its directory removes it — in
// remove(), in the destructor (any unwinding: errors, interrupts), after
// SIGKILLing whatever is still inside and waiting until it is empty. A
// harness killed by SIGKILL cannot do that; sweep_stale_cgroups() at the next
// start removes gort-<pid>-* whose harness pid is gone. Names always start
// with "gort-" so nothing else is ever touched.
#pragma once

#include <cstdint>
#include <string>

namespace gortbench {

// ThrottleStats is a reading of cpu.stat.
struct ThrottleStats {
  bool ok = false;
  std::int64_t nr_periods = 0;
  std::int64_t nr_throttled = 0;
  std::int64_t throttled_ns = 0;
};

// QuotaCgroup owns one transient cgroup directory.
class QuotaCgroup {
 public:
  QuotaCgroup() = default;
  ~QuotaCgroup();
  QuotaCgroup(const QuotaCgroup&) = delete;
  QuotaCgroup& operator=(const QuotaCgroup&) = delete;

  // base_dir is where transient cgroups are made here ("" if nowhere) and
  // *version which hierarchy (1 or 2).
  static std::string base_dir(int* version);

  // create makes the cgroup with quota `cpus` (> 0) per `period_us`; false
  // with a one-line *err when the kernel refuses (nothing is left behind).
  bool create(double cpus, std::string* err, std::int64_t period_us = 100000);
  // path of the directory; procs_file is its cgroup.procs.
  const std::string& path() const { return path_; }
  std::string procs_file() const { return path_ + "/cgroup.procs"; }
  int version() const { return version_; }
  std::int64_t quota_us() const { return quota_us_; }
  std::int64_t period_us() const { return period_us_; }
  ThrottleStats stats() const;
  // remove kills what is left inside and removes the directory.
  bool remove(std::string* err);

 private:
  std::string path_;
  int version_ = 0;
  std::int64_t quota_us_ = -1, period_us_ = 100000;
};

// sweep_stale_cgroups removes gort-<pid>-* cgroups whose pid is not alive;
// returns how many it removed.
int sweep_stale_cgroups();

// cgroup_exists reports whether a directory exists (for tests).
bool cgroup_exists(const std::string& path);

}  // namespace gortbench
