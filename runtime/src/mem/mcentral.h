// mcentral.h — the central free lists of one span class (Go's mcentral).
//
// An mcentral owns the spans of its class that no mcache holds, in four
// lists: {partial, full} x {swept, unswept}. Which physical list is "swept"
// flips each GC cycle, because the heap's sweepgen moves by 2 and the list
// index is (sweepgen / 2) % 2 — every swept span becomes unswept at once
// without touching it (as in Go).
//   partial: some object free        full: no object free (or large)
//
// cache_span() (an mcache refill) takes, in order: a swept partial span; an
// unswept partial span, swept now; an unswept full span, swept now, if that
// frees something; else a fresh span from mheap (grow).
// uncache_span() (mcache flush) puts a span back, sweeping it first if it
// was cached before the current sweep began (sweepgen == h + 1).
//
// Lock: MCentral::lock_ (rank mcentral) guards the lists only. It is never
// held while sweeping a span or calling into mheap (mheap.lock is taken
// after releasing it), so mcentral and mheap locks never nest.
#pragma once

#include <cstdint>

#include "mem/sizeclasses.h"
#include "mem/span.h"
#include "sched/lock.h"

namespace gort::mem {

// SpanList is an intrusive doubly linked list of spans.
struct SpanList {
  Span* first = nullptr;
  void push(Span* s);
  void remove(Span* s);
  Span* pop();
};

class MCentral {
 public:
  constexpr MCentral() = default;

  // cache_span returns a span with at least one free object, owned by the
  // caller (an mcache) and marked cached (sweepgen = h + 3).
  Span* cache_span(SpanClass spc);
  // uncache_span returns a span an mcache held.
  void uncache_span(Span* s);
  // take_unswept removes one span needing sweep for `sg` (nullptr: none)
  // and claims it (sweepgen h-2 -> h-1). Used by the sweeper.
  Span* take_unswept(std::uint32_t sg);
  // put_swept files a swept span that still holds objects.
  void put_swept(Span* s, std::uint32_t sg);

  // For tests: number of spans on each list.
  std::size_t count_lists(std::uint32_t sg, std::size_t* partial_swept, std::size_t* full_swept,
                          std::size_t* unswept);

 private:
  static int partial_idx(std::uint32_t sg, bool swept) { return (((sg >> 1) & 1) ^ (swept ? 0 : 1)); }
  static int full_idx(std::uint32_t sg, bool swept) { return 2 + partial_idx(sg, swept); }
  void push_locked(int idx, Span* s);
  Span* pop_locked(int idx);

  sched::Lock lock_;
  SpanList lists_[4];
};

}  // namespace gort::mem
