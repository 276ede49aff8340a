// mcache.cc — per-P caches: creation, refill, flush. See mcache.h.
#include "mem/mcache.h"

#include <new>

#include "mem/mcentral.h"
#include "mem/mheap.h"
#include "mem/sysmem.h"

namespace gort::mem {

constinit Span g_empty_span;
std::atomic<MCache*> g_mcaches[kMaxMCaches];
constinit MCache g_fallback_mcache;
constinit sched::Lock g_fallback_lock;

Span* MCache::refill(SpanClass spc) {
  Span* old = alloc[spc];
  if (old != &g_empty_span) g_heap.central(spc).uncache_span(old);
  Span* s = g_heap.central(spc).cache_span(spc);
  alloc[spc] = s;
  nrefill.inc();
  return s;
}

void MCache::flush() {
  for (int i = 0; i < kNumSpanClasses; ++i) {
    Span* s = alloc[i];
    if (s != &g_empty_span) {
      alloc[i] = &g_empty_span;
      g_heap.central(static_cast<SpanClass>(i)).uncache_span(s);
    }
  }
  tiny = 0;
  tiny_offset = 0;
}

MCache* create_mcache(int pid) {
  // Only P pid's holder creates it, so no race on the slot; the release
  // store publishes it to flushers and stats readers.
  void* mem = sys::alloc_metadata(sizeof(MCache));
  g_counters.metadata_bytes.fetch_add(sizeof(MCache), std::memory_order_relaxed);
  MCache* c = ::new (mem) MCache();
  g_mcaches[pid].store(c, std::memory_order_release);
  return c;
}

void for_each_mcache(void (*f)(MCache*)) {
  for (auto& slot : g_mcaches) {
    if (MCache* c = slot.load(std::memory_order_acquire)) f(c);
  }
  sched::LockGuard g(g_fallback_lock);
  f(&g_fallback_mcache);
}

}  // namespace gort::mem
