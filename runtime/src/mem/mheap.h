// mheap.h — the page heap (Go's mheap): arenas, the page allocator, span
// structs, the mcentrals, and the heap's sweep generation.
//
// mheap hands out spans — runs of pages — to mcentrals (small-object spans)
// and straight to malloc (large objects, > 32 KiB), and takes them back when
// a sweep finds them empty. When the page allocator has no fit it grows:
// first by committing more 4 MiB chunks of the current arena, then by
// reserving a new 64 MiB arena (bigger when one object needs it).
//
// Lock: MHeap::lock (rank mheap) guards the page allocator, the span pool,
// the arena list and the page-to-span map writes. Nothing else is taken
// while it is held (sysmem calls are syscalls, not locks). The scavenger
// drops it around madvise().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/mcentral.h"
#include "mem/pagealloc.h"
#include "mem/sizeclasses.h"
#include "mem/span.h"
#include "sched/lock.h"

namespace gort::mem {

class MHeap {
 public:
  constexpr MHeap() = default;

  // alloc_small_span returns a fresh span for span class spc, initialised
  // and mapped, with needzero telling whether its memory may be dirty.
  Span* alloc_small_span(SpanClass spc);
  // alloc_large_span returns a span of npages pages holding one object of
  // span class spc (size class 0), filed on its mcentral's swept full list.
  Span* alloc_large_span(std::size_t npages, SpanClass spc);
  // free_span returns an empty span's pages to the page allocator.
  void free_span(Span* s);

  // central returns span class spc's mcentral.
  MCentral& central(SpanClass spc) { return central_[spc]; }

  // Byte figures (lock-free reads).
  std::size_t mapped_bytes() const { return pages.total_pages() * kPageSize; }
  std::size_t free_bytes() const { return pages.free_pages() * kPageSize; }
  std::size_t released_bytes() const { return pages.released_pages() * kPageSize; }

  // check runs the page allocator's validator under the lock.
  bool check(const char** why);

  // sweepgen: +2 per GC cycle (see span.h for what a span's sweepgen means
  // relative to it). Written only with the world stopped (or, in tests,
  // with nothing allocating).
  std::atomic<std::uint32_t> sweepgen{4};

  sched::Lock lock;   // see the file comment
  PageAlloc pages;    // guarded by lock

 private:
  Span* alloc_span_locked(std::size_t npages, bool* needzero);
  bool grow_locked(std::size_t npages);
  Span* new_span_struct_locked();

  MCentral central_[kNumSpanClasses];
  Span* span_pool_ = nullptr;         // free Span structs (linked by next)
  std::uintptr_t cur_region_ = 0;     // arena region being grown chunk by chunk
};

extern constinit MHeap g_heap;

// sweep_span sweeps a span claimed for sweeping (sweepgen == h - 1): frees
// its unmarked objects (poisoning them under ASan) and updates the counters.
// preserve: the caller (an mcache refill) keeps the span. Otherwise an empty
// span goes back to mheap and any other to its mcentral's swept lists.
// Returns the number of objects freed.
std::size_t sweep_span(Span* s, bool preserve);

}  // namespace gort::mem
