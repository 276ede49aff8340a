// gort/slice.h — Go's slices: a window (pointer, length, capacity) on a
// backing array.
//
// Semantics follow Go: copies of a slice share the backing array, and so do
// sub-slices, so writes through one are seen through the others; append
// writes in place while there is capacity (the "append after reslice"
// surprise: appending to s[:1] overwrites s[1]) and moves to a new array
// when there is not, after which the two no longer alias. Every element of
// the array, up to its capacity, holds a value (the zero value V{} until
// written), as Go's zeroed memory does (claim 312).
//
// Growth (append beyond capacity) is Go 1.18+'s growslice: the new capacity
// doubles while the old one is below 256, then grows by (cap + 3·256)/4 per
// step, never less than what is needed; the byte size is then rounded up to
// the allocator's size class (gort::lang::roundupsize), and the capacity is
// whatever fits in it. grow(n) is slices.Grow. Indexing is bounds-checked
// and panics with Go's message ("index out of range [5] with length 3").
//
// Memory: GC-MANAGED (gort/lang_alloc.h). The backing array is a block of
// the GC heap, noscan when T holds no pointers (lang::noscan_v), else
// scanned conservatively; nothing counts references: the array lives while
// a slice on a goroutine stack, in a reachable GC object or behind a
// gc::root points into it, and the collector frees it after that. The
// handle's data pointer is a gc::ptr, so a slice inside a GC object is
// traced and its stores run the write barrier; the handle itself is
// trivially destructible (it may live inside GC objects).
//
// Elements. T may hold GC pointers through gc::ptr (traced, barriered);
// raw pointers in elements are not traced. A non-trivially-destructible T
// (std::string) is supported: the array gets a finalizer that destroys its
// elements once the collector finds it unreachable (Go has no destructors;
// this is the closest sound rule in C++). Growth therefore COPIES non-
// trivially-copyable elements into the new array (the old one may still be
// shared by other slices; without reference counts we cannot know it is
// not). Bulk copies of pointer-holding elements (growth, copy()) shade the
// copied words while a mark runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <type_traits>
#include <utility>

#include "gort/lang_alloc.h"
#include "gort/panic.h"

namespace gort {

namespace lang {
// roundupsize returns the bytes an allocation of `size` really occupies in
// Go's allocator (size class, or whole pages above 32 KiB). Pointer-holding
// (scan) objects over 512 bytes carry an 8-byte header in Go 1.22+, which
// the rounding accounts for as Go's does.
std::size_t roundupsize(std::size_t size, bool noscan) noexcept;
// nextslicecap is growslice's capacity rule before size-class rounding.
std::int64_t nextslicecap(std::int64_t newlen, std::int64_t oldcap) noexcept;
// growslice_cap returns the capacity growslice picks for a slice of
// elements of elem_size bytes growing from old_cap to hold new_len.
std::int64_t growslice_cap(std::int64_t new_len, std::int64_t old_cap, std::size_t elem_size,
                           bool noscan);
[[noreturn]] void panic_slice3(std::int64_t lo, std::int64_t hi, std::int64_t max, std::int64_t cap);
[[noreturn]] void panic_makeslice_len();
[[noreturn]] void panic_makeslice_cap();
[[noreturn]] void panic_growslice_overflow();

// slice_counters counts reallocations made by append/grow, process-wide.
struct slice_counters {
  std::uint64_t reallocs;      // new backing arrays made by growth
  std::uint64_t bytes_copied;  // bytes of old elements copied into them
};
slice_counters read_slice_counters() noexcept;
void note_growslice(std::size_t bytes_copied) noexcept;

// noscan_v<T> (whether an array of T goes to a noscan block) is in
// gort/lang_alloc.h.

// elem_finalizer<T> destroys the elements of a dead backing array (every
// element the block has room for was constructed: see new_array).
template <class T>
void elem_finalizer(void* block) {
  T* p = static_cast<T*>(block);
  const std::size_t n = lang_usable(block) / sizeof(T);
  for (std::size_t i = 0; i < n; i++) p[i].~T();
}
}  // namespace lang

// slice<T> is Go's []T.
template <class T>
class slice {
  static_assert(alignof(T) <= 16, "gort::slice: over-aligned element type");

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  // slice() is the nil slice.
  slice() noexcept = default;
  slice(std::initializer_list<T> init) {
    if (init.size() == 0) return;
    *this = with_cap(init.size(), init.size());
    std::size_t i = 0;
    T* p = ptr_.get();
    for (const T& v : init) p[i++] = v;
  }
  // Copies share the array (the gc::ptr copy runs the barrier).
  slice(const slice& o) noexcept = default;
  // A moved-from slice is nil.
  slice(slice&& o) noexcept : ptr_(o.ptr_), len_(o.len_), cap_(o.cap_) { o.reset(); }
  slice& operator=(const slice& o) noexcept = default;
  slice& operator=(slice&& o) noexcept {
    if (this != &o) {
      ptr_ = o.ptr_;
      len_ = o.len_;
      cap_ = o.cap_;
      o.reset();
    }
    return *this;
  }
  ~slice() = default;  // trivial: slices may live inside GC objects

