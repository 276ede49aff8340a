// malloc.cc — the allocator's entry points, and its design.
//
// ## The tiers, walking one allocation through them
//
// alloc(size, scan) (Go's mallocgc) rounds size up to one of 67 size
// classes (sizeclasses.h, the table Go's generator computes) and picks the
// span class = size class x {scan, noscan}: the GC only ever scans spans of
// the scan half.
//
//  1. mcache (mcache.h): the caller's P has one span cached per span class.
//     The span's 64-bit alloc_cache is the complement of its allocation
//     bitmap near freeindex; count-trailing-zeros yields the next free slot.
//     No lock, no atomic read-modify-write: the P is ours while a NoPreempt
//     guard is held. Pointer-free requests under 16 B first try the tiny
//     block (several small objects packed into one 16 B slot, aligned to
//     their size's power of two up to 8).
//  2. mcentral (mcentral.h): when the cached span is full, the mcache
//     returns it and takes another from the span class's mcentral — a
//     swept partial span, else one it sweeps itself, else a new one.
//     One lock per span class.
//  3. mheap (mheap.h, pagealloc.h): a new span is a run of pages from the
//     page allocator, a first-fit search over bitmaps guided by per-chunk
//     and per-arena free-run summaries, under the heap lock. Objects over
//     32 KiB skip tiers 1-2 and get a span of their own here.
//  4. OS (arena.h, sysmem.h): when no run fits, the heap commits the next
//     4 MiB chunks of its 64 MiB arena, or reserves another arena. Every
//     arena has a page-to-span map: any interior pointer finds its span and
//     object base in O(1) (find_object, for the GC).
//  Back down: sweeping (sweep.h) turns unmarked objects into free slots,
//  returns empty spans to mheap; the scavenger (scavenger.h) returns free
//  pages beyond the heap goal + 10% to the OS with MADV_DONTNEED.
//
// ## Zeroing
// Every object handed out reads as zero. Memory fresh from the OS, and
// pages the scavenger released, are zero already: the page allocator tracks
// them (scavenged bits), so a span carved only from such pages has
// needzero == false and its objects are never cleared. A span that ever
// freed an object (sweep) or used recycled pages has needzero == true and
// each object is cleared as it is handed out.
//
// ## Invariants (as equations; validators: Span::check, PageAlloc::check)
//   per span:  alloc_count + free slots == nelems
//              alloc_count == freeindex + popcount(alloc_bits[freeindex, nelems))
//   per heap:  heap_sys == heap_in_use + heap_idle
//              heap_idle >= heap_released
//              heap_in_use == sum over spans in use of npages * 8 KiB
//   counters:  mallocs + large_allocs == objects handed out since start
//              heap_live == sum(alloc rounded sizes) - freed_bytes
//                           + free slots of spans cached in mcaches
//
// ## Lock order (take left before right; never the reverse)
//   mcache fallback lock  <  mcentral lock  <  mheap lock
// mcentral never holds its lock while calling mheap or sweeping, so in
// practice mcentral and mheap do not nest; the scavenger takes only mheap's.
// None of them is held across anything that parks a goroutine.
//
// ## Sanitizers
// ASan: free slots and free pages are poisoned; alloc unpoisons exactly the
// bytes asked for (asan.h). TSan: the per-P fast path is single-writer by
// construction; P hand-off in the scheduler orders one M's accesses before
// the next.
#include "gort/mem.h"

#include <cstring>

#include "debug/fatal.h"
#include "lang/panic.h"
#include "gc/mcheckptr.h"
#include "gc/mgc.h"
#include "mem/arena.h"
#include "mem/asan.h"
#include "mem/heapbits.h"
#include "mem/malloc.h"
#include "mem/mcache.h"
#include "mem/mcentral.h"
#include "mem/mheap.h"
#include "mem/mstats.h"
#include "mem/scavenger.h"
#include "mem/sweep.h"
#include "sched/park.h"

