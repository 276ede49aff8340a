// cpulimit.cc — the default GOMAXPROCS: the CPUs this process may use,
// from its affinity mask and the CPU quota of its cgroup and every ancestor
// (cgroup.cc reads them; rounding as Go 1.25: ceil, at least 2 unless the
// affinity allows fewer).
#include <sched.h>

#include "sched/proc.h"
#if __has_include("sched/cgroup.h")
#include "sched/cgroup.h"
#define GORT_HAVE_CGROUP_READER 1
#endif

namespace gort::sched {

int default_gomaxprocs() {
#if defined(GORT_HAVE_CGROUP_READER)
  int n = default_procs(read_cpu_limits("/"));
  if (n > 0) return n;
#endif
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return 1;
}

}  // namespace gort::sched