  void swap(slice& o) noexcept {
    slice tmp(*this);
    *this = o;
    o = tmp;
  }

  // make is Go's make([]T, len, cap). Panics on len < 0 or cap < len.
  static slice make(std::int64_t len, std::int64_t cap) {
    if (len < 0) lang::panic_makeslice_len();
    if (cap < len) lang::panic_makeslice_cap();
    return with_cap(static_cast<std::size_t>(len), static_cast<std::size_t>(cap));
  }

  bool is_nil() const noexcept { return !ptr_; }
  std::size_t size() const noexcept { return len_; }
  std::size_t len() const noexcept { return len_; }
  std::size_t cap() const noexcept { return cap_; }
  bool empty() const noexcept { return len_ == 0; }
  T* data() const noexcept { return ptr_.get(); }
  T* begin() const noexcept { return ptr_.get(); }
  T* end() const noexcept { return ptr_.get() + len_; }

  // operator[] is s[i], bounds-checked (a panic, not UB).
  T& operator[](std::size_t i) const {
    if (__builtin_expect(i >= len_, 0)) lang::panic_index(static_cast<std::int64_t>(i), static_cast<std::int64_t>(len_));
    return ptr_.get()[i];
  }

  // sub(lo, hi) is s[lo:hi]; it may extend up to the capacity, as in Go.
  slice sub(std::size_t lo, std::size_t hi) const {
    if (hi > cap_ || lo > hi) {
      lang::panic_slice_bounds(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi),
                               static_cast<std::int64_t>(cap_));
    }
    return window(lo, hi, cap_);
  }
  // sub(lo) is s[lo:].
  slice sub(std::size_t lo) const { return sub(lo, len_); }
  // sub(lo, hi, max) is the full slice expression s[lo:hi:max].
  slice sub(std::size_t lo, std::size_t hi, std::size_t max) const {
    if (max > cap_ || hi > max || lo > hi) {
      lang::panic_slice3(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi),
                         static_cast<std::int64_t>(max), static_cast<std::int64_t>(cap_));
    }
    return window(lo, hi, max);
  }

  // append adds v in place (s = append(s, v)).
  void append(const T& v) {
    // v may be an element of our old array: it stays valid across growth
    // (the reference keeps the array alive; nothing frees it).
    if (__builtin_expect(len_ == cap_, 0)) grow_to(len_ + 1);
    ptr_.get()[len_++] = v;
  }
  void append(T&& v) {
    if (__builtin_expect(len_ == cap_, 0)) grow_to(len_ + 1);
    ptr_.get()[len_++] = std::move(v);
  }
  // append_slice adds all of o (s = append(s, o...)); o may alias s.
  void append_slice(const slice& o) {
    slice keep(o);  // o's window stays valid (and its array alive) across growth
    if (len_ + keep.len_ > cap_) grow_to(len_ + keep.len_);
    T* d = ptr_.get() + len_;
    const T* src = keep.ptr_.get();
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (keep.len_) {
        std::memmove(static_cast<void*>(d), static_cast<const void*>(src), keep.len_ * sizeof(T));
        if constexpr (!lang::noscan_v<T>) gc::detail::shade_copied(d, keep.len_ * sizeof(T));
      }
    } else {
      for (std::size_t i = 0; i < keep.len_; i++) d[i] = src[i];
    }
    len_ += keep.len_;
  }

  // grow guarantees room for n more elements without another reallocation
  // (slices.Grow): a no-op when cap - len >= n.
  void grow(std::size_t n) {
    if (cap_ - len_ < n) {
      std::size_t old_len = len_;
      grow_to(len_ + n);
      len_ = old_len;
    }
  }

 private:
  void reset() noexcept {
    ptr_ = nullptr;
    len_ = 0;
    cap_ = 0;
  }
  // new_array returns a zeroed GC array of cap values (cap == 0: the
  // zero-size block, non-null).
  static T* new_array(std::size_t cap) {
    if (cap > (std::size_t{1} << 47) / sizeof(T)) lang::panic_makeslice_cap();
    std::size_t bytes = cap * sizeof(T);
    // Blocks below 32 bytes are only 8-byte aligned.
    if constexpr (alignof(T) > 8) {
      if (bytes != 0 && bytes < 32) bytes = 32;
    }
    T* p = static_cast<T*>(lang::lang_alloc(bytes, !lang::noscan_v<T>));
    if (cap == 0) return p;
    constexpr bool kConstruct = !(std::is_trivially_default_constructible_v<T> && std::is_trivially_copyable_v<T>);
    if constexpr (!std::is_trivially_destructible_v<T>) {
      // Construct every element the block has room for, so the finalizer
      // can destroy them all without knowing the capacity.
      const std::size_t n = lang::lang_usable(p) / sizeof(T);
      for (std::size_t i = 0; i < n; i++) ::new (static_cast<void*>(p + i)) T();
      lang::lang_finalize(p, &lang::elem_finalizer<T>);
    } else if constexpr (kConstruct) {
      for (std::size_t i = 0; i < cap; i++) ::new (static_cast<void*>(p + i)) T();
    }
    return p;
  }
  static slice with_cap(std::size_t len, std::size_t cap) {
    slice s;
    // make([]T, 0) is not nil: a zero-capacity array.
    s.ptr_ = gc::ptr<T>::from_raw(new_array(cap));
    s.len_ = len;
    s.cap_ = cap;
    return s;
  }
  slice window(std::size_t lo, std::size_t hi, std::size_t max) const {
    slice s(*this);
    // As Go's compiler does: a result with no capacity keeps the base
    // pointer, so it never points one past the array (into a neighbour).
    if (max - lo != 0) s.ptr_ = gc::ptr<T>::from_raw(ptr_.get() + lo);
    s.len_ = hi - lo;
    s.cap_ = max - lo;
    return s;
  }
  // grow_to moves the elements to a new array able to hold need elements,
  // with Go's growth rule; len_ is unchanged.
  void grow_to(std::size_t need) {
    auto newcap = static_cast<std::size_t>(lang::growslice_cap(
        static_cast<std::int64_t>(need), static_cast<std::int64_t>(cap_), sizeof(T), lang::noscan_v<T>));
    T* p = new_array(newcap);
    const T* old = ptr_.get();
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (len_) {
        std::memcpy(static_cast<void*>(p), static_cast<const void*>(old), len_ * sizeof(T));
        if constexpr (!lang::noscan_v<T>) gc::detail::shade_copied(p, len_ * sizeof(T));
      }
    } else {
      // Copy, never move: other slices may still share the old array.
      for (std::size_t i = 0; i < len_; i++) p[i] = old[i];
    }
    lang::note_growslice(len_ * sizeof(T));
    ptr_ = gc::ptr<T>::from_raw(p);
    cap_ = newcap;
  }

  gc::ptr<T> ptr_;
  std::size_t len_ = 0;
  std::size_t cap_ = 0;
};

