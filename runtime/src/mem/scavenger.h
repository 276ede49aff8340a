// scavenger.h — returning free heap pages to the OS (Go's mgcscavenge.go).
//
// A background worker (a plain OS thread: it never runs goroutine code)
// keeps the heap's resident footprint near a target:
//   retained = heap_sys - heap_released   (committed pages not returned)
//   target   = heap_goal * 1.1            (Go's retained goal: goal + 10%)
// While retained > target it releases the highest free, resident pages,
// up to 64 pages (512 KiB) per step with MADV_DONTNEED, then sleeps 99x as
// long as the step took (its thread CPU time): about 1% of one CPU, as Go
// paces it — 10% while retained is over twice the target, so that RSS falls
// within seconds after the heap shrinks (see scavenger.cc). When there is
// nothing to do it sleeps until heap growth kicks it (or 100 ms pass).
// Releasing the highest addresses first matches the page allocator's
// lowest-first placement: hot pages stay, cold ones go.
//
// The heap goal comes from the GC's pacer through set_heap_goal(); until
// a GC exists it is 4 MiB (Go's minimum heap). GOGC=off-like benchmarks set
// a huge goal so nothing is released under them.
//
// Locks: takes mheap.lock to pick and to return a run, never across the
// madvise() itself (the run is marked in use meanwhile).
#pragma once

#include <cstddef>

namespace gort::mem {

// scavenge_step releases one run of at most max_bytes and returns the bytes
// released (0: nothing free and resident).
std::size_t scavenge_step(std::size_t max_bytes);

// scavenger_note_growth starts the worker on first use and wakes it when
// retained memory exceeds its target; over the memory limit's share it
// releases free pages itself first. Cheap unless over the limit; call after
// the heap grows (a fresh span) or shrinks. REQUIRES: no allocator lock held.
void scavenger_note_growth();

// scavenger_retained_target returns heap_goal * 1.1 in bytes, or less if
// the memory limit allows less (set_retained_limit).
std::size_t scavenger_retained_target();

// set_retained_limit: the most heap memory (heap_sys - heap_released) the
// memory limit leaves the heap (SIZE_MAX: no limit; the GC sets it from
// GOMEMLIMIT at each cycle and each limit change). Over it, the worker
// runs at its catch-up pace, and scavenger_note_growth releases the excess
// synchronously, as Go's allocator does when it would pass the limit.
void set_retained_limit(std::size_t bytes);

}  // namespace gort::mem
