// span.h — a span: a run of pages holding objects of one span class (or
// one large object), with its allocation and mark bitmaps (Go's mspan).
//
// Allocation state of object i (0 <= i < nelems):
//   i <  freeindex                       -> allocated
//   i >= freeindex and alloc_bits[i] = 1 -> allocated (survived last sweep)
//   i >= freeindex and alloc_bits[i] = 0 -> free
// alloc_cache holds ~alloc_bits of the 64-object word containing freeindex,
// shifted so that bit 0 is object freeindex; the fast path takes its lowest
// set bit with count-trailing-zeros, and the slow path (next_free_index)
// reloads it from the next word.
//
// Invariants (check()):
//   alloc_count == freeindex + popcount(alloc_bits[freeindex, nelems))
//   alloc_count + free objects == nelems
//   state == kInUse  <=>  every page maps to this span (arena.h)
//
// Sweeping: after a GC marked the live objects in mark_bits, sweep() makes
// mark_bits the new alloc_bits (unmarked objects become free), clears the
// other bitmap for the next cycle and resets freeindex to 0. sweepgen says
// where the span is relative to the heap's sweepgen h (bumped by 2 per GC):
//   h - 2  needs sweeping        h - 1  being swept      h  swept, ready
//   h + 1  was cached in an mcache before this sweep began: sweep when uncached
//   h + 3  swept, then cached in an mcache
// Who owns a span's fields: the mcache holding it (alloc fields), else the
// thread that removed it from an mcentral list (under that lock), else the
// mcentral lock. mark_bits are set by GC markers with atomic ORs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/sizeclasses.h"

namespace gort::mem {

// SpanState says what a span's pages are used for.
enum class SpanState : std::uint8_t {
  kDead,   // the struct is free (in the span pool)
  kInUse,  // holds heap objects; its pages map to it
};

// kMaxSpanObjects: the most objects a small span holds (8 B class, 1 page).
inline constexpr std::size_t kMaxSpanObjects = kPageSize / 8;
inline constexpr std::size_t kBitmapWords = kMaxSpanObjects / 64;

struct Span {
  // --- set when the span is created (mheap / mcentral), then read-only.
  std::uintptr_t base = 0;       // first byte
  std::uintptr_t limit = 0;      // one past the last object byte
  std::size_t npages = 0;
  std::size_t elemsize = 0;      // object size (npages * page for large)
  std::uint32_t nelems = 0;      // object count (1 for large)
  std::uint32_t div_mul = 0;     // offset * div_mul >> 32 == offset / elemsize (small)
  SpanClass spc = 0;
  std::atomic<SpanState> state{SpanState::kDead};

  // --- allocation state (owner: see the file comment).
  std::uint32_t freeindex = 0;
  std::uint32_t alloc_count = 0;
  std::uint64_t alloc_cache = 0;
  bool needzero = false;         // some free object may hold old data
  std::atomic<std::uint32_t> sweepgen{0};

  // --- mcentral list links (guarded by that mcentral's lock).
  Span* next = nullptr;
  Span* prev = nullptr;
  std::uint8_t list = 0xff;      // which mcentral list holds it (0xff: none)

  std::uint64_t* alloc_bits = bits_[0];
  std::uint64_t* mark_bits = bits_[1];
  std::uint64_t bits_[2][kBitmapWords] = {};

  // init_small/init_large set up a fresh span of the given shape.
  void init_small(std::uintptr_t base_, SpanClass spc_);
  void init_large(std::uintptr_t base_, std::size_t npages_, SpanClass spc_);

  std::size_t nwords() const { return (nelems + 63) / 64; }

  // refill_alloc_cache loads ~alloc_bits of word w into alloc_cache.
  void refill_alloc_cache(std::size_t w) { alloc_cache = ~alloc_bits[w]; }

  // next_free_fast is the fast path: the next free object from alloc_cache,
  // or 0 when the cache is empty or a word boundary needs the slow path.
  std::uintptr_t next_free_fast() {
    const unsigned bit = alloc_cache == 0 ? 64u : static_cast<unsigned>(__builtin_ctzll(alloc_cache));
    if (bit < 64) {
      const std::uint32_t idx = freeindex + bit;
      if (idx < nelems) {
        const std::uint32_t nextidx = idx + 1;
        if ((nextidx & 63) == 0 && nextidx != nelems) return 0;  // cache would run dry: slow path
        alloc_cache = (alloc_cache >> bit) >> 1;  // bit may be 63: no 64-bit shift
        // GC markers read freeindex concurrently (is_free_racy): atomic store.
        std::atomic_ref<std::uint32_t>(freeindex).store(nextidx, std::memory_order_relaxed);
        ++alloc_count;
        return base + static_cast<std::uintptr_t>(idx) * elemsize;
      }
    }
    return 0;
  }

  // next_free_index returns the index of the next free object and moves
  // freeindex past it, or returns nelems when the span is full. It does not
  // count the allocation (the caller increments alloc_count).
  std::uint32_t next_free_index();

  // is_free reports whether object idx is free (not handed out).
  bool is_free(std::size_t idx) const {
    return idx >= freeindex && ((alloc_bits[idx >> 6] >> (idx & 63)) & 1) == 0;
  }
  // is_free_racy is is_free for a GC marker racing with the span's owner:
  // an object handed out concurrently is one allocated during mark, which
  // is born marked, so reading it as free is harmless.
  bool is_free_racy(std::size_t idx) const {
    const std::uint32_t fi =
        std::atomic_ref<const std::uint32_t>(freeindex).load(std::memory_order_relaxed);
    return idx >= fi && ((alloc_bits[idx >> 6] >> (idx & 63)) & 1) == 0;
  }
  // object_index maps an address inside the span to its object's index.
  std::size_t object_index(std::uintptr_t p) const {
    if (nelems == 1) return 0;
    return static_cast<std::size_t>(((p - base) * std::uint64_t{div_mul}) >> 32);
  }
  std::uintptr_t object_base(std::size_t idx) const { return base + idx * elemsize; }

  // Mark bits (set by the GC; atomic so several markers may race).
  bool is_marked(std::size_t idx) const {
    return (std::atomic_ref<const std::uint64_t>(mark_bits[idx >> 6]).load(std::memory_order_relaxed) >>
            (idx & 63)) & 1;
  }
  // set_marked sets idx's mark bit; returns true when this call set it.
  bool set_marked(std::size_t idx) {
    const std::uint64_t m = std::uint64_t{1} << (idx & 63);
    return (std::atomic_ref<std::uint64_t>(mark_bits[idx >> 6]).fetch_or(m, std::memory_order_relaxed) & m) == 0;
  }

  // count_free returns nelems - alloc_count.
  std::size_t count_free() const { return nelems - alloc_count; }

  // sweep frees every object whose mark bit is clear (see the file comment)
  // and returns the number of objects freed. It touches only this span;
  // putting it back on a list or into the heap is the caller's job.
  // REQUIRES: the caller owns the span (sweepgen h-1, claimed).
  std::size_t sweep_bits();

  // check verifies this span's invariants; false + *why on violation.
  bool check(const char** why) const;
};

// find_object resolves an address to its object: true with the object's
// base and span when p points into an object slot of a span in use (free
// slots included; use Span::is_free to tell). Lock-free.
bool find_object(const void* p, std::uintptr_t* base, Span** span);

}  // namespace gort::mem
