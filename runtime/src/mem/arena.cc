// arena.cc — arena reservation and the page-to-span map. See arena.h.
#include "mem/arena.h"

#include "debug/fatal.h"
#include "mem/sysmem.h"

#if defined(GORT_ASAN)
#include <sanitizer/lsan_interface.h>
#endif

namespace gort::mem {

// 4 Mi entries * 8 B = 32 MiB of zero-initialised BSS: only the pages that
// index real arenas are ever touched.
std::atomic<HeapArena*> g_arena_index[kArenaIndexSize];

void set_span_map(std::uintptr_t base, std::size_t npages, Span* s) {
  for (std::size_t i = 0; i < npages; ++i) {
    const std::uintptr_t a = base + i * kPageSize;
    HeapArena* ha = g_arena_index[a >> kArenaShift].load(std::memory_order_relaxed);
    GORT_CHECK(ha != nullptr, "mheap: span outside any arena");
    ha->spans[(a >> kPageShift) & (kPagesPerArena - 1)].store(s, std::memory_order_release);
  }
}

std::uintptr_t reserve_arenas(std::size_t bytes) {
  void* p = sys::reserve(bytes, kArenaBytes);
  if (p == nullptr) return 0;
  const auto base = reinterpret_cast<std::uintptr_t>(p);
  if (((base + bytes - 1) >> kAddressBits) != 0) {
    sys::unmap(p, bytes);
    return 0;  // beyond the 48-bit index: treat as exhausted
  }
#if defined(GORT_ASAN)
  // The GC heap is mmap'ed, so LeakSanitizer would not look inside it: malloc
  // blocks owned by GC objects (a std::string in a gort::map, destroyed by a
  // finalizer when the collector frees the map) would read as leaked. Its
  // readable parts are a root region.
  __lsan_register_root_region(p, bytes);
#endif
  for (std::uintptr_t a = base; a < base + bytes; a += kArenaBytes) {
    auto* ha = static_cast<HeapArena*>(sys::alloc_metadata(sizeof(HeapArena)));
    g_arena_index[a >> kArenaShift].store(ha, std::memory_order_release);
  }
  return base;
}

}  // namespace gort::mem
