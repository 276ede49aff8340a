// stack.h — goroutine stacks: reserved with mmap, committed lazily by the
// kernel on first touch, a PROT_NONE guard page below, cached for reuse.
//
// Layout of one stack mapping (addresses grow upward):
//
//   map_base            lo                                   hi
//   | guard (PROT_NONE) | usable, committed on first touch  |
//
// A goroutine that runs past `lo` faults on the guard page; the SIGSEGV
// handler (sched/signal.cc) finds the goroutine whose guard contains the
// address and reports "goroutine N: stack overflow".
//
// Guard pages split mappings (two per stack), and vm.max_map_count (65530
// by default) caps mappings per process, so guarded stacks are budgeted to
// a quarter of it (about 8k live goroutines by default). Past that, or when
// mmap or mprotect fails with ENOMEM anyway, stacks come from unguarded
// slabs: one mapping holds kSlabStacks stacks,
// each with a canary word at `lo` checked at every switch out of the
// goroutine, so an overflow is reported as soon as the canary is found dead
// rather than by a fault. Slab stacks are never unmapped one by one (that
// would split the mapping again); they are recycled. Stats say how many
// stacks had no guard.
//
// Reuse: a dead goroutine's stack goes to its P's cache (no lock), spilling
// half to a global pool (stack lock) when the cache is full; the pool unmaps
// beyond its limit. Pages a stack touched stay committed while cached, so a
// reused stack costs no page faults; stacks returned to the pool with more
// than kRetainBytes touched are trimmed with MADV_DONTNEED.
//
// Locks: stack pool lock (rank: stackpool), a leaf.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::stack {

inline constexpr std::uint64_t kCanary = 0x90d7'57ac'0ff1'ce00ull;

struct Stack {
  std::uintptr_t lo = 0;  // lowest usable address
  std::uintptr_t hi = 0;  // one past the highest usable address
  void* map_base = nullptr;
  std::size_t map_size = 0;
  bool guarded = false;
  bool from_slab = false;  // part of an unguarded slab (never unmapped alone)
  std::size_t cls = 0;     // the (page-rounded) size asked for: reuse key

  std::size_t size() const { return hi - lo; }
  bool valid() const { return map_base != nullptr; }
  // canary_ok: false once an unguarded stack has been overrun.
  bool canary_ok() const { return guarded || *reinterpret_cast<const std::uint64_t*>(lo) == kCanary; }
};

// alloc returns a stack with at least `size` usable bytes, from the cache of
// P `pid` when pid >= 0. Fatal on out of memory.
Stack alloc(std::size_t size, int pid);
// free gives s back (to P `pid`'s cache when pid >= 0).
void free(const Stack& s, int pid);
// release_all unmaps every cached stack (at runtime shutdown).
void release_all();

// in_guard reports whether addr lies in s's guard page.
inline bool in_guard(const Stack& s, std::uintptr_t addr) {
  return s.guarded && addr >= reinterpret_cast<std::uintptr_t>(s.map_base) && addr < s.lo;
}

struct Stats {
  std::uint64_t mapped = 0;        // stacks currently mapped (in use or cached)
  std::uint64_t in_use = 0;        // stacks handed out
  std::uint64_t unguarded = 0;     // stacks made without a guard page
  std::uint64_t cache_hits = 0;    // allocs served by a P cache
};
Stats stats();

// page_size is the OS page size.
std::size_t page_size();
// bytes_in_use: bytes of stacks currently given to goroutines.
std::size_t bytes_in_use();

}  // namespace gort::stack
