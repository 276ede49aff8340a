// mheap.cc — the page heap. See mheap.h.
#include "mem/mheap.h"

#include <new>

#include "debug/fatal.h"
#include "mem/arena.h"
#include "mem/asan.h"
#include "mem/mstats.h"
#include "mem/sysmem.h"

namespace gort::mem {

constinit MHeap g_heap;
constinit TierCounters g_counters;

Span* MHeap::new_span_struct_locked() {
  if (span_pool_ == nullptr) {
    // Span structs are carved from 256 KiB metadata blocks and recycled,
    // never unmapped: a lock-free span_of() may read a dead one, never a
    // freed one.
    constexpr std::size_t kBlock = 256 << 10;
    auto* raw = static_cast<char*>(sys::alloc_metadata(kBlock));
    g_counters.metadata_bytes.fetch_add(kBlock, std::memory_order_relaxed);
    for (std::size_t off = 0; off + sizeof(Span) <= kBlock; off += sizeof(Span)) {
      Span* s = ::new (raw + off) Span();
      s->next = span_pool_;
      span_pool_ = s;
    }
  }
  Span* s = span_pool_;
  span_pool_ = s->next;
  s->next = nullptr;
  return s;
}

bool MHeap::grow_locked(std::size_t npages) {
  const std::size_t nchunks = (npages + kChunkPages - 1) / kChunkPages;
  std::uintptr_t end = 0;
  if (cur_region_ != 0 && pages.room(cur_region_, &end) >= nchunks) {
    sys::commit(reinterpret_cast<void*>(end), nchunks * kChunkBytes);
    pages.grow(cur_region_, nchunks);
    g_counters.heap_grows.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  const std::size_t bytes = (nchunks * kChunkBytes + kArenaBytes - 1) & ~(kArenaBytes - 1);
  const std::uintptr_t base = reserve_arenas(bytes);
  if (base == 0) return false;
  g_counters.arena_reserved_bytes.fetch_add(bytes, std::memory_order_relaxed);
  g_counters.metadata_bytes.fetch_add(bytes / kArenaBytes * sizeof(HeapArena), std::memory_order_relaxed);
  pages.add_region(base, bytes / kChunkBytes);
  sys::commit(reinterpret_cast<void*>(base), nchunks * kChunkBytes);
  pages.grow(base, nchunks);
  // Later growth continues in the arena with the most room left.
  std::uintptr_t dummy;
  if (cur_region_ == 0 || pages.room(base, &dummy) >= pages.room(cur_region_, &dummy)) cur_region_ = base;
  g_counters.heap_grows.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Span* MHeap::alloc_span_locked(std::size_t npages, bool* needzero) {
  std::uintptr_t base = pages.alloc(npages, needzero);
  if (base == 0) {
    if (!grow_locked(npages)) {
      debug::fatalf("runtime: out of memory: cannot allocate %zu-byte block", npages * kPageSize);
    }
    base = pages.alloc(npages, needzero);
    GORT_CHECK(base != 0, "mheap: no fit right after growing");
  }
  Span* s = new_span_struct_locked();
  s->base = base;
  s->npages = npages;
  s->needzero = *needzero;
  g_counters.heap_span_allocs.fetch_add(1, std::memory_order_relaxed);
  g_counters.spans_in_use.fetch_add(1, std::memory_order_relaxed);
  return s;
}

Span* MHeap::alloc_small_span(SpanClass spc) {
  const SizeClassInfo& ci = class_info(span_class_size(spc));
  bool dirty = false;
  Span* s;
  {
    sched::LockGuard g(lock);
    s = alloc_span_locked(ci.npages, &dirty);
    s->init_small(s->base, spc);
    s->needzero = dirty;
    s->sweepgen.store(sweepgen.load(std::memory_order_relaxed), std::memory_order_relaxed);
    s->state.store(SpanState::kInUse, std::memory_order_relaxed);
    set_span_map(s->base, s->npages, s);
  }
  // Free slots are poisoned until handed out.
  asan_unpoison(s->base, s->npages * kPageSize);
  asan_poison(s->base, s->npages * kPageSize);
  return s;
}

Span* MHeap::alloc_large_span(std::size_t npages, SpanClass spc) {
  bool dirty = false;
  Span* s;
  {
    sched::LockGuard g(lock);
    s = alloc_span_locked(npages, &dirty);
    s->init_large(s->base, npages, spc);
    s->needzero = dirty;
    s->freeindex = 1;  // the one object is handed out at once
    s->alloc_count = 1;
    s->alloc_cache = 0;
    s->state.store(SpanState::kInUse, std::memory_order_relaxed);
    set_span_map(s->base, s->npages, s);
  }
  g_counters.large_allocs.fetch_add(1, std::memory_order_relaxed);
  g_counters.large_bytes.fetch_add(s->elemsize, std::memory_order_relaxed);
  g_counters.heap_live.fetch_add(static_cast<std::int64_t>(s->elemsize), std::memory_order_relaxed);
  central_[spc].put_swept(s, sweepgen.load(std::memory_order_acquire));
  return s;
}

void MHeap::free_span(Span* s) {
  asan_poison(s->base, s->npages * kPageSize);
  sched::LockGuard g(lock);
  s->state.store(SpanState::kDead, std::memory_order_release);
  set_span_map(s->base, s->npages, nullptr);
  pages.free(s->base, s->npages);
  s->next = span_pool_;
  span_pool_ = s;
  g_counters.heap_span_frees.fetch_add(1, std::memory_order_relaxed);
  g_counters.spans_in_use.fetch_sub(1, std::memory_order_relaxed);
}

bool MHeap::check(const char** why) {
  sched::LockGuard g(lock);
  return pages.check(why);
}

}  // namespace gort::mem
