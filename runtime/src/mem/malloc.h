// malloc.h — allocator internals other runtime subsystems (the GC) use.
// The design essay is at the top of malloc.cc.
#pragma once

#include <atomic>
#include <cstddef>

namespace gort::gc {
struct Layout;
}

namespace gort::mem {

// kMaxAlloc: no single object may be this large or larger (2^47 bytes, the
// user half of a 48-bit address space).
inline constexpr std::size_t kMaxAlloc = std::size_t{1} << 47;

// g_allocate_black: while the GC marks, every new object is born marked
// (so the sweep that follows keeps it). Set by the GC with the world stopped.
extern std::atomic<bool> g_allocate_black;

// alloc_typed returns n zeroed elements of elem_size bytes whose pointer
// words are given by layout (nullptr: none) or, with conservative, are
// every word; the pointer bitmap (heapbits.h) is written before the object
// is visible. Panics like alloc_array on overflow.
void* alloc_typed(std::size_t elem_size, std::size_t n, const gc::Layout* layout, bool conservative);

// is_zerobase reports whether p is the address every zero-size allocation
// returns (outside the heap, yet a valid GC pointer).
bool is_zerobase(const void* p);

}  // namespace gort::mem
