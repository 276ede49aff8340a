// gort/lang_alloc.h — the one seam through which maps and slices get memory.
//
// GC-MANAGED. Slice backing arrays, map headers, buckets and Swiss-map
// groups are blocks of the garbage-collected heap (gort::mem::alloc):
// zeroed, never freed explicitly. The collector reclaims a block once no
// root, goroutine stack or reachable GC object refers to it (interior
// pointers count: a sub-slice keeps its whole array). There are no
// reference counts and no lang_free.
//
// scan says whether the block may hold GC pointers. false gives a noscan
// block the collector never looks into (elements that hold no pointers:
// lang::noscan_v in gort/slice.h); true gives a block scanned
// conservatively, every 8-byte word a possible pointer.
//
// Element types with destructors. GC memory has no destructors. So that a
// std::string (or any type owning malloc memory) stored in a slice or map
// does not leak, a block whose elements are not trivially destructible gets
// a finalizer (gc::set_finalizer_raw) that destroys the elements still in
// it once the block is unreachable: destruction is deferred to the cycle
// that finds the block dead, as Go's finalizers are, and never happens
// while the runtime is not running (then nothing is collected either).
//
// Barrier rules for what lives in these blocks:
//  * An element that holds gc::ptr members runs the write barrier in its
//    own copy/move operations; nothing else is needed.
//  * A bulk copy (memcpy of trivially copyable elements) into a block that
//    may hold pointers is followed by gc::detail::shade_copied(dst, bytes),
//    so a pointer moved during a mark is not hidden from the collector.
//  * Raw T* fields in elements are NOT traced reliably: their stores run no
//    barrier, and pointer-free-looking (trivially copyable) element types go
//    to noscan blocks. Hold GC objects in elements through gc::ptr.
//  * A slice or map handle (gort::slice, gort::map) inside a GC object is a
//    gc::ptr underneath, so layout capture finds it; one in malloc memory
//    (std::vector<gort::slice<T>>, a static) is NOT a root: keep such data
//    alive from a gc::root / gc::global, or from a goroutine stack.
#pragma once

#include <cstddef>
#include <type_traits>

#include "gort/gc.h"
#include "gort/mem.h"

namespace gort::lang {

// noscan_v<T>: whether Go would put an array of T in a noscan block. We
// cannot see pointer fields of C++ types, so trivially copyable non-pointer
// types count as pointer-free (a type holding a gc::ptr is not trivially
// copyable); a type may say otherwise with `static constexpr bool
// gort_noscan = ...;` (false for a trivially copyable type whose words may
// point into the GC heap).
template <class T, class = void>
inline constexpr bool noscan_v = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>;
template <class T>
inline constexpr bool noscan_v<T, std::void_t<decltype(T::gort_noscan)>> = T::gort_noscan;

// lang_alloc returns `bytes` of zeroed GC memory aligned to 16 bytes when
// bytes >= 32 (8 below), like Go's mallocgc with needzero. Out of range
// sizes panic, as in Go. The whole size-class slot is requested (and so
// zeroed and, under ASan, addressable): containers use the slack (slice
// capacity rounded to the class, finalizers walking every bucket slot).
inline void* lang_alloc(std::size_t bytes, bool scan) {
  constexpr std::size_t kHuge = std::size_t{1} << 46;  // leave out-of-range sizes to alloc's panic
  return mem::alloc(bytes == 0 || bytes >= kHuge ? bytes : mem::rounded_size(bytes), scan);
}

// lang_usable returns how many bytes the block holding p really has (its
// size class); 0 for the zero-size block. Only the bytes asked for are
// zeroed: the slack past them may hold a freed object's old contents.
inline std::size_t lang_usable(const void* p) { return mem::usable_size(p); }

// lang_finalize arranges for fn(block) to run once `block` (the start of a
// block from lang_alloc) is unreachable; see the destructor rule above.
inline void lang_finalize(void* block, void (*fn)(void*)) { gc::set_finalizer_raw(block, fn); }

}  // namespace gort::lang
