// span.cc — span setup, the slow free-slot search, sweeping a span's bits,
// and interior-pointer lookup. See span.h.
#include "mem/span.h"

#include <cstring>

#include "mem/arena.h"

namespace gort::mem {

void Span::init_small(std::uintptr_t base_, SpanClass spc_) {
  const SizeClassInfo& ci = class_info(span_class_size(spc_));
  base = base_;
  npages = ci.npages;
  elemsize = ci.size;
  nelems = ci.nelems;
  div_mul = ci.div_mul;
  limit = base + std::uintptr_t{nelems} * elemsize;
  spc = spc_;
  freeindex = 0;
  alloc_count = 0;
  alloc_bits = bits_[0];
  mark_bits = bits_[1];
  std::memset(bits_, 0, sizeof bits_);
  refill_alloc_cache(0);
  next = prev = nullptr;
  list = 0xff;
}

void Span::init_large(std::uintptr_t base_, std::size_t npages_, SpanClass spc_) {
  base = base_;
  npages = npages_;
  elemsize = npages_ * kPageSize;
  nelems = 1;
  div_mul = 0;
  limit = base + elemsize;
  spc = spc_;
  freeindex = 0;
  alloc_count = 0;
  alloc_bits = bits_[0];
  mark_bits = bits_[1];
  std::memset(bits_, 0, sizeof bits_);
  refill_alloc_cache(0);
  next = prev = nullptr;
  list = 0xff;
}

std::uint32_t Span::next_free_index() {
  std::uint32_t fi = freeindex;
  if (fi == nelems) return fi;
  std::uint64_t cache = alloc_cache;
  unsigned bit = cache == 0 ? 64u : static_cast<unsigned>(__builtin_ctzll(cache));
  while (bit == 64) {
    // This word is used up: move to the start of the next one.
    fi = (fi + 64) & ~std::uint32_t{63};
    if (fi >= nelems) {
      std::atomic_ref<std::uint32_t>(freeindex).store(nelems, std::memory_order_relaxed);
      return nelems;
    }
    refill_alloc_cache(fi / 64);
    cache = alloc_cache;
    bit = cache == 0 ? 64u : static_cast<unsigned>(__builtin_ctzll(cache));
  }
  const std::uint32_t idx = fi + bit;
  if (idx >= nelems) {
    std::atomic_ref<std::uint32_t>(freeindex).store(nelems, std::memory_order_relaxed);
    return nelems;
  }
  alloc_cache = (cache >> bit) >> 1;
  fi = idx + 1;
  if ((fi & 63) == 0 && fi != nelems) refill_alloc_cache(fi / 64);
  std::atomic_ref<std::uint32_t>(freeindex).store(fi, std::memory_order_relaxed);
  return idx;
}

std::size_t Span::sweep_bits() {
  const std::size_t nw = nwords();
  std::size_t live = 0;
  for (std::size_t w = 0; w < nw; ++w) {
    std::uint64_t m = mark_bits[w];
    if (w == nw - 1 && (nelems & 63) != 0) m &= (std::uint64_t{1} << (nelems & 63)) - 1;
    live += static_cast<std::size_t>(__builtin_popcountll(m));
  }
  const std::size_t freed = alloc_count - live;
  // The marks become the allocation state; the old bitmap is cleared for
  // the next cycle's marks.
  std::uint64_t* old = alloc_bits;
  alloc_bits = mark_bits;
  mark_bits = old;
  std::memset(mark_bits, 0, nw * sizeof(std::uint64_t));
  alloc_count = static_cast<std::uint32_t>(live);
  freeindex = 0;
  refill_alloc_cache(0);
  if (freed > 0) needzero = true;
  return freed;
}

bool Span::check(const char** why) const {
  std::size_t counted = freeindex;
  for (std::size_t i = freeindex; i < nelems; ++i) counted += (alloc_bits[i >> 6] >> (i & 63)) & 1;
  if (counted != alloc_count) {
    *why = "alloc_count != freeindex + popcount(alloc_bits[freeindex, nelems))";
    return false;
  }
  if (alloc_count > nelems) {
    *why = "alloc_count > nelems";
    return false;
  }
  if (freeindex > nelems) {
    *why = "freeindex > nelems";
    return false;
  }
  return true;
}

bool find_object(const void* p, std::uintptr_t* base, Span** span) {
  Span* s = span_of(p);
  if (s == nullptr || s->state.load(std::memory_order_acquire) != SpanState::kInUse) return false;
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  if (a < s->base || a >= s->limit) return false;  // the span's tail slack
  *base = s->object_base(s->object_index(a));
  *span = s;
  return true;
}

}  // namespace gort::mem
