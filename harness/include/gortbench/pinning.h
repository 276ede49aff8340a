// gortbench/pinning.h — pinning policies: which PU each M is bound to.
//
// plan_pins is a pure function of a loaded hwloc topology (real, synthetic
// or XML), so the policies are tested for machines we do not have. The plan
// is a list of PU OS indices; M id k uses plan[k % plan.size()], so Ms past
// the plan (sysmon, Ms blocked in syscalls) wrap around.
//   compact   consecutive PUs in logical order (SMT siblings first)
//   per-core  the first PU of every core: SMT siblings stay idle
//   scatter   hwloc_distrib over the machine for `slots` items, one PU each:
//             items land as far apart as the tree allows (packages, then
//             cores, then PUs)
//   none      empty plan: nothing is bound
#pragma once

#include <hwloc.h>

#include <string>
#include <string_view>
#include <vector>

namespace gortbench {

// PinPolicy names a pinning policy (see the file comment).
enum class PinPolicy { kNone, kCompact, kScatter, kPerCore };

// parse_pin_policy accepts none|compact|scatter|per-core.
bool parse_pin_policy(std::string_view s, PinPolicy* out);
// to_string names a policy as parse_pin_policy accepts it.
const char* to_string(PinPolicy p);

// plan_pins returns the PU OS indices M ids 0,1,... bind to. `slots` is the
// number of Ms expected to run Go code at once (GOMAXPROCS); it only matters
// for scatter. Only allowed PUs are used.
std::vector<unsigned> plan_pins(hwloc_topology_t topo, PinPolicy p, int slots);

// bind_current_thread binds the calling thread to PU `pu_os` and returns the
// PU it then runs on (hwloc_get_last_cpu_location), or -1 with *err set.
int bind_current_thread(hwloc_topology_t topo, unsigned pu_os, std::string* err);

}  // namespace gortbench
