// pagealloc.cc — the page allocator. See pagealloc.h for the design.
#include "mem/pagealloc.h"

#include <algorithm>
#include <cstring>

#include "debug/fatal.h"
#include "mem/sysmem.h"

namespace gort::mem {

namespace bits {

void set_range(std::uint64_t* bm, std::size_t i, std::size_t n) {
  while (n > 0) {
    const std::size_t off = i & 63, take = std::min<std::size_t>(64 - off, n);
    const std::uint64_t mask = (take == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << take) - 1)) << off;
    bm[i >> 6] |= mask;
    i += take;
    n -= take;
  }
}

void clear_range(std::uint64_t* bm, std::size_t i, std::size_t n) {
  while (n > 0) {
    const std::size_t off = i & 63, take = std::min<std::size_t>(64 - off, n);
    const std::uint64_t mask = (take == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << take) - 1)) << off;
    bm[i >> 6] &= ~mask;
    i += take;
    n -= take;
  }
}

std::size_t count_range(const std::uint64_t* bm, std::size_t i, std::size_t n) {
  std::size_t c = 0;
  while (n > 0) {
    const std::size_t off = i & 63, take = std::min<std::size_t>(64 - off, n);
    const std::uint64_t mask = (take == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << take) - 1)) << off;
    c += static_cast<std::size_t>(__builtin_popcountll(bm[i >> 6] & mask));
    i += take;
    n -= take;
  }
  return c;
}

std::size_t find_zero_run(const std::uint64_t* bm, std::size_t nbits, std::size_t n) {
  std::size_t run = 0, start = 0;
  for (std::size_t w = 0; w * 64 < nbits; ++w) {
    const std::uint64_t x = bm[w];
    if (x == 0) {
      if (run == 0) start = w * 64;
      run += 64;
      if (run >= n) return start;
      continue;
    }
    unsigned pos = 0;
    while (pos < 64) {
      const std::uint64_t zeros = x >> pos;  // zero bits from pos on
      const unsigned z = zeros == 0 ? 64 - pos : static_cast<unsigned>(__builtin_ctzll(zeros));
      if (z > 0) {
        if (run == 0) start = w * 64 + pos;
        run += z;
        if (run >= n) return start;
        pos += z;
        if (pos >= 64) break;
      }
      const std::uint64_t ones = ~x >> pos;  // one bits from pos on
      const unsigned o = ones == 0 ? 64 - pos : static_cast<unsigned>(__builtin_ctzll(ones));
      run = 0;
      pos += o;
    }
  }
  return SIZE_MAX;
}

void summarize(const std::uint64_t* bm, std::size_t nbits, std::uint16_t* start,
               std::uint16_t* max, std::uint16_t* end) {
  std::size_t run = 0, best = 0, first = SIZE_MAX;
  for (std::size_t i = 0; i < nbits;) {
    const std::size_t w = i >> 6, off = i & 63;
    const std::uint64_t rest = bm[w] >> off;
    if (rest == 0) {  // the rest of this word is free
      run += 64 - off;
      i += 64 - off;
      continue;
    }
    const unsigned z = static_cast<unsigned>(__builtin_ctzll(rest));
    run += z;
    if (first == SIZE_MAX) first = run;
    best = std::max(best, run);
    run = 0;
    const std::uint64_t ones = ~bm[w] >> (off + z);
    const unsigned o = (off + z >= 64 || ones == 0) ? static_cast<unsigned>(64 - off - z)
                                                   : static_cast<unsigned>(__builtin_ctzll(ones));
    i += z + o;
  }
  if (first == SIZE_MAX) first = run;  // no set bit at all
  best = std::max(best, run);
  *start = static_cast<std::uint16_t>(first);
  *max = static_cast<std::uint16_t>(best);
  *end = static_cast<std::uint16_t>(run);
}

}  // namespace bits

namespace {

void summarize_chunk(PageChunk& c) {
  bits::summarize(c.alloc, kChunkPages, &c.start, &c.max, &c.end);
}

}  // namespace

int PageAlloc::add_region(std::uintptr_t base, std::size_t cap_chunks) {
  GORT_CHECK(base % kChunkBytes == 0, "pagealloc: region not chunk-aligned");
  GORT_CHECK(nregions_ < kMaxRegions, "runtime: out of memory: too many heap arenas");
  auto* chunks = static_cast<PageChunk*>(sys::alloc_metadata(cap_chunks * sizeof(PageChunk)));
  // Keep regions sorted by address: alloc's first fit walks them in order.
  int at = nregions_;
  while (at > 0 && regions_[at - 1].base > base) {
    regions_[at] = regions_[at - 1];
    --at;
  }
  regions_[at] = Region{base, 0, static_cast<std::uint32_t>(cap_chunks), 0, chunks};
  ++nregions_;
  return at;
}

PageAlloc::Region* PageAlloc::region_of(std::uintptr_t addr) {
  return const_cast<Region*>(static_cast<const PageAlloc*>(this)->region_of(addr));
}

