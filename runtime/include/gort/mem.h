// gort/mem.h — the heap allocator's public face (Go's mallocgc, the
// allocator half of runtime.MemStats, and the knobs the GC drives).
//
//   auto* p = static_cast<Node*>(gort::mem::alloc(sizeof(Node), /*scan=*/true));
//
// Memory from alloc() is zeroed, aligned to 8 bytes (16 when the size class is
// a multiple of 16, i.e. from 32 B up, and to
// the size class for powers of two), and never freed explicitly: the GC (or
// release_all() in tests and benchmarks) reclaims what is not marked.
// alloc() may be called from goroutines (per-P caches, no locks on the fast
// path) and from any other thread (a shared, locked cache).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::mem {

// alloc returns size zeroed bytes. scan says whether the object may hold
// GC pointers (false: a noscan span the GC never scans; pointer-free
// objects under 16 bytes are packed together by the tiny allocator).
// A zero size returns the same non-null address every time, as Go does.
// A size no heap could hold panics ("runtime error: ... out of range").
void* alloc(std::size_t size, bool scan);

// alloc_array returns n * elem_size zeroed bytes; when the product
// overflows or exceeds the heap's limit it panics with Go's
// "runtime error: makeslice: len out of range".
void* alloc_array(std::size_t n, std::size_t elem_size, bool scan);

// rounded_size returns how many bytes a request of `size` really gets
// (its size class, or whole pages): append growth rounds capacity with it.
std::size_t rounded_size(std::size_t size);

// usable_size returns the size of the object holding p (0: not heap).
std::size_t usable_size(const void* p);

// Stats is a lock-free read of the allocator's counters, per tier. Each
// field is exact; fields are read one by one, not as one snapshot.
struct Stats {
  // mcache tier (fast path)
  std::uint64_t mallocs;         // small objects handed out from mcache spans
  std::uint64_t tiny_allocs;     // tiny requests packed into an existing block
  std::uint64_t mcache_refills;  // spans an mcache took from an mcentral
  // mcentral tier
  std::uint64_t central_cache_spans;  // refills served
  std::uint64_t central_grows;        // ... of which needed a fresh span from mheap
  // mheap tier
  std::uint64_t heap_span_allocs;     // spans allocated (small + large)
  std::uint64_t heap_span_frees;
  std::uint64_t large_allocs;
  std::uint64_t heap_grows;           // times the heap took memory from the OS
  // sweeping
  std::uint64_t swept_spans;
  std::uint64_t freed_objects;
  std::uint64_t freed_bytes;
  // bytes
  std::uint64_t total_alloc_bytes;    // cumulative bytes handed out (rounded)
  std::int64_t heap_live;             // bytes in live objects + cached spans' free slots
  std::uint64_t heap_in_use;          // bytes of pages in spans
  std::uint64_t heap_idle;            // bytes of free pages (released included)
  std::uint64_t heap_released;        // bytes of free pages returned to the OS
  std::uint64_t heap_sys;             // bytes of heap address space committed
  std::uint64_t arena_reserved;       // bytes of address space reserved
  std::uint64_t metadata_bytes;       // spans, arena maps, mcaches
  std::uint64_t spans_in_use;
  // scavenger
  std::uint64_t scavenged_bytes;      // cumulative bytes returned to the OS
  std::uint64_t heap_goal;            // what the scavenger retains for (+10%)
};
Stats read_stats();

// release_all frees every heap object (a sweep with no marks) and returns
// empty spans to the page heap — the "sweep hook" tests and benchmarks use
// until the GC drives sweeping. REQUIRES: nothing else allocating or
// touching heap objects meanwhile.
void release_all();

// set_heap_goal tells the scavenger the GC's heap goal (default 4 MiB);
// it keeps heap_goal + 10% of memory resident and releases the rest.
void set_heap_goal(std::uint64_t bytes);
std::uint64_t heap_goal();

// scavenge releases up to `bytes` of free heap memory to the OS now, on
// the calling thread, and returns how much it released (debug.FreeOSMemory
// when bytes is SIZE_MAX).
std::size_t scavenge(std::size_t bytes);

}  // namespace gort::mem
