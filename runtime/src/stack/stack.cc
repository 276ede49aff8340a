// stack.cc — see stack.h.
#include "stack/stack.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <vector>

#include "debug/fatal.h"
#if defined(GORT_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#include "sched/lock.h"

namespace gort::stack {

namespace {

constexpr int kMaxP = 1024;
constexpr int kCacheCap = 32;             // stacks per P cache
constexpr std::size_t kPoolCap = 1024;    // stacks kept in the global pool
constexpr std::size_t kRetainBytes = 64 * 1024;

struct Cache {
  Stack s[kCacheCap];
  int n = 0;
};

// caches[pid]: only touched by the M owning P pid (no lock).
Cache caches[kMaxP];

sched::Lock pool_lock;
std::vector<Stack>* pool;  // guarded by pool_lock

std::atomic<std::uint64_t> n_mapped, n_in_use, n_unguarded, n_cache_hits;

constexpr int kSlabStacks = 64;
// Unguarded slab stacks not in use, by size (guarded by pool_lock).
std::vector<Stack>* slab_free;

void* map_anon(std::size_t bytes) {
  return mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
}

// slab_stack hands out an unguarded stack, mapping a new slab when needed.
// Layout: stack i of a slab spans [lo_i, hi_i) with
//   lo_i = base + i*size + page - 16,  hi_i = lo_{i+1} - 16,
// so the canary at lo_{i+1} lies in the page that holds stack i's top. A
// parked goroutine with a shallow stack then costs one page, canary
// included, instead of two.
Stack slab_stack(std::size_t size) {
  sched::LockGuard g(pool_lock);
  if (slab_free == nullptr) slab_free = new std::vector<Stack>();
  for (std::size_t i = slab_free->size(); i-- > 0;) {
    if ((*slab_free)[i].cls == size) {
      Stack s = (*slab_free)[i];
      (*slab_free)[i] = slab_free->back();
      slab_free->pop_back();
      return s;
    }
  }
  const std::size_t pg = page_size();
  void* p = map_anon(size * kSlabStacks + pg);
  if (p == MAP_FAILED) {
    debug::fatalf("out of memory: cannot map goroutine stacks (%zu bytes; errno %d; vm.max_map_count?)",
                  size * kSlabStacks + pg, errno);
  }
  auto base = reinterpret_cast<std::uintptr_t>(p);
  auto lo_of = [&](int i) { return base + i * size + pg - 16; };
  Stack first;
  for (int i = 0; i < kSlabStacks; i++) {
    Stack s;
    s.lo = lo_of(i);
    s.hi = lo_of(i + 1) - 16;
    s.map_base = reinterpret_cast<void*>(s.lo);  // identifies the stack; never unmapped alone
    s.map_size = size;
    s.cls = size;
    s.from_slab = true;
    if (i == 0) {
      first = s;
    } else {
      slab_free->push_back(s);
    }
  }
  n_mapped.fetch_add(kSlabStacks, std::memory_order_relaxed);
  n_unguarded.fetch_add(kSlabStacks, std::memory_order_relaxed);
  return first;
}

// guard_budget is how many guarded stacks may exist: each costs two
// mappings, and malloc, thread stacks and the allocator's arenas need
// mappings too, so guarded stacks take at most a quarter of
// vm.max_map_count. Past that, stacks come from unguarded slabs.
std::int64_t guard_budget() {
  static const std::int64_t budget = [] {
    long max_maps = 65530;
    if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
      if (std::fscanf(f, "%ld", &max_maps) != 1) max_maps = 65530;
      std::fclose(f);
    }
    return static_cast<std::int64_t>(max_maps / 4 / 2);
  }();
  return budget;
}
std::atomic<std::int64_t> n_guarded{0};

Stack map_stack(std::size_t size) {
  const std::size_t pg = page_size();
  size = (size + pg - 1) & ~(pg - 1);
  if (n_guarded.load(std::memory_order_relaxed) >= guard_budget()) return slab_stack(size);
  Stack s;
  s.map_size = size + pg;
  void* p = map_anon(s.map_size);
  if (p == MAP_FAILED) return slab_stack(size);  // out of mappings
  if (mprotect(p, pg, PROT_NONE) != 0) {
    munmap(p, s.map_size);
    return slab_stack(size);
  }
  s.map_base = p;
  s.lo = reinterpret_cast<std::uintptr_t>(p) + pg;
  s.hi = reinterpret_cast<std::uintptr_t>(p) + s.map_size;
  s.guarded = true;
  s.cls = size;
  n_mapped.fetch_add(1, std::memory_order_relaxed);
  n_guarded.fetch_add(1, std::memory_order_relaxed);
  return s;
}

// unmap_stack releases s. REQUIRES: pool_lock held when s is from a slab.
void unmap_stack_locked(const Stack& s) {
  if (s.from_slab) {
    // Trim whole pages strictly inside the stack (its first and last pages
    // are shared with its neighbours).
    const std::size_t pg = page_size();
    std::uintptr_t a = (s.lo + pg - 1) & ~(pg - 1), b = s.hi & ~(pg - 1);
    if (b > a) madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);
    if (slab_free == nullptr) slab_free = new std::vector<Stack>();
    slab_free->push_back(s);
    return;
  }
#if defined(GORT_ASAN)
  // The address range may be mapped again for something else (heap
  // metadata, another stack): leave no stale frame redzones behind.
  __asan_unpoison_memory_region(reinterpret_cast<void*>(s.lo), s.size());
#endif
  munmap(s.map_base, s.map_size);
  n_mapped.fetch_sub(1, std::memory_order_relaxed);
  n_guarded.fetch_sub(1, std::memory_order_relaxed);
}

