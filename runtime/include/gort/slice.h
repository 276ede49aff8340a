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
// Memory: NOT YET GC-MANAGED. The backing array comes from lang_alloc
// (gort/lang_alloc.h) behind a small header with an atomic reference count;
// the last slice referring to it frees it. The GC issue replaces the count.
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

// noscan_v<T>: whether Go would put an array of T in a noscan span. We
// cannot see pointer fields of C++ types, so trivially copyable non-pointer
// types count as pointer-free; a type may say otherwise with
// `static constexpr bool gort_noscan = ...;`.
template <class T, class = void>
inline constexpr bool noscan_v = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>;
template <class T>
inline constexpr bool noscan_v<T, std::void_t<decltype(T::gort_noscan)>> = T::gort_noscan;

// slice_array is the header in front of a backing array.
struct slice_array {
  std::atomic<std::intptr_t> refs;
  std::size_t cap;
};
inline constexpr std::size_t kSliceHeader = 16;
static_assert(sizeof(slice_array) <= kSliceHeader);
}  // namespace lang

// slice<T> is Go's []T.
template <class T>
class slice {
  static_assert(alignof(T) <= lang::kSliceHeader, "gort::slice: over-aligned element type");

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
    for (const T& v : init) ptr_[i++] = v;
  }
  slice(const slice& o) noexcept : arr_(o.arr_), ptr_(o.ptr_), len_(o.len_), cap_(o.cap_) { ref(arr_); }
  slice(slice&& o) noexcept
      : arr_(std::exchange(o.arr_, nullptr)),
        ptr_(std::exchange(o.ptr_, nullptr)),
        len_(std::exchange(o.len_, 0)),
        cap_(std::exchange(o.cap_, 0)) {}
  slice& operator=(const slice& o) noexcept {
    slice tmp(o);
    swap(tmp);
    return *this;
  }
  slice& operator=(slice&& o) noexcept {
    slice tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~slice() { unref(arr_); }

  void swap(slice& o) noexcept {
    std::swap(arr_, o.arr_);
    std::swap(ptr_, o.ptr_);
    std::swap(len_, o.len_);
    std::swap(cap_, o.cap_);
  }

  // make is Go's make([]T, len, cap). Panics on len < 0 or cap < len.
  static slice make(std::int64_t len, std::int64_t cap) {
    if (len < 0) lang::panic_makeslice_len();
    if (cap < len) lang::panic_makeslice_cap();
    return with_cap(static_cast<std::size_t>(len), static_cast<std::size_t>(cap));
  }

  bool is_nil() const noexcept { return ptr_ == nullptr; }
  std::size_t size() const noexcept { return len_; }
  std::size_t len() const noexcept { return len_; }
  std::size_t cap() const noexcept { return cap_; }
  bool empty() const noexcept { return len_ == 0; }
  T* data() const noexcept { return ptr_; }
  T* begin() const noexcept { return ptr_; }
  T* end() const noexcept { return ptr_ + len_; }

  // operator[] is s[i], bounds-checked (a panic, not UB).
  T& operator[](std::size_t i) const {
    if (__builtin_expect(i >= len_, 0)) lang::panic_index(static_cast<std::int64_t>(i), static_cast<std::int64_t>(len_));
    return ptr_[i];
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
    if (__builtin_expect(len_ == cap_, 0)) grow_to(len_ + 1);
    ptr_[len_++] = v;
  }
  void append(T&& v) {
    if (__builtin_expect(len_ == cap_, 0)) grow_to(len_ + 1);
    ptr_[len_++] = std::move(v);
  }
  // append_slice adds all of o (s = append(s, o...)); o may alias s.
  void append_slice(const slice& o) {
    slice keep(o);  // o's array stays alive even if growth drops ours
    if (len_ + keep.len_ > cap_) grow_to(len_ + keep.len_);
    for (std::size_t i = 0; i < keep.len_; i++) ptr_[len_ + i] = keep.ptr_[i];
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
  static void ref(lang::slice_array* a) noexcept {
    if (a) a->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void unref(lang::slice_array* a) noexcept {
    if (a == nullptr || a->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if constexpr (!std::is_trivially_destructible_v<T>) {
      T* p = elems(a);
      for (std::size_t i = 0; i < a->cap; i++) p[i].~T();
    }
    lang::lang_free(a);
  }
  static T* elems(lang::slice_array* a) noexcept {
    return std::launder(reinterpret_cast<T*>(reinterpret_cast<char*>(a) + lang::kSliceHeader));
  }
  // new_array allocates a zeroed array of cap values with one reference.
  static lang::slice_array* new_array(std::size_t cap) {
    if (cap > (SIZE_MAX - lang::kSliceHeader) / sizeof(T)) lang::panic_makeslice_cap();
    void* mem = lang::lang_alloc(lang::kSliceHeader + cap * sizeof(T));
    auto* a = ::new (mem) lang::slice_array{{1}, cap};
    if constexpr (!(std::is_trivially_default_constructible_v<T> && std::is_trivially_copyable_v<T>)) {
      T* p = reinterpret_cast<T*>(reinterpret_cast<char*>(a) + lang::kSliceHeader);
      for (std::size_t i = 0; i < cap; i++) ::new (p + i) T();
    }
    return a;
  }
  static slice with_cap(std::size_t len, std::size_t cap) {
    slice s;
    if (cap == 0 && len == 0) {
      // make([]T, 0) is not nil: give it a zero-capacity array.
      s.arr_ = new_array(0);
    } else {
      s.arr_ = new_array(cap);
    }
    s.ptr_ = elems(s.arr_);
    s.len_ = len;
    s.cap_ = cap;
    return s;
  }
  slice window(std::size_t lo, std::size_t hi, std::size_t max) const {
    slice s(*this);
    s.ptr_ = ptr_ + lo;
    s.len_ = hi - lo;
    s.cap_ = max - lo;
    return s;
  }
  // grow_to moves the elements to a new array able to hold need elements,
  // with Go's growth rule; len_ is unchanged.
  void grow_to(std::size_t need) {
    auto newcap = static_cast<std::size_t>(lang::growslice_cap(
        static_cast<std::int64_t>(need), static_cast<std::int64_t>(cap_), sizeof(T), lang::noscan_v<T>));
    lang::slice_array* a = new_array(newcap);
    T* p = elems(a);
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (len_) std::memcpy(static_cast<void*>(p), static_cast<const void*>(ptr_), len_ * sizeof(T));
    } else if (arr_ != nullptr && arr_->refs.load(std::memory_order_acquire) == 1) {
      for (std::size_t i = 0; i < len_; i++) p[i] = std::move(ptr_[i]);  // no one else sees them
    } else {
      for (std::size_t i = 0; i < len_; i++) p[i] = ptr_[i];
    }
    lang::note_growslice(len_ * sizeof(T));
    unref(arr_);
    arr_ = a;
    ptr_ = p;
    cap_ = newcap;
  }

  lang::slice_array* arr_ = nullptr;
  T* ptr_ = nullptr;
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