const PageAlloc::Region* PageAlloc::region_of(std::uintptr_t addr) const {
  int lo = 0, hi = nregions_;
  while (lo < hi) {  // last region whose base <= addr
    const int mid = (lo + hi) / 2;
    if (regions_[mid].base <= addr) lo = mid + 1; else hi = mid;
  }
  if (lo == 0) return nullptr;
  const Region& r = regions_[lo - 1];
  if (addr >= r.base + std::uintptr_t{r.cap_chunks} * kChunkBytes) return nullptr;
  return &r;
}

std::size_t PageAlloc::room(std::uintptr_t region_base, std::uintptr_t* committed_end) const {
  const Region* r = region_of(region_base);
  if (r == nullptr) return 0;
  *committed_end = r->base + std::uintptr_t{r->nchunks} * kChunkBytes;
  return r->cap_chunks - r->nchunks;
}

std::uintptr_t PageAlloc::last_region_base() const {
  return nregions_ == 0 ? 0 : regions_[nregions_ - 1].base;
}

bool PageAlloc::grow(std::uintptr_t region_base, std::size_t nchunks) {
  Region* r = region_of(region_base);
  if (r == nullptr || r->nchunks + nchunks > r->cap_chunks) return false;
  for (std::size_t i = r->nchunks; i < r->nchunks + nchunks; ++i) {
    PageChunk& c = r->chunks[i];
    std::memset(c.alloc, 0, sizeof c.alloc);
    std::memset(c.scav, 0xff, sizeof c.scav);  // fresh from the OS: zero, not resident
    c.nfree_dirty = 0;
    summarize_chunk(c);
  }
  const std::size_t first = r->nchunks;
  r->nchunks += static_cast<std::uint32_t>(nchunks);
  total_.fetch_add(nchunks * kChunkPages, std::memory_order_relaxed);
  free_.fetch_add(nchunks * kChunkPages, std::memory_order_relaxed);
  released_.fetch_add(nchunks * kChunkPages, std::memory_order_relaxed);
  update(*r, first, r->nchunks - 1);
  return true;
}

// update recomputes the region's max run after chunks [first, last]
// changed (their own summaries are already current).
void PageAlloc::update(Region& r, std::size_t, std::size_t) {
  std::size_t run = 0, best = 0;
  for (std::size_t i = 0; i < r.nchunks; ++i) {
    const PageChunk& c = r.chunks[i];
    best = std::max<std::size_t>(best, std::max<std::size_t>(c.max, run + c.start));
    run = c.start == kChunkPages ? run + kChunkPages : c.end;
  }
  r.max_run = static_cast<std::uint32_t>(std::max(best, run));
}

std::size_t PageAlloc::search(const Region& r, std::size_t npages) const {
  std::size_t run = 0, run_start = 0;
  for (std::size_t ci = 0; ci < r.nchunks; ++ci) {
    const PageChunk& c = r.chunks[ci];
    if (run > 0 && run + c.start >= npages) return run_start;
    if (c.max >= npages) {
      const std::size_t i = bits::find_zero_run(c.alloc, kChunkPages, npages);
      GORT_CHECK(i != SIZE_MAX, "pagealloc: chunk summary disagrees with its bitmap");
      return ci * kChunkPages + i;
    }
    if (c.start == kChunkPages) {
      if (run == 0) run_start = ci * kChunkPages;
      run += kChunkPages;
    } else {
      run = c.end;
      run_start = (ci + 1) * kChunkPages - c.end;
    }
  }
  return SIZE_MAX;
}

std::uintptr_t PageAlloc::alloc(std::size_t npages, bool* dirty) {
  for (int ri = 0; ri < nregions_; ++ri) {
    Region& r = regions_[ri];
    if (r.max_run < npages) continue;
    const std::size_t idx = search(r, npages);
    if (idx == SIZE_MAX) continue;
    // Mark in use chunk by chunk; count pages that were not released.
    std::size_t scavenged = 0, i = idx, n = npages;
    const std::size_t c0 = idx / kChunkPages;
    while (n > 0) {
      PageChunk& c = r.chunks[i / kChunkPages];
      const std::size_t off = i % kChunkPages, take = std::min(kChunkPages - off, n);
      const std::size_t s = bits::count_range(c.scav, off, take);
      scavenged += s;
      c.nfree_dirty = static_cast<std::uint16_t>(c.nfree_dirty - (take - s));
      bits::set_range(c.alloc, off, take);
      bits::clear_range(c.scav, off, take);
      summarize_chunk(c);
      i += take;
      n -= take;
    }
    update(r, c0, (idx + npages - 1) / kChunkPages);
    free_.fetch_sub(npages, std::memory_order_relaxed);
    released_.fetch_sub(scavenged, std::memory_order_relaxed);
    *dirty = scavenged != npages;
    return r.base + idx * kPageSize;
  }
  return 0;
}

