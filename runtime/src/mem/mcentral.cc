// mcentral.cc — central span lists per span class. See mcentral.h.
#include "mem/mcentral.h"

#include "debug/fatal.h"
#include "mem/asan.h"
#include "mem/mheap.h"
#include "mem/mstats.h"
#include "mem/scavenger.h"

namespace gort::mem {

void SpanList::push(Span* s) {
  s->prev = nullptr;
  s->next = first;
  if (first != nullptr) first->prev = s;
  first = s;
}

void SpanList::remove(Span* s) {
  if (s->prev != nullptr) s->prev->next = s->next; else first = s->next;
  if (s->next != nullptr) s->next->prev = s->prev;
  s->next = s->prev = nullptr;
}

Span* SpanList::pop() {
  Span* s = first;
  if (s != nullptr) remove(s);
  return s;
}

void MCentral::push_locked(int idx, Span* s) {
  GORT_DCHECK(s->list == 0xff, "mcentral: span already on a list");
  lists_[idx].push(s);
  s->list = static_cast<std::uint8_t>(idx);
}

Span* MCentral::pop_locked(int idx) {
  Span* s = lists_[idx].pop();
  if (s != nullptr) s->list = 0xff;
  return s;
}

Span* MCentral::cache_span(SpanClass spc) {
  const std::uint32_t sg = g_heap.sweepgen.load(std::memory_order_acquire);
  Span* s = nullptr;
  lock_.lock();
  if ((s = pop_locked(partial_idx(sg, true))) != nullptr) {
    lock_.unlock();
    goto have;
  }
  // Unswept spans: sweep them ourselves (bounded, as Go's budget of 100).
  for (int budget = 100; budget > 0; --budget) {
    if ((s = pop_locked(partial_idx(sg, false))) != nullptr) {
      lock_.unlock();
      s->sweepgen.store(sg - 1, std::memory_order_relaxed);
      sweep_span(s, /*preserve=*/true);
      goto have;
    }
    if ((s = pop_locked(full_idx(sg, false))) == nullptr) break;
    lock_.unlock();
    s->sweepgen.store(sg - 1, std::memory_order_relaxed);
    sweep_span(s, /*preserve=*/true);
    if (s->alloc_count < s->nelems) goto have;
    lock_.lock();
    push_locked(full_idx(sg, true), s);
  }
  lock_.unlock();
  // Nothing reusable: a fresh span from the heap.
  s = g_heap.alloc_small_span(spc);
  g_counters.central_grow.fetch_add(1, std::memory_order_relaxed);
  scavenger_note_growth();  // the heap may have grown past the memory limit's share
have:
  g_counters.central_cache_span.fetch_add(1, std::memory_order_relaxed);
  // The free slots now count as live until the mcache gives the span back.
  g_counters.heap_live.fetch_add(static_cast<std::int64_t>(s->count_free() * s->elemsize),
                                 std::memory_order_relaxed);
  // Make the allocation cache point at freeindex's word.
  const std::uint32_t fi = s->freeindex;
  s->refill_alloc_cache(fi / 64);
  s->alloc_cache >>= (fi & 63);
  s->sweepgen.store(sg + 3, std::memory_order_release);
  return s;
}

void MCentral::uncache_span(Span* s) {
  g_counters.central_uncache.fetch_add(1, std::memory_order_relaxed);
  g_counters.heap_live.fetch_sub(static_cast<std::int64_t>(s->count_free() * s->elemsize),
                                 std::memory_order_relaxed);
  const std::uint32_t sg = g_heap.sweepgen.load(std::memory_order_acquire);
  if (s->sweepgen.load(std::memory_order_relaxed) == sg + 1) {
    // Cached since before this sweep began: sweep it now; sweep_span files
    // it (or frees it to the heap).
    s->sweepgen.store(sg - 1, std::memory_order_relaxed);
    sweep_span(s, /*preserve=*/false);
    return;
  }
  put_swept(s, sg);
}

void MCentral::put_swept(Span* s, std::uint32_t sg) {
  s->sweepgen.store(sg, std::memory_order_release);
  sched::LockGuard g(lock_);
  push_locked(s->alloc_count < s->nelems ? partial_idx(sg, true) : full_idx(sg, true), s);
}

Span* MCentral::take_unswept(std::uint32_t sg) {
  sched::LockGuard g(lock_);
  Span* s = pop_locked(partial_idx(sg, false));
  if (s == nullptr) s = pop_locked(full_idx(sg, false));
  if (s != nullptr) s->sweepgen.store(sg - 1, std::memory_order_relaxed);
  return s;
}

std::size_t MCentral::count_lists(std::uint32_t sg, std::size_t* partial_swept,
                                  std::size_t* full_swept, std::size_t* unswept) {
  sched::LockGuard g(lock_);
  auto len = [](const SpanList& l) {
    std::size_t n = 0;
    for (Span* s = l.first; s != nullptr; s = s->next) ++n;
    return n;
  };
  *partial_swept = len(lists_[partial_idx(sg, true)]);
  *full_swept = len(lists_[full_idx(sg, true)]);
  *unswept = len(lists_[partial_idx(sg, false)]) + len(lists_[full_idx(sg, false)]);
  return *partial_swept + *full_swept + *unswept;
}

}  // namespace gort::mem