void arm(Stack& s) {
#if defined(GORT_ASAN)
  // A reused stack still carries the poisoned redzones of the frames its
  // last goroutine died in (they never returned).
  __asan_unpoison_memory_region(reinterpret_cast<void*>(s.lo), s.size());
#endif
  if (!s.guarded) *reinterpret_cast<std::uint64_t*>(s.lo) = kCanary;
}

}  // namespace

std::size_t page_size() {
  static const std::size_t pg = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return pg;
}

namespace {
// Bytes of stacks handed to goroutines (reserved size; GC statistics).
std::atomic<std::size_t> g_in_use{0};
}  // namespace

std::size_t bytes_in_use() { return g_in_use.load(std::memory_order_relaxed); }

static Stack alloc_impl(std::size_t size, int pid);

Stack alloc(std::size_t size, int pid) {
  Stack s = alloc_impl(size, pid);
  g_in_use.fetch_add(s.size(), std::memory_order_relaxed);
  return s;
}

static Stack alloc_impl(std::size_t size, int pid) {
  size = (size + page_size() - 1) & ~(page_size() - 1);
  n_in_use.fetch_add(1, std::memory_order_relaxed);
  if (pid >= 0 && pid < kMaxP) {
    Cache& c = caches[pid];
    for (int i = c.n - 1; i >= 0; i--) {
      if (c.s[i].cls == size) {
        Stack s = c.s[i];
        c.s[i] = c.s[--c.n];
        n_cache_hits.fetch_add(1, std::memory_order_relaxed);
        arm(s);
        return s;
      }
    }
  }
  {
    sched::LockGuard g(pool_lock);
    if (pool != nullptr) {
      for (std::size_t i = pool->size(); i-- > 0;) {
        Stack s = (*pool)[i];
        if (s.cls == size) {
          (*pool)[i] = pool->back();
          pool->pop_back();
          arm(s);
          return s;
        }
      }
    }
  }
  Stack s = map_stack(size);
  arm(s);
  return s;
}

void free(const Stack& s, int pid) {
  if (s.valid()) g_in_use.fetch_sub(s.size(), std::memory_order_relaxed);
  n_in_use.fetch_sub(1, std::memory_order_relaxed);
  if (pid >= 0 && pid < kMaxP) {
    Cache& c = caches[pid];
    if (c.n < kCacheCap) {
      c.s[c.n++] = s;
      return;
    }
    // Spill half of the cache to the pool, then keep s.
    sched::LockGuard g(pool_lock);
    if (pool == nullptr) pool = new std::vector<Stack>();
    while (c.n > kCacheCap / 2) {
      Stack x = c.s[--c.n];
      if (pool->size() < kPoolCap) {
        madvise(reinterpret_cast<void*>(x.lo), x.size() > kRetainBytes ? x.size() - kRetainBytes : 0,
                MADV_DONTNEED);
        pool->push_back(x);
      } else {
        unmap_stack_locked(x);
      }
    }
    c.s[c.n++] = s;
    return;
  }
  sched::LockGuard g(pool_lock);
  if (pool == nullptr) pool = new std::vector<Stack>();
  if (pool->size() < kPoolCap) {
    pool->push_back(s);
  } else {
    unmap_stack_locked(s);
  }
}

void release_all() {
  sched::LockGuard g(pool_lock);
  for (Cache& c : caches) {
    while (c.n > 0) unmap_stack_locked(c.s[--c.n]);
  }
  if (pool != nullptr) {
    for (const Stack& s : *pool) unmap_stack_locked(s);
    pool->clear();
  }
  // Slabs stay mapped (their stacks were trimmed): a later run reuses them.
}

Stats stats() {
  return {n_mapped.load(std::memory_order_relaxed), n_in_use.load(std::memory_order_relaxed),
          n_unguarded.load(std::memory_order_relaxed), n_cache_hits.load(std::memory_order_relaxed)};
}

}  // namespace gort::stack
