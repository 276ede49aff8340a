// sweep.cc — sweeping spans and the sweep cycle. See sweep.h.
#include "mem/sweep.h"

#include <atomic>
#include <cstring>

#include "mem/asan.h"
#include "mem/mcache.h"
#include "mem/mheap.h"
#include "mem/mstats.h"

namespace gort::mem {

std::atomic<bool> g_poison_freed{false};

std::size_t sweep_span(Span* s, bool preserve) {
  const std::uint32_t sg = g_heap.sweepgen.load(std::memory_order_acquire);
  if (g_poison_freed.load(std::memory_order_relaxed)) {
    // GODEBUG=gcpoison=1: fill every object this sweep frees, so a use after
    // a wrong free reads 0xdeadbeef... instead of plausible old data.
    for (std::size_t i = 0; i < s->nelems; ++i) {
      if (!s->is_free(i) && !s->is_marked(i)) {
        asan_unpoison(s->object_base(i), s->elemsize);
        std::memset(reinterpret_cast<void*>(s->object_base(i)), 0xdb, s->elemsize);
      }
    }
  }
#if defined(GORT_ASAN)
  // Poison every slot that is about to be free (already-free ones again).
  for (std::size_t i = 0; i < s->nelems; ++i) {
    if (!s->is_marked(i)) asan_poison(s->object_base(i), s->elemsize);
  }
#endif
  const std::size_t freed = s->sweep_bits();
  g_counters.swept_spans.fetch_add(1, std::memory_order_relaxed);
  if (freed > 0) {
    g_counters.freed_objects.fetch_add(freed, std::memory_order_relaxed);
    g_counters.freed_bytes.fetch_add(freed * s->elemsize, std::memory_order_relaxed);
    g_counters.heap_live.fetch_sub(static_cast<std::int64_t>(freed * s->elemsize),
                                   std::memory_order_relaxed);
  }
  if (preserve) {
    s->sweepgen.store(sg, std::memory_order_release);
    return freed;
  }
  if (s->alloc_count == 0) {
    s->sweepgen.store(sg, std::memory_order_release);
    g_heap.free_span(s);
  } else {
    g_heap.central(s->spc).put_swept(s, sg);
  }
  return freed;
}

namespace {
std::atomic<int> g_sweep_cursor{0};  // next span class sweep_one looks at
}

void flush_all_mcaches() {
  for_each_mcache([](MCache* c) { c->flush(); });
}

void start_sweep_cycle() {
  sweep_all();  // finish the previous cycle first
  g_heap.sweepgen.fetch_add(2, std::memory_order_acq_rel);
  g_sweep_cursor.store(0, std::memory_order_relaxed);
}

bool sweep_one() {
  const std::uint32_t sg = g_heap.sweepgen.load(std::memory_order_acquire);
  for (int i = g_sweep_cursor.load(std::memory_order_relaxed); i < kNumSpanClasses; ++i) {
    Span* s = g_heap.central(static_cast<SpanClass>(i)).take_unswept(sg);
    if (s != nullptr) {
      sweep_span(s, /*preserve=*/false);
      return true;
    }
    // This class has nothing unswept left; later calls skip it.
    int expect = i;
    g_sweep_cursor.compare_exchange_strong(expect, i + 1, std::memory_order_relaxed);
  }
  return false;
}

std::size_t sweep_all() {
  std::size_t n = 0;
  while (sweep_one()) ++n;
  return n;
}

}  // namespace gort::mem
