// malloc.h — allocator internals other runtime subsystems (the GC) use.
// The design essay is at the top of malloc.cc.
#pragma once

#include <atomic>
#include <cstddef>

namespace gort::mem {

// kMaxAlloc: no single object may be this large or larger (2^47 bytes, the
// user half of a 48-bit address space).
inline constexpr std::size_t kMaxAlloc = std::size_t{1} << 47;

// g_allocate_black: while the GC marks, every new object is born marked
// (so the sweep that follows keeps it). Set by the GC with the world stopped.
extern std::atomic<bool> g_allocate_black;

}  // namespace gort::mem
