// pinning.cc — pinning policies over an hwloc topology; see pinning.h.
#include "gortbench/pinning.h"

#include <cerrno>
#include <climits>
#include <cstring>

namespace gortbench {

bool parse_pin_policy(std::string_view s, PinPolicy* out) {
  if (s == "none") *out = PinPolicy::kNone;
  else if (s == "compact") *out = PinPolicy::kCompact;
  else if (s == "scatter") *out = PinPolicy::kScatter;
  else if (s == "per-core") *out = PinPolicy::kPerCore;
  else return false;
  return true;
}

const char* to_string(PinPolicy p) {
  switch (p) {
    case PinPolicy::kNone: return "none";
    case PinPolicy::kCompact: return "compact";
    case PinPolicy::kScatter: return "scatter";
    case PinPolicy::kPerCore: return "per-core";
  }
  return "?";
}

namespace {

// first_allowed_pu returns the OS index of the first allowed PU inside obj,
// or -1 when none is allowed.
int first_allowed_pu(hwloc_topology_t topo, hwloc_obj_t obj) {
  hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  hwloc_bitmap_and(set, obj->cpuset, allowed);
  int pu = hwloc_bitmap_first(set);
  hwloc_bitmap_free(set);
  return pu;
}

}  // namespace

std::vector<unsigned> plan_pins(hwloc_topology_t topo, PinPolicy p, int slots) {
  std::vector<unsigned> plan;
  switch (p) {
    case PinPolicy::kNone:
      break;
    case PinPolicy::kCompact: {
      int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
      for (int i = 0; i < n; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i);
        if (first_allowed_pu(topo, pu) >= 0) plan.push_back(pu->os_index);
      }
      break;
    }
    case PinPolicy::kPerCore: {
      int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
      for (int i = 0; i < n; i++) {
        int pu = first_allowed_pu(topo, hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, i));
        if (pu >= 0) plan.push_back(static_cast<unsigned>(pu));
      }
      if (n == 0) return plan_pins(topo, PinPolicy::kCompact, slots);  // no core level
      break;
    }
    case PinPolicy::kScatter: {
      if (slots < 1) slots = 1;
      std::vector<hwloc_bitmap_t> sets(static_cast<size_t>(slots));
      hwloc_obj_t root = hwloc_get_root_obj(topo);
      if (hwloc_distrib(topo, &root, 1, sets.data(), static_cast<unsigned>(slots), INT_MAX, 0) != 0)
        return plan_pins(topo, PinPolicy::kCompact, slots);
      for (auto& s : sets) {
        hwloc_bitmap_and(s, s, hwloc_topology_get_allowed_cpuset(topo));
        int pu = hwloc_bitmap_first(s);
        if (pu >= 0) plan.push_back(static_cast<unsigned>(pu));
        hwloc_bitmap_free(s);
      }
      break;
    }
  }
  return plan;
}

int bind_current_thread(hwloc_topology_t topo, unsigned pu_os, std::string* err) {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  hwloc_bitmap_only(set, pu_os);
  if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) != 0) {
    if (err) *err = std::string("hwloc_set_cpubind(PU ") + std::to_string(pu_os) + "): " + std::strerror(errno);
    hwloc_bitmap_free(set);
    return -1;
  }
  int seen = -1;
  if (hwloc_get_last_cpu_location(topo, set, HWLOC_CPUBIND_THREAD) == 0) seen = hwloc_bitmap_first(set);
  hwloc_bitmap_free(set);
  if (seen < 0 && err) *err = "hwloc_get_last_cpu_location failed";
  return seen;
}

}  // namespace gortbench
