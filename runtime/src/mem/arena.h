// arena.h — heap arenas and the page-to-span map.
//
// The heap is carved from 64 MiB arenas, each reserved PROT_NONE and
// 64 MiB-aligned (sysmem.h), committed chunk by chunk as the heap grows
// (mheap.cc). Every arena has a HeapArena record: one Span* per 8 KiB page.
// A two-step lookup — arena index from the address's top bits, then the
// page's slot — gives any address inside the heap its span in O(1), which
// is what the GC needs to resolve interior pointers found on stacks.
//
//   g_arena_index[addr >> 26] -> HeapArena*  (nullptr: not heap)
//   arena->spans[(addr >> 13) & 8191] -> Span* (nullptr: free page)
//
// Invariant: for a span in use, every one of its pages maps to it; pages of
// free spans map to nullptr. Entries are written under mheap.lock with
// release stores and read lock-free with acquire loads (span structs are
// never unmapped, so a reader racing with a free sees a dead span, never
// freed memory).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mem/sizeclasses.h"

namespace gort::mem {

struct Span;

inline constexpr std::size_t kArenaShift = 26;
inline constexpr std::size_t kArenaBytes = std::size_t{1} << kArenaShift;  // 64 MiB
inline constexpr std::size_t kPagesPerArena = kArenaBytes / kPageSize;      // 8192
inline constexpr std::size_t kAddressBits = 48;
inline constexpr std::size_t kArenaIndexSize = std::size_t{1} << (kAddressBits - kArenaShift);

// kWordsPerArena: 8-byte heap words in one arena.
inline constexpr std::size_t kWordsPerArena = kArenaBytes / 8;

// HeapArena is the metadata of one 64 MiB arena.
struct HeapArena {
  std::atomic<Span*> spans[kPagesPerArena];
  // ptrbits: one bit per heap word, set when the word may hold a GC pointer
  // (heapbits.h). Written by the allocating P when an object in a scan span
  // is handed out; read by GC markers. 1 MiB per arena, committed on touch.
  std::uint64_t ptrbits[kWordsPerArena / 64];
};

extern std::atomic<HeapArena*> g_arena_index[kArenaIndexSize];

// span_of returns the span holding address p, or nullptr when p is not in
// a heap page that is in use. Lock-free; safe from any thread.
inline Span* span_of(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  if ((a >> kAddressBits) != 0) return nullptr;
  HeapArena* ha = g_arena_index[a >> kArenaShift].load(std::memory_order_acquire);
  if (ha == nullptr) return nullptr;
  return ha->spans[(a >> kPageShift) & (kPagesPerArena - 1)].load(std::memory_order_acquire);
}

// set_span_map points every page of [base, base + npages pages) at s
// (nullptr to clear). REQUIRES: mheap.lock held; the range is in arenas.
void set_span_map(std::uintptr_t base, std::size_t npages, Span* s);

// reserve_arenas reserves `bytes` (a multiple of kArenaBytes) of
// arena-aligned address space, registers its HeapArena records and returns
// its base, or 0 when the OS refuses. REQUIRES: mheap.lock held.
std::uintptr_t reserve_arenas(std::size_t bytes);

// in_arena reports whether p lies in some reserved arena.
inline bool in_arena(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  return (a >> kAddressBits) == 0 &&
         g_arena_index[a >> kArenaShift].load(std::memory_order_acquire) != nullptr;
}

}  // namespace gort::mem
