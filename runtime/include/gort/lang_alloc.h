// gort/lang_alloc.h — the one seam through which maps and slices get memory.
//
// NOT YET GC-MANAGED. Until the garbage collector (issue 6) exists, map
// buckets and slice backing arrays are zeroed blocks from calloc, freed
// explicitly (maps free on last reference; slices by reference count of the
// backing array). Switching maps and slices to the GC heap is a change to
// this file (and to the release points that call lang_free), nothing else.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace gort::lang {

// lang_alloc returns `bytes` of zeroed memory aligned to 16 bytes (Go's
// mallocgc with needzero). Out of memory is fatal, as in Go.
inline void* lang_alloc(std::size_t bytes) {
  void* p = std::calloc(1, bytes == 0 ? 1 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// lang_free releases a block from lang_alloc.
inline void lang_free(void* p) noexcept { std::free(p); }

}  // namespace gort::lang
