// slice.cc — growslice's capacity rule and size-class rounding for
// gort::slice (semantics at the top of runtime/include/gort/slice.h).
#include <atomic>
#include <cstdio>

#include "gc/mgc.h"
#include "gort/slice.h"
#include "lang/panic.h"
#include "mem/sizeclasses.h"

namespace gort::lang {
namespace {
std::atomic<std::uint64_t> g_reallocs{0};
std::atomic<std::uint64_t> g_bytes_copied{0};
// Go 1.22+: pointer-holding objects above 512 bytes get an 8-byte header.
constexpr std::size_t kMallocHeaderSize = 8;
constexpr std::size_t kMinSizeForMallocHeader = 512;
}  // namespace

std::size_t roundupsize(std::size_t size, bool noscan) noexcept {
  std::size_t req = size;
  if (req <= mem::kMaxSmallSize - kMallocHeaderSize) {
    if (!noscan && req > kMinSizeForMallocHeader) req += kMallocHeaderSize;
    if (req == 0) return 0;
    return mem::class_info(mem::size_to_class(req)).size - (req - size);
  }
  std::size_t r = req + mem::kPageSize - 1;
  if (r < size) return size;
  return r & ~(mem::kPageSize - 1);
}

std::int64_t nextslicecap(std::int64_t newlen, std::int64_t oldcap) noexcept {
  std::int64_t newcap = oldcap;
  std::int64_t doublecap = newcap + newcap;
  if (newlen > doublecap) return newlen;
  constexpr std::int64_t kThreshold = 256;
  if (oldcap < kThreshold) return doublecap;
  // From 2x for small slices towards 1.25x for large ones, smoothly: each
  // step adds a quarter of the capacity plus 192.
  for (;;) {
    newcap += (newcap + 3 * kThreshold) >> 2;
    if (static_cast<std::uint64_t>(newcap) >= static_cast<std::uint64_t>(newlen)) break;
  }
  return newcap <= 0 ? newlen : newcap;
}

std::int64_t growslice_cap(std::int64_t new_len, std::int64_t old_cap, std::size_t elem_size,
                           bool noscan) {
  std::int64_t newcap = nextslicecap(new_len, old_cap);
  if (elem_size == 0) return newcap;
  unsigned __int128 bytes = static_cast<unsigned __int128>(newcap) * elem_size;
  if (bytes > (std::uint64_t{1} << 47)) panic_growslice_overflow();
  std::size_t capmem = roundupsize(static_cast<std::size_t>(bytes), noscan);
  return static_cast<std::int64_t>(capmem / elem_size);
}

void panic_slice3(std::int64_t lo, std::int64_t hi, std::int64_t max, std::int64_t cap) {
  char buf[128];
  if (max > cap) {
    std::snprintf(buf, sizeof buf, "runtime error: slice bounds out of range [::%lld] with capacity %lld",
                  static_cast<long long>(max), static_cast<long long>(cap));
  } else if (hi > max) {
    std::snprintf(buf, sizeof buf, "runtime error: slice bounds out of range [:%lld:%lld]",
                  static_cast<long long>(hi), static_cast<long long>(max));
  } else {
    std::snprintf(buf, sizeof buf, "runtime error: slice bounds out of range [%lld:%lld:]",
                  static_cast<long long>(lo), static_cast<long long>(hi));
  }
  panic_runtime_error(buf);
}

void panic_makeslice_len() { panic_runtime_error("runtime error: makeslice: len out of range"); }
void panic_makeslice_cap() { panic_runtime_error("runtime error: makeslice: cap out of range"); }
void panic_growslice_overflow() { panic_runtime_error("runtime error: growslice: len out of range"); }

slice_counters read_slice_counters() noexcept {
  return {g_reallocs.load(std::memory_order_relaxed), g_bytes_copied.load(std::memory_order_relaxed)};
}

void note_growslice(std::size_t bytes_copied) noexcept {
  g_reallocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes_copied.fetch_add(bytes_copied, std::memory_order_relaxed);
}

}  // namespace gort::lang

namespace gort::gc::detail {
// The public face of gc::shade_range (gort/gc.h), for bulk copies in
// header-only code (slice growth, copy(), map and Swiss-map rebuilds).
void shade_range(const void* p, std::size_t bytes) noexcept { ::gort::gc::shade_range(p, bytes); }
}  // namespace gort::gc::detail
