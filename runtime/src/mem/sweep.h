// sweep.h — the allocator's half of sweeping: turning a finished mark into
// free slots and free pages (Go's mgcsweep.go, the span side).
//
// A cycle, driven by the GC (or by release_all() until the GC exists):
//   1. with the world stopped: flush_all_mcaches(); start_sweep_cycle()
//      (finishes any sweep still pending, then sweepgen += 2: every span on
//      an mcentral list becomes unswept at once);
//   2. concurrently: sweep_one() until it returns false — each call claims
//      one unswept span from some mcentral and sweeps it; mcache refills
//      sweep what they take, too.
// Marks clear on every object = everything is freed: that is release_all().
#pragma once

#include <atomic>
#include <cstddef>

namespace gort::mem {

// g_poison_freed: sweeping fills freed objects with 0xdb (GODEBUG=gcpoison=1).
extern std::atomic<bool> g_poison_freed;

// flush_all_mcaches returns every mcache's spans to the mcentrals and
// drops their tiny blocks. REQUIRES: no goroutine allocating concurrently
// (the world stopped, or a quiescent test).
void flush_all_mcaches();
// start_sweep_cycle finishes the previous sweep and begins a new one.
// REQUIRES: as flush_all_mcaches, and marks complete for every span.
void start_sweep_cycle();
// sweep_one sweeps one span; false when none is left to sweep.
bool sweep_one();
// sweep_all sweeps until nothing is left and returns the spans swept.
std::size_t sweep_all();

}  // namespace gort::mem
