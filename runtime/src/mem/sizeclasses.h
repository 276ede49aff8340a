// sizeclasses.h — the small-object size classes, computed at compile time.
//
// The table is derived the way Go's mksizeclasses.go derives its own, so the
// two allocators round sizes identically (claim 309 compares them):
//
//   1. Walk sizes from 8 to 32 KiB in steps of the current alignment: 8 B
//      below 32, 16 B up to 128, then size/8 at each power of two from 128
//      (16, 32, 64, 128), and 256 B from 2 KiB up.
//   2. For each size, take the fewest 8 KiB pages such that the tail left
//      over after packing whole objects is at most 1/8 of the span
//      (tail waste <= 12.5%).
//   3. When a size packs the same number of objects into the same number of
//      pages as the class before it, it replaces that class (bigger objects,
//      same span shape).
//   4. Finally grow every class to the largest multiple of 128 B that still
//      packs the same object count into its pages.
//
// The result has 68 classes (class 0 means "large object, not a class").
// Lookup goes through two dense tables: sizes <= 1024 in 8 B steps, larger
// ones in 128 B steps. Each class also carries the 32-bit magic multiplier
// that turns an offset inside a span into an object index without a divide
// (offset * div_mul >> 32), exact for every offset a span can hold.
//
// A span class is a size class and a scan bit: (size_class << 1) | noscan.
// Spans holding pointer-free objects (noscan) are never scanned by the GC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace gort::mem {

// kPageShift/kPageSize: the allocator's page (Go's _PageSize, 8 KiB).
inline constexpr std::size_t kPageShift = 13;
inline constexpr std::size_t kPageSize = std::size_t{1} << kPageShift;
// kMaxSmallSize is the largest size served from a size class; bigger
// requests are "large objects", a span of their own.
inline constexpr std::size_t kMaxSmallSize = 32768;
// kSmallSizeMax/kSmallSizeDiv/kLargeSizeDiv: the two lookup tables' ranges.
inline constexpr std::size_t kSmallSizeMax = 1024;
inline constexpr std::size_t kSmallSizeDiv = 8;
inline constexpr std::size_t kLargeSizeDiv = 128;
// kNumSizeClasses counts class 0 (large) too.
inline constexpr int kNumSizeClasses = 68;
// kNumSpanClasses: every size class twice, scan and noscan.
inline constexpr int kNumSpanClasses = kNumSizeClasses * 2;

// SizeClassInfo describes one size class.
struct SizeClassInfo {
  std::uint32_t size = 0;    // object size in bytes
  std::uint32_t npages = 0;  // pages per span
  std::uint32_t nelems = 0;  // objects per span
  std::uint32_t div_mul = 0; // offset * div_mul >> 32 == offset / size
};

namespace detail {

constexpr bool is_pow2(std::size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// SizeClassTable is the generator's output: the classes and both lookups.
struct SizeClassTable {
  std::array<SizeClassInfo, kNumSizeClasses> cls{};
  int count = 0;  // classes produced (must equal kNumSizeClasses)
  std::array<std::uint8_t, kSmallSizeMax / kSmallSizeDiv + 1> small{};
  std::array<std::uint8_t, (kMaxSmallSize - kSmallSizeMax) / kLargeSizeDiv + 1> large{};
};

constexpr SizeClassTable generate() {
  SizeClassTable t;
  // Step 1-3: candidate sizes, their page counts, merging equal shapes.
  std::size_t sizes[128] = {};
  std::size_t pages[128] = {};
  int n = 1;  // index 0 is the "large" placeholder
  std::size_t align = 8;
  for (std::size_t size = align; size <= kMaxSmallSize; size += align) {
    if (is_pow2(size)) {
      if (size >= 2048) {
        align = 256;
      } else if (size >= 128) {
        align = size / 8;
      } else if (size >= 32) {
        align = 16;
      }
    }
    std::size_t span_bytes = kPageSize;
    while (span_bytes % size > span_bytes / 8) span_bytes += kPageSize;
    const std::size_t np = span_bytes / kPageSize;
    if (n > 1 && pages[n - 1] == np && span_bytes / sizes[n - 1] == span_bytes / size) {
      sizes[n - 1] = size;  // same shape as the previous class: widen it
      continue;
    }
    if (n >= 128) return t;  // impossible; count check below catches it
    sizes[n] = size;
    pages[n] = np;
    ++n;
  }
  // Step 4: grow each class while its span still holds as many objects.
  for (int i = 1; i < n; ++i) {
    const std::size_t span_bytes = pages[i] * kPageSize;
    const std::size_t grown = (span_bytes / (span_bytes / sizes[i])) & ~(kLargeSizeDiv - 1);
    if (grown > sizes[i]) sizes[i] = grown;
  }
  t.count = n;
  for (int i = 1; i < n && i < kNumSizeClasses; ++i) {
    SizeClassInfo& c = t.cls[i];
    c.size = static_cast<std::uint32_t>(sizes[i]);
    c.npages = static_cast<std::uint32_t>(pages[i]);
    c.nelems = static_cast<std::uint32_t>(pages[i] * kPageSize / sizes[i]);
    c.div_mul = static_cast<std::uint32_t>(0xFFFFFFFFu / c.size + 1);
  }
  // Lookup tables: the smallest class whose size fits.
  int c = 1;
  for (std::size_t i = 0; i < t.small.size(); ++i) {
    const std::size_t want = i * kSmallSizeDiv;
    while (c < n - 1 && t.cls[c].size < want) ++c;
    t.small[i] = static_cast<std::uint8_t>(c);
  }
  for (std::size_t i = 0; i < t.large.size(); ++i) {
    const std::size_t want = kSmallSizeMax + i * kLargeSizeDiv;
    while (c < n - 1 && t.cls[c].size < want) ++c;
    t.large[i] = static_cast<std::uint8_t>(c);
  }
  return t;
}

inline constexpr SizeClassTable kTable = generate();
static_assert(kTable.count == kNumSizeClasses, "size class generator changed its class count");

}  // namespace detail

// class_info returns size class sc's description (sc in [1, kNumSizeClasses)).
constexpr const SizeClassInfo& class_info(int sc) { return detail::kTable.cls[sc]; }

// size_to_class returns the smallest size class holding `size` bytes.
// REQUIRES: 0 < size <= kMaxSmallSize.
constexpr int size_to_class(std::size_t size) {
  if (size <= kSmallSizeMax) return detail::kTable.small[(size + kSmallSizeDiv - 1) / kSmallSizeDiv];
  return detail::kTable.large[(size - kSmallSizeMax + kLargeSizeDiv - 1) / kLargeSizeDiv];
}

// SpanClass packs a size class and the noscan bit.
using SpanClass = std::uint8_t;
constexpr SpanClass make_span_class(int size_class, bool noscan) {
  return static_cast<SpanClass>((size_class << 1) | (noscan ? 1 : 0));
}
constexpr int span_class_size(SpanClass spc) { return spc >> 1; }
constexpr bool span_class_noscan(SpanClass spc) { return (spc & 1) != 0; }

// round_up_size returns the size a request of `size` bytes really occupies:
// its class's size, or whole pages for a large object (Go's roundupsize).
constexpr std::size_t round_up_size(std::size_t size) {
  if (size <= kMaxSmallSize) return size == 0 ? 0 : class_info(size_to_class(size)).size;
  return (size + kPageSize - 1) & ~(kPageSize - 1);
}

}  // namespace gort::mem