namespace gort::mem {

std::atomic<bool> g_allocate_black{false};

namespace {

// zerobase is the address of every zero-size object (Go's runtime.zerobase).
alignas(16) std::uint64_t zerobase[2];

// mark_black marks a new object during a GC's mark phase.
inline void mark_black(Span* s, std::uintptr_t v) {
  if (__builtin_expect(g_allocate_black.load(std::memory_order_relaxed), 0)) {
    s->set_marked(s->object_index(v));
  }
}

// Bits says what to write into the pointer bitmap for a scan object: n
// elements of layout (elem bytes each), or every word (conservative).
struct Bits {
  const gc::Layout* layout;
  std::size_t elem;
  std::size_t n;
  bool conservative;
};

inline void write_bits(std::uintptr_t v, std::size_t slot, const Bits& b) {
  write_ptrbits(v, slot, b.layout, b.elem, b.n, b.conservative);
  if (__builtin_expect(gc::checkptr_on(), 0)) gc::checkptr_alloc(v, slot, b.layout, b.conservative);
}

// next_free is the slow path of small allocation: the span's next free
// slot past a cache word, or a refill (which may start a GC cycle or make
// the caller assist one: gc::on_span_alloc).
__attribute__((noinline)) std::uintptr_t next_free(MCache* c, SpanClass spc, Span** sp) {
  Span* s = *sp;
  std::uint32_t idx = s->next_free_index();
  if (idx == s->nelems) {
    s = c->refill(spc);
    *sp = s;
    idx = s->next_free_index();
    gc::on_span_alloc(s->npages * kPageSize);
  }
  ++s->alloc_count;
  return s->object_base(idx);
}

inline void* alloc_small(MCache* c, std::size_t size, bool scan, const Bits& bits) {
  if (!scan && size < kTinySize) {
    // Tiny allocator: align within the block by the size's low bits.
    std::uintptr_t off = c->tiny_offset;
    if ((size & 7) == 0) off = (off + 7) & ~std::uintptr_t{7};
    else if ((size & 3) == 0) off = (off + 3) & ~std::uintptr_t{3};
    else if ((size & 1) == 0) off = (off + 1) & ~std::uintptr_t{1};
    if (c->tiny != 0 && off + size <= kTinySize) {
      c->tiny_offset = off + size;
      c->ntiny.inc();
      return reinterpret_cast<void*>(c->tiny + off);
    }
    Span* s = c->alloc[kTinySpanClass];
    std::uintptr_t v = s->next_free_fast();
    if (v == 0) v = next_free(c, kTinySpanClass, &s);
    asan_unpoison(v, kTinySize);
    // Always clear: a tiny block is shared by later requests.
    reinterpret_cast<std::uint64_t*>(v)[0] = 0;
    reinterpret_cast<std::uint64_t*>(v)[1] = 0;
    mark_black(s, v);
    // Keep whichever block has more room left.
    if (c->tiny == 0 || size < c->tiny_offset) {
      c->tiny = v;
      c->tiny_offset = size;
    }
    c->nmalloc.inc();
    c->bytes.add(kTinySize);
    return reinterpret_cast<void*>(v);
  }
  const SpanClass spc = make_span_class(size_to_class(size), !scan);
  Span* s = c->alloc[spc];
  std::uintptr_t v = s->next_free_fast();
  if (v == 0) v = next_free(c, spc, &s);
  const std::size_t elem = s->elemsize;
  asan_unpoison(v, elem);
  if (s->needzero) std::memset(reinterpret_cast<void*>(v), 0, elem);
  asan_poison(v + size, elem - size);
  if (scan) write_bits(v, elem, bits);
  mark_black(s, v);
  c->nmalloc.inc();
  c->bytes.add(elem);
  return reinterpret_cast<void*>(v);
}

__attribute__((noinline)) void* alloc_large(MCache* c, std::size_t size, bool scan, const Bits& bits) {
  const std::size_t npages = (size + kPageSize - 1) / kPageSize;
  gc::on_span_alloc(npages * kPageSize);
  Span* s = g_heap.alloc_large_span(npages, make_span_class(0, !scan));
  asan_unpoison(s->base, size);
  if (s->needzero) std::memset(reinterpret_cast<void*>(s->base), 0, size);
  if (scan) write_bits(s->base, s->elemsize, bits);
  mark_black(s, s->base);
  c->nlarge.inc();
  c->bytes.add(s->elemsize);
  scavenger_note_growth();
  return reinterpret_cast<void*>(s->base);
}

inline void* alloc_on(MCache* c, std::size_t size, bool scan, const Bits& bits) {
  if (__builtin_expect(size <= kMaxSmallSize, 1)) return alloc_small(c, size, scan, bits);
  return alloc_large(c, size, scan, bits);
}

inline void* alloc_bits(std::size_t size, bool scan, const Bits& bits) {
  if (__builtin_expect(size == 0, 0)) return zerobase;
  if (__builtin_expect(size >= kMaxAlloc, 0)) {
    lang::panic_runtime_error("runtime error: allocation size out of range");
  }
  void* p;
  {
    sched::NoPreempt np;
    const int pid = sched::current_p_id();
    if (__builtin_expect(pid >= 0, 1)) {
      p = alloc_on(mcache_for_p(pid), size, scan, bits);
    } else {
      sched::LockGuard g(g_fallback_lock);
      p = alloc_on(&g_fallback_mcache, size, scan, bits);
    }
  }
  // Mark assist debt is paid here, outside the allocator's critical
  // section, where the goroutine may block (gc::assist).
  if (__builtin_expect(gc::detail::g_assist_pending.load(std::memory_order_relaxed), 0)) gc::assist_if_owed();
  return p;
}

}  // namespace

bool is_zerobase(const void* p) { return p == zerobase; }

void* alloc(std::size_t size, bool scan) {
  return alloc_bits(size, scan, Bits{nullptr, size, 1, true});
}

void* alloc_typed(std::size_t elem_size, std::size_t n, const gc::Layout* layout, bool conservative) {
  std::size_t bytes;
  if (__builtin_mul_overflow(n, elem_size, &bytes) || bytes >= kMaxAlloc) {
    lang::panic_runtime_error("runtime error: makeslice: len out of range");
  }
  const bool scan = conservative || (layout != nullptr && layout->ptrwords != 0);
  return alloc_bits(bytes, scan, Bits{layout, elem_size, n, conservative});
}

void* alloc_array(std::size_t n, std::size_t elem_size, bool scan) {
  std::size_t bytes;
  if (__builtin_mul_overflow(n, elem_size, &bytes) || bytes >= kMaxAlloc) {
    lang::panic_runtime_error("runtime error: makeslice: len out of range");
  }
  return alloc(bytes, scan);
}

std::size_t rounded_size(std::size_t size) { return round_up_size(size); }

std::size_t usable_size(const void* p) {
  if (p == zerobase) return 0;
  std::uintptr_t base;
  Span* s;
  if (!find_object(p, &base, &s)) return 0;
  return s->elemsize;
}

Stats read_stats() {
  Stats st{};
  auto sum = [&](const MCache* c) {
    st.mallocs += c->nmalloc.get();
    st.tiny_allocs += c->ntiny.get();
    st.mcache_refills += c->nrefill.get();
    st.large_allocs += c->nlarge.get();
    st.total_alloc_bytes += c->bytes.get();
  };
  for (auto& slot : g_mcaches) {
    if (const MCache* c = slot.load(std::memory_order_acquire)) sum(c);
  }
  sum(&g_fallback_mcache);  // counters are atomics: no lock needed to read
  const TierCounters& t = g_counters;
  auto ld = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  st.central_cache_spans = ld(t.central_cache_span);
  st.central_grows = ld(t.central_grow);
  st.heap_span_allocs = ld(t.heap_span_allocs);
  st.heap_span_frees = ld(t.heap_span_frees);
  st.heap_grows = ld(t.heap_grows);
  st.swept_spans = ld(t.swept_spans);
  st.freed_objects = ld(t.freed_objects);
  st.freed_bytes = ld(t.freed_bytes);
  st.heap_live = ld(t.heap_live);
  st.heap_sys = g_heap.mapped_bytes();
  st.heap_idle = g_heap.free_bytes();
  st.heap_released = g_heap.released_bytes();
  st.heap_in_use = st.heap_sys - st.heap_idle;
  st.arena_reserved = ld(t.arena_reserved_bytes);
  st.metadata_bytes = ld(t.metadata_bytes);
  st.spans_in_use = static_cast<std::uint64_t>(ld(t.spans_in_use));
  st.scavenged_bytes = ld(t.scav_released_bytes);
  st.heap_goal = heap_goal();
  return st;
}

void release_all() {
  flush_all_mcaches();
  start_sweep_cycle();
  sweep_all();
  scavenger_note_growth();
}

}  // namespace gort::mem
