// pagealloc.h — the page allocator: which 8 KiB heap pages are free, which
// of those are released to the OS, and a first-fit search that skips whole
// chunks and regions by their summaries (Go's mpagealloc.go, two levels
// instead of Go's five-level radix tree; see "Rejected" below).
//
// Structure
//   region  one arena (a 64 MiB-aligned reservation, see arena.h), of which
//           the first `nchunks` chunks are committed and searchable.
//   chunk   512 pages (4 MiB): an allocation bitmap (1 = in use), a
//           scavenged bitmap (1 = returned to the OS, reads as zero) and a
//           summary (start, max, end) = free pages at its bottom, longest
//           free run, free pages at its top.
//   region.max_run  longest free run in the region, merged across chunk
//           boundaries from the chunk summaries.
//
// alloc(n) walks regions in address order, skips those whose max_run < n,
// then walks chunk summaries carrying the free run that crosses chunk
// borders, and only reads a chunk's bitmap when its own max fits n: the
// lowest-addressed fit wins, which keeps the heap compact (low addresses
// stay hot, high ones are what the scavenger releases first).
//
// Invariants (checked by check()):
//   free_pages     == sum over committed chunks of zero alloc bits
//   released_pages == sum of (alloc=0 & scav=1) bits
//   chunk.nfree_dirty == popcount(~alloc & ~scav) for each chunk
//   scav bit set  =>  alloc bit clear, except while the scavenger holds the
//                     run (take_for_scavenge .. return_scavenged)
//   each summary equals the one recomputed from its bitmap.
//
// Locking: none inside; the owner (mheap) holds mheap.lock around every call.
// The page counters are atomics so stats can be read without the lock.
//
// Rejected: Go's radix tree of summaries over the whole address space makes
// search O(levels) regardless of heap size; with 64 MiB regions (16 chunks)
// and a region-level max the two-level walk is short for the heap sizes this
// project runs (up to a few GiB = tens of regions), at a fraction of the code.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/sizeclasses.h"

namespace gort::mem {

inline constexpr std::size_t kChunkPages = 512;
inline constexpr std::size_t kChunkBytes = kChunkPages * kPageSize;  // 4 MiB
inline constexpr std::size_t kChunkWords = kChunkPages / 64;

// PageChunk is one chunk's bitmaps and summary.
struct PageChunk {
  std::uint64_t alloc[kChunkWords];
  std::uint64_t scav[kChunkWords];
  std::uint16_t start, max, end;  // summary of the free pages (alloc == 0)
  std::uint16_t nfree_dirty;      // free pages not released to the OS
};

// PageAlloc is the page-level free map of the whole heap.
class PageAlloc {
 public:
  static constexpr int kMaxRegions = 4096;  // 256 GiB of 64 MiB arenas

  constexpr PageAlloc() = default;
  PageAlloc(const PageAlloc&) = delete;
  PageAlloc& operator=(const PageAlloc&) = delete;

  // add_region registers cap_chunks chunks of reserved space at base
  // (chunk-aligned), none usable yet, and returns the region's id.
  int add_region(std::uintptr_t base, std::size_t cap_chunks);
  // grow makes the next nchunks chunks of the region holding `base`
  // usable: free and scavenged (fresh memory reads as zero).
  // Returns false when the region has no room left.
  bool grow(std::uintptr_t region_base, std::size_t nchunks);
  // room returns how many more chunks the region can grow by, and the
  // address where the growth would start (its committed end).
  std::size_t room(std::uintptr_t region_base, std::uintptr_t* committed_end) const;
  // last_region_base returns the base of the highest region (0 if none).
  std::uintptr_t last_region_base() const;

  // alloc finds the lowest-addressed run of npages free pages, marks it in
  // use and returns its address, or 0 when none fits. *dirty is set when
  // some page of the run is not known to be zero (was used, not released).
  std::uintptr_t alloc(std::size_t npages, bool* dirty);
  // free returns [base, base + npages pages) to the free set, as dirty.
  void free(std::uintptr_t base, std::size_t npages);

  // take_for_scavenge finds the highest free, not yet released run of at
  // most max_pages pages (within one chunk), marks it in use so nobody
  // allocates it while the caller releases it without the lock, and returns
  // its base (0: nothing to release) and length in *npages.
  std::uintptr_t take_for_scavenge(std::size_t max_pages, std::size_t* npages);
  // return_scavenged frees a run taken by take_for_scavenge, as released.
  void return_scavenged(std::uintptr_t base, std::size_t npages);

  // Page counters (readable without the lock).
  std::size_t total_pages() const { return total_.load(std::memory_order_relaxed); }
  std::size_t free_pages() const { return free_.load(std::memory_order_relaxed); }
  std::size_t released_pages() const { return released_.load(std::memory_order_relaxed); }

  // check verifies every invariant above; returns false (and describes the
  // first violation in *why) when one fails. Expensive: tests only.
  bool check(const char** why) const;

 private:
  struct Region {
    std::uintptr_t base;
    std::uint32_t nchunks;      // committed, searchable chunks
    std::uint32_t cap_chunks;   // reserved chunks
    std::uint32_t max_run;      // longest free run, across chunk borders
    PageChunk* chunks;          // cap_chunks entries
  };
  Region* region_of(std::uintptr_t addr);
  const Region* region_of(std::uintptr_t addr) const;
  void update(Region& r, std::size_t first_chunk, std::size_t last_chunk);
  std::size_t search(const Region& r, std::size_t npages) const;  // page index or SIZE_MAX

  Region regions_[kMaxRegions] = {};
  int nregions_ = 0;
  std::atomic<std::size_t> total_{0}, free_{0}, released_{0};
};

namespace bits {
// Bit-range helpers over little-endian uint64 bitmaps (exposed for tests).
void set_range(std::uint64_t* bm, std::size_t i, std::size_t n);
void clear_range(std::uint64_t* bm, std::size_t i, std::size_t n);
std::size_t count_range(const std::uint64_t* bm, std::size_t i, std::size_t n);
// find_zero_run returns the first index of n consecutive zero bits among
// nbits bits, or SIZE_MAX.
std::size_t find_zero_run(const std::uint64_t* bm, std::size_t nbits, std::size_t n);
// summarize computes (start, max, end) of the zero bits among nbits bits.
void summarize(const std::uint64_t* bm, std::size_t nbits, std::uint16_t* start,
               std::uint16_t* max, std::uint16_t* end);
}  // namespace bits

}  // namespace gort::mem
