// mstats.h — the allocator's counters, per tier, readable at any time
// without stopping the world (Go's mstats / runtime/metrics, allocator part).
//
// Two kinds of counter:
//   * global tier counters (mcentral, mheap, sweeper, scavenger): atomics
//     updated with relaxed fetch_add, usually under the tier's own lock;
//   * mcache counters (fast path): one writer — the goroutine holding the P
//     (or the fallback lock) — so they are relaxed load+store pairs (no
//     locked instruction on the fast path), summed by readers.
// A reader sees each counter exactly, but different counters from slightly
// different instants: sums are not a snapshot (read_mem_stats, which stops
// the world, is the GC's).
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::mem {

// Counter is a single-writer counter that any thread may read.
class Counter {
 public:
  void add(std::uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void inc() { add(1); }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// TierCounters are the shared (multi-writer) counters.
struct TierCounters {
  // mcentral tier
  std::atomic<std::uint64_t> central_cache_span{0};  // spans handed to mcaches
  std::atomic<std::uint64_t> central_grow{0};        // spans taken from mheap
  std::atomic<std::uint64_t> central_uncache{0};     // spans returned by mcaches
  // sweeping
  std::atomic<std::uint64_t> swept_spans{0};
  std::atomic<std::uint64_t> freed_objects{0};
  std::atomic<std::uint64_t> freed_bytes{0};
  // mheap tier
  std::atomic<std::uint64_t> heap_span_allocs{0};    // all spans, small and large
  std::atomic<std::uint64_t> heap_span_frees{0};
  std::atomic<std::uint64_t> large_allocs{0};
  std::atomic<std::uint64_t> large_bytes{0};
  std::atomic<std::uint64_t> heap_grows{0};
  std::atomic<std::uint64_t> arena_reserved_bytes{0};
  std::atomic<std::uint64_t> metadata_bytes{0};
  std::atomic<std::int64_t> spans_in_use{0};
  // live bytes: objects handed out minus freed, counting a whole cached
  // span's free slots as used while an mcache holds it (Go's heapLive).
  std::atomic<std::int64_t> heap_live{0};
  // scavenger
  std::atomic<std::uint64_t> scav_released_bytes{0};  // total ever released
  std::atomic<std::uint64_t> scav_work_ns{0};
};

extern TierCounters g_counters;

}  // namespace gort::mem