// make_slice<T>(len[, cap]) is Go's make([]T, len, cap).
template <class T>
slice<T> make_slice(std::int64_t len, std::int64_t cap) {
  return slice<T>::make(len, cap);
}
template <class T>
slice<T> make_slice(std::int64_t len) {
  return slice<T>::make(len, len);
}

// append(s, vs...) returns s with vs appended (Go's built-in; s itself is
// untouched, but shares the array when there was room).
template <class T, class... U>
slice<T> append(slice<T> s, U&&... vs) {
  if constexpr (sizeof...(vs) > 1) s.grow(sizeof...(vs));
  (s.append(std::forward<U>(vs)), ...);
  return s;
}

// copy(dst, src) copies min(len(dst), len(src)) elements and returns the
// count; overlapping slices of one array are handled as memmove does.
template <class T>
std::size_t copy(const slice<T>& dst, const slice<T>& src) {
  std::size_t n = dst.len() < src.len() ? dst.len() : src.len();
  if (n == 0 || dst.data() == src.data()) return n;
  if constexpr (std::is_trivially_copyable_v<T>) {
    std::memmove(static_cast<void*>(dst.data()), static_cast<const void*>(src.data()), n * sizeof(T));
    if constexpr (!lang::noscan_v<T>) gc::detail::shade_copied(dst.data(), n * sizeof(T));
  } else if (dst.data() < src.data()) {
    for (std::size_t i = 0; i < n; i++) dst.data()[i] = src.data()[i];
  } else {
    for (std::size_t i = n; i-- > 0;) dst.data()[i] = src.data()[i];
  }
  return n;
}

template <class T>
std::size_t len(const slice<T>& s) noexcept {
  return s.len();
}
template <class T>
std::size_t cap(const slice<T>& s) noexcept {
  return s.cap();
}

}  // namespace gort
