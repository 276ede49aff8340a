// heapbits.h — the heap's pointer bitmap: one bit per 8-byte heap word,
// set when the word may hold a GC pointer (Go's heap bitmap, as in Go 1.11-
// 1.21: side metadata per arena, not per-object headers).
//
// Who writes: the P that hands an object of a scan span out writes the bits
// of the whole slot (elemsize bytes): the type's pointer mask repeated per
// element for typed objects (gort::make), all ones for untyped scan
// allocations (mem::alloc(size, true): scanned conservatively), zeros past
// the last element. Spans start on a page (1024 words = 16 bitmap words), so
// two spans never share a bitmap word, and within a span only the span's
// owner (the mcache holding it, under NoPreempt or the fallback lock)
// allocates: plain (relaxed atomic) loads and stores suffice.
// Who reads: GC markers scanning a grey object, with relaxed atomic loads.
// Noscan spans' bits are never written nor read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/arena.h"

namespace gort::gc {
struct Layout;
}

namespace gort::mem {

// ptrbits_of returns the bitmap word holding address a's bit and the bit's
// index in it. REQUIRES: a is inside a reserved arena.
inline std::uint64_t* ptrbits_of(std::uintptr_t a, unsigned* bit) {
  HeapArena* ha = g_arena_index[a >> kArenaShift].load(std::memory_order_relaxed);
  const std::size_t w = (a & (kArenaBytes - 1)) >> 3;
  *bit = static_cast<unsigned>(w & 63);
  return &ha->ptrbits[w >> 6];
}

// write_ptrbits sets the bits of the slot [base, base + slot_bytes): n
// elements of `layout` (nullptr with conservative: every word; nullptr
// without: no pointer) and zeros after them.
void write_ptrbits(std::uintptr_t base, std::size_t slot_bytes, const gc::Layout* layout, std::size_t elem_size,
                   std::size_t n, bool conservative);

// read_ptrbits returns the bits of the 64 words starting at word-aligned
// address a (bit i: word a + 8 i), all within one arena.
inline std::uint64_t read_ptrbits(std::uintptr_t a) {
  unsigned bit;
  std::uint64_t* w = ptrbits_of(a, &bit);
  std::uint64_t lo = std::atomic_ref<std::uint64_t>(w[0]).load(std::memory_order_relaxed) >> bit;
  if (bit == 0) return lo;
  // The next bitmap word lies in the same arena unless a is in the arena's
  // last 64 words; then the higher bits are past the arena (callers stop at
  // their object's end, which never crosses an arena).
  if (((a & (kArenaBytes - 1)) >> 3) + 64 > kWordsPerArena) return lo;
  std::uint64_t hi = std::atomic_ref<std::uint64_t>(w[1]).load(std::memory_order_relaxed);
  return lo | (hi << (64 - bit));
}

}  // namespace gort::mem
