// mcache.h — the per-P allocation cache (Go's mcache): one span per span
// class to allocate from without any lock, plus the tiny allocator's block.
//
// Which mcache a caller uses:
//   * on a goroutine: mcache_for_p(current_p_id()), read while a
//     sched::NoPreempt guard is held, so the P (and its mcache) cannot
//     change under the allocation. Created lazily the first time a P
//     allocates; P ids are dense in [0, max_procs), so a P destroyed by
//     set_max_procs leaves its mcache idle, to be reused by the next P with
//     that id (its spans stay cached meanwhile and are returned by the next
//     flush_all_mcaches).
//   * on a thread that is not a goroutine (current_p_id() == -1): one
//     shared fallback mcache behind g_fallback_lock (rank mcache_fallback,
//     taken before any mcentral or mheap lock). Rejected: per-thread caches
//     flushed at thread exit — cheaper for busy foreign threads, but every
//     exit path would need a hook and the GC would have to find them all.
//
// Invariant: alloc[spc] is never null — an mcache with nothing for a class
// points at g_empty_span (nelems 0), so the fast path needs no null check.
// Single writer: the goroutine holding the P (or the fallback lock).
#pragma once

#include <cstdint>

#include "mem/mstats.h"
#include "mem/sizeclasses.h"
#include "mem/span.h"
#include "sched/lock.h"

namespace gort::mem {

inline constexpr std::size_t kTinySize = 16;
inline constexpr int kTinySizeClass = 2;  // the 16 B class
inline constexpr SpanClass kTinySpanClass = make_span_class(kTinySizeClass, /*noscan=*/true);
inline constexpr int kMaxMCaches = 1024;  // most Ps ever (GOMAXPROCS limit)

extern constinit Span g_empty_span;

struct MCache {
  Span* alloc[kNumSpanClasses] = {};
  std::uintptr_t tiny = 0;         // current tiny block (0: none)
  std::uintptr_t tiny_offset = 0;  // bytes used in it

  // Fast-path counters (single writer, see mstats.h).
  Counter nmalloc;       // objects from spans (small, tiny blocks included)
  Counter ntiny;         // tiny requests packed into an existing block
  Counter nlarge;        // large objects
  Counter bytes;         // bytes handed out (rounded sizes)
  Counter nrefill;       // spans taken from mcentral

  constexpr MCache() {
    for (auto& s : alloc) s = &g_empty_span;
  }
  // refill replaces the span of class spc with one that has a free object.
  Span* refill(SpanClass spc);
  // flush returns every span to its mcentral and forgets the tiny block.
  void flush();
};

extern std::atomic<MCache*> g_mcaches[kMaxMCaches];
// create_mcache makes P pid's mcache (the first allocation on that P).
MCache* create_mcache(int pid);
// mcache_for_p returns P pid's mcache, creating it on first use.
inline MCache* mcache_for_p(int pid) {
  MCache* c = g_mcaches[pid].load(std::memory_order_acquire);
  if (__builtin_expect(c != nullptr, 1)) return c;
  return create_mcache(pid);
}
extern constinit MCache g_fallback_mcache;
extern sched::Lock g_fallback_lock;

// for_each_mcache calls f on every mcache that exists (per-P and fallback).
// REQUIRES: as flush_all_mcaches (sweep.h) when f mutates them.
void for_each_mcache(void (*f)(MCache*));

}  // namespace gort::mem