void PageAlloc::free(std::uintptr_t base, std::size_t npages) {
  Region* r = region_of(base);
  GORT_CHECK(r != nullptr, "pagealloc: free of pages outside the heap");
  std::size_t i = (base - r->base) / kPageSize, n = npages;
  const std::size_t c0 = i / kChunkPages, c1 = (i + npages - 1) / kChunkPages;
  while (n > 0) {
    PageChunk& c = r->chunks[i / kChunkPages];
    const std::size_t off = i % kChunkPages, take = std::min(kChunkPages - off, n);
    GORT_CHECK(bits::count_range(c.alloc, off, take) == take, "pagealloc: double free of pages");
    bits::clear_range(c.alloc, off, take);
    c.nfree_dirty = static_cast<std::uint16_t>(c.nfree_dirty + take);
    summarize_chunk(c);
    i += take;
    n -= take;
  }
  update(*r, c0, c1);
  free_.fetch_add(npages, std::memory_order_relaxed);
}

std::uintptr_t PageAlloc::take_for_scavenge(std::size_t max_pages, std::size_t* npages) {
  for (int ri = nregions_ - 1; ri >= 0; --ri) {
    Region& r = regions_[ri];
    for (std::size_t ci = r.nchunks; ci-- > 0;) {
      PageChunk& c = r.chunks[ci];
      if (c.nfree_dirty == 0) continue;
      // Highest page that is free and resident, then extend downwards.
      std::size_t top = SIZE_MAX;
      for (std::size_t w = kChunkWords; w-- > 0;) {
        const std::uint64_t cand = ~c.alloc[w] & ~c.scav[w];
        if (cand != 0) {
          top = w * 64 + 63 - static_cast<std::size_t>(__builtin_clzll(cand));
          break;
        }
      }
      if (top == SIZE_MAX) continue;
      std::size_t lo = top;
      while (lo > 0 && top - lo + 1 < max_pages) {
        const std::size_t p = lo - 1;
        const bool free_dirty = !((c.alloc[p >> 6] >> (p & 63)) & 1) && !((c.scav[p >> 6] >> (p & 63)) & 1);
        if (!free_dirty) break;
        lo = p;
      }
      const std::size_t n = top - lo + 1;
      bits::set_range(c.alloc, lo, n);
      c.nfree_dirty = static_cast<std::uint16_t>(c.nfree_dirty - n);
      summarize_chunk(c);
      update(r, ci, ci);
      free_.fetch_sub(n, std::memory_order_relaxed);
      *npages = n;
      return r.base + (ci * kChunkPages + lo) * kPageSize;
    }
  }
  *npages = 0;
  return 0;
}

void PageAlloc::return_scavenged(std::uintptr_t base, std::size_t npages) {
  Region* r = region_of(base);
  GORT_CHECK(r != nullptr, "pagealloc: scavenged pages outside the heap");
  const std::size_t i = (base - r->base) / kPageSize, ci = i / kChunkPages, off = i % kChunkPages;
  PageChunk& c = r->chunks[ci];
  bits::clear_range(c.alloc, off, npages);
  bits::set_range(c.scav, off, npages);
  summarize_chunk(c);
  update(*r, ci, ci);
  free_.fetch_add(npages, std::memory_order_relaxed);
  released_.fetch_add(npages, std::memory_order_relaxed);
}

bool PageAlloc::check(const char** why) const {
  std::size_t total = 0, nfree = 0, released = 0;
  for (int ri = 0; ri < nregions_; ++ri) {
    const Region& r = regions_[ri];
    if (ri > 0 && regions_[ri - 1].base >= r.base) { *why = "regions out of order"; return false; }
    std::size_t run = 0, best = 0;
    for (std::size_t ci = 0; ci < r.nchunks; ++ci) {
      const PageChunk& c = r.chunks[ci];
      std::size_t dirty = 0;
      for (std::size_t w = 0; w < kChunkWords; ++w) {
        nfree += 64 - static_cast<std::size_t>(__builtin_popcountll(c.alloc[w]));
        released += static_cast<std::size_t>(__builtin_popcountll(~c.alloc[w] & c.scav[w]));
        dirty += static_cast<std::size_t>(__builtin_popcountll(~c.alloc[w] & ~c.scav[w]));
      }
      if (dirty != c.nfree_dirty) { *why = "chunk nfree_dirty != popcount(~alloc & ~scav)"; return false; }
      std::uint16_t s, m, e;
      bits::summarize(c.alloc, kChunkPages, &s, &m, &e);
      if (s != c.start || m != c.max || e != c.end) { *why = "chunk summary stale"; return false; }
      best = std::max<std::size_t>(best, std::max<std::size_t>(c.max, run + c.start));
      run = c.start == kChunkPages ? run + kChunkPages : c.end;
      total += kChunkPages;
    }
    if (std::max(best, run) != r.max_run) { *why = "region max_run stale"; return false; }
  }
  if (total != total_.load()) { *why = "total_pages != committed chunks * 512"; return false; }
  if (nfree != free_.load()) { *why = "free_pages != zero alloc bits"; return false; }
  if (released != released_.load()) { *why = "released_pages != (alloc=0 & scav=1) bits"; return false; }
  return true;
}

}  // namespace gort::mem
