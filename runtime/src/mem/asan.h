// asan.h — telling AddressSanitizer which heap bytes are handed out.
//
// Under GORT_ASAN, memory the allocator holds but has not handed out is
// poisoned: free object slots, free pages, the tail of an object beyond the
// size asked for. alloc() unpoisons exactly the bytes it returns; sweeping
// poisons what it frees; mheap poisons whole spans it takes back. A user
// touching freed or never-allocated heap memory then gets ASan's report.
// Elsewhere these are no-ops.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(GORT_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace gort::mem {

inline void asan_poison(std::uintptr_t p, std::size_t n) {
#if defined(GORT_ASAN)
  ASAN_POISON_MEMORY_REGION(reinterpret_cast<void*>(p), n);
#else
  (void)p, (void)n;
#endif
}

inline void asan_unpoison(std::uintptr_t p, std::size_t n) {
#if defined(GORT_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(p), n);
#else
  (void)p, (void)n;
#endif
}

}  // namespace gort::mem
