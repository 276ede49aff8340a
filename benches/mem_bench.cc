// mem_bench.cc — the allocator's benchmarks (issue 5; seed claims 309, 311,
// 312), each tier measured on its own, beside Go (twins in benches/go/mem,
// same names, run with GOGC=off) and the C allocators in this same binary.
//
//   MallocFast/size:S/scan:B/impl:I   one allocation of S bytes (ns/op). gort:
//                        alloc(S, scan) on the P's mcache; every batch
//                        (<= 8192 objects, <= 8 MiB) the timer stops and
//                        release_all() sweeps everything (no GC exists yet;
//                        Go's twin stops the timer and runs runtime.GC()).
//                        C allocators (impl glibc|tcmalloc|jemalloc|mimalloc):
//                        malloc timed, the batch's frees untimed — the same
//                        "reclaim off the clock" rule. scan only for gort/go.
//   MallocFreePair/size:S/impl:I  C allocators: malloc + immediate free
//                        (their best case; for scale with the figures).
//   MCacheRefill/size:S  the mcentral tier: an op is 1024 mcache refills
//                        (give back the full span, take a swept partial
//                        span); refills_per_op = 1024.
//   SpanAlloc/pages:N    the mheap tier: one span alloc + free of N pages.
//   LargeAlloc/size:S/impl:I  objects > 32 KiB, same batching as MallocFast.
//   MultiP/procs:P       P goroutines (GOMAXPROCS=P) each allocating 8192
//                        64 B objects per op (objects_per_op = P * 8192);
//                        perfect scaling keeps ns/op flat from 1 to 2 Ps.
//   Larson/procs:2/impl:I  cross-P producer/consumer: one goroutine (thread
//                        for C) allocates 16..512 B objects and hands them
//                        through a ring to another that touches and drops
//                        (C: frees) them; gort/Go reclaim once per round of
//                        64 Ki objects, inside the timing; objects_per_op.
//   Fragmentation        mixed sizes (tiny .. 64 KiB) up to 64 MiB live, then
//                        rounds of dropping half and refilling with other
//                        sizes; metrics retained_per_live (heap_sys -
//                        released) / live and rss_per_live (RSS delta / live).
//   ScavengeAfterShrink  256 MiB live, drop 90%, heap goal = 2 x live (GOGC
//                        100): seconds_to_target until retained <= goal + 10%
//                        (+ one 512 KiB scavenger step); rss_drop_bytes.
//
// Real time throughout: bodies are goroutines that may move between Ms.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gort/gort.h"
#include "gort/mem.h"
#include "mem/mcache.h"
#include "mem/mcentral.h"
#include "mem/mheap.h"
#include "mem/scavenger.h"
#include "mem/span.h"
#include "mem/sweep.h"
#include "sched/park.h"

namespace {

using namespace gort::mem;

// ---- C allocators, loaded side by side ------------------------------------
//
// They cannot all replace malloc in one binary, so each is dlopen()ed with
// RTLD_LOCAL | RTLD_DEEPBIND and called through its own API: tc_malloc /
// tc_free, mallocx / dallocx (jemalloc), mi_malloc / mi_free; glibc is plain
// malloc/free. jemalloc's initial-exec TLS needs optional static TLS space,
// which only GLIBC_TUNABLES grants: the binary re-executes itself once with
// it set (reexec_with_static_tls below).

struct CAlloc {
  const char* name;
  void* (*malloc_fn)(std::size_t);
  void (*free_fn)(void*);
};

void* je_malloc_shim(std::size_t n);
void je_free_shim(void* p);
void* (*g_mallocx)(std::size_t, int);
void (*g_dallocx)(void*, int);
void* je_malloc_shim(std::size_t n) { return g_mallocx(n, 0); }
void je_free_shim(void* p) { g_dallocx(p, 0); }

std::vector<CAlloc>& c_allocators() {
  static std::vector<CAlloc> v = [] {
    std::vector<CAlloc> out{{"glibc", &std::malloc, &std::free}};
    const int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
    if (void* h = dlopen("libtcmalloc_minimal.so.4", flags)) {
      auto m = reinterpret_cast<void* (*)(std::size_t)>(dlsym(h, "tc_malloc"));
      auto f = reinterpret_cast<void (*)(void*)>(dlsym(h, "tc_free"));
      if (m && f) out.push_back({"tcmalloc", m, f});
    }
    if (void* h = dlopen("libjemalloc.so.2", flags)) {
      g_mallocx = reinterpret_cast<void* (*)(std::size_t, int)>(dlsym(h, "mallocx"));
      g_dallocx = reinterpret_cast<void (*)(void*, int)>(dlsym(h, "dallocx"));
      if (g_mallocx && g_dallocx) out.push_back({"jemalloc", &je_malloc_shim, &je_free_shim});
    } else {
      std::fprintf(stderr, "mem_bench: jemalloc not loaded: %s\n", dlerror());
    }
    if (void* h = dlopen("libmimalloc.so.2", flags)) {
      auto m = reinterpret_cast<void* (*)(std::size_t)>(dlsym(h, "mi_malloc"));
      auto f = reinterpret_cast<void (*)(void*)>(dlsym(h, "mi_free"));
      if (m && f) out.push_back({"mimalloc", m, f});
    }
    return out;
  }();
  return v;
}

__attribute__((constructor)) void reexec_with_static_tls() {
  const char* t = std::getenv("GLIBC_TUNABLES");
  if (t != nullptr && std::strstr(t, "optional_static_tls") != nullptr) return;
  static char buf[1 << 16];
  FILE* f = std::fopen("/proc/self/cmdline", "r");
  if (f == nullptr) return;
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::vector<char*> argv;
  for (std::size_t i = 0; i < n; i += std::strlen(buf + i) + 1) argv.push_back(buf + i);
  argv.push_back(nullptr);
  setenv("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=65536", 1);
  execv("/proc/self/exe", argv.data());  // on failure: go on without jemalloc
}

// ---- helpers ---------------------------------------------------------------

std::size_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long size = 0, res = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
    std::fclose(f);
  }
  return res * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// no_gc_goal is the heap goal under GOGC=off: nothing is scavenged.
constexpr std::uint64_t kNoGcGoal = std::uint64_t{1} << 50;

std::size_t batch_for(std::size_t size) {
  return std::max<std::size_t>(64, std::min<std::size_t>(8192, (8u << 20) / size));
}

inline void touch(void* p) { benchmark::DoNotOptimize(p); }

// ---- MallocFast ------------------------------------------------------------

void BM_GortMalloc(benchmark::State& state, std::size_t size, bool scan) {
  set_heap_goal(kNoGcGoal);
  release_all();
  const std::size_t batch = batch_for(size);
  std::size_t n = 0;
  const Stats before = read_stats();
  for (auto _ : state) {
    touch(alloc(size, scan));
    if (++n == batch) {
      state.PauseTiming();
      release_all();
      n = 0;
      state.ResumeTiming();
    }
  }
  const Stats after = read_stats();
  release_all();
  state.counters["refills_per_op"] =
      static_cast<double>(after.mcache_refills - before.mcache_refills) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void BM_CMalloc(benchmark::State& state, const CAlloc* a, std::size_t size) {
  const std::size_t batch = batch_for(size);
  std::vector<void*> objs(batch);
  std::size_t n = 0;
  for (auto _ : state) {
    void* p = a->malloc_fn(size);
    std::memset(p, 0, 1);  // malloc may hand out untouched memory; gort's is zeroed
    objs[n] = p;
    if (++n == batch) {
      state.PauseTiming();
      for (void* q : objs) a->free_fn(q);
      n = 0;
      state.ResumeTiming();
    }
  }
  for (std::size_t i = 0; i < n; ++i) a->free_fn(objs[i]);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void BM_CMallocFreePair(benchmark::State& state, const CAlloc* a, std::size_t size) {
  for (auto _ : state) {
    void* p = a->malloc_fn(size);
    touch(p);
    a->free_fn(p);
  }
}

// ---- MCacheRefill (mcentral tier) -------------------------------------------

void BM_MCacheRefill(benchmark::State& state, std::size_t size) {
  set_heap_goal(kNoGcGoal);
  const SpanClass spc = make_span_class(size_to_class(size), /*noscan=*/true);
  const SizeClassInfo& ci = class_info(span_class_size(spc));
  constexpr std::size_t kSpans = 1024;
  std::size_t refills = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Build kSpans swept partial spans: fill them, keep one object each.
    release_all();
    std::vector<void*> firsts;
    for (std::size_t s = 0; s < kSpans; ++s) {
      firsts.push_back(alloc(size, false));
      for (std::uint32_t i = 1; i < ci.nelems; ++i) touch(alloc(size, false));
    }
    flush_all_mcaches();
    for (void* p : firsts) {
      std::uintptr_t base;
      Span* sp;
      if (find_object(p, &base, &sp)) sp->set_marked(sp->object_index(base));
    }
    start_sweep_cycle();
    sweep_all();
    state.ResumeTiming();
    {
      gort::sched::NoPreempt np;
      MCache* c = mcache_for_p(std::max(0, gort::sched::current_p_id()));
      for (std::size_t i = 0; i < kSpans; ++i) touch(c->refill(spc));
    }
    refills += kSpans;
  }
  release_all();
  state.SetItemsProcessed(static_cast<std::int64_t>(refills));
  state.counters["refills_per_op"] = kSpans;  // ns per refill = ns/op / refills_per_op
}

// ---- SpanAlloc (mheap tier) -------------------------------------------------

void BM_SpanAlloc(benchmark::State& state, std::size_t npages) {
  set_heap_goal(kNoGcGoal);
  release_all();
  constexpr std::size_t kBatch = 256;
  std::vector<Span*> spans;
  spans.reserve(kBatch);
  // Span structs for large spans live on mcentral lists; use a size class
  // span of the right page count where one exists, else build one directly.
  for (auto _ : state) {
    spans.push_back(g_heap.alloc_small_span(make_span_class(npages == 1 ? 1 : 67, true)));
    if (spans.size() == kBatch) {
      for (Span* s : spans) g_heap.free_span(s);
      spans.clear();
    }
  }
  for (Span* s : spans) g_heap.free_span(s);
  state.counters["pages"] = static_cast<double>(class_info(npages == 1 ? 1 : 67).npages);
}

// ---- LargeAlloc --------------------------------------------------------------

void BM_GortLarge(benchmark::State& state, std::size_t size) {
  set_heap_goal(kNoGcGoal);
  release_all();
  const std::size_t batch = std::max<std::size_t>(4, (64u << 20) / size);
  std::size_t n = 0;
  for (auto _ : state) {
    touch(alloc(size, false));
    if (++n == batch) {
      state.PauseTiming();
      release_all();
      n = 0;
      state.ResumeTiming();
    }
  }
  release_all();
}

void BM_CLarge(benchmark::State& state, const CAlloc* a, std::size_t size) {
  const std::size_t batch = std::max<std::size_t>(4, (64u << 20) / size);
  std::vector<void*> objs(batch);
  std::size_t n = 0;
  for (auto _ : state) {
    void* p = a->malloc_fn(size);
    std::memset(p, 0, 1);
    objs[n] = p;
    if (++n == batch) {
      state.PauseTiming();
      for (void* q : objs) a->free_fn(q);
      n = 0;
      state.ResumeTiming();
    }
  }
  for (std::size_t i = 0; i < n; ++i) a->free_fn(objs[i]);
}

// ---- MultiP --------------------------------------------------------------------

// join runs body(i) on n goroutines and waits (polling with gosched: the
// joiner is one goroutine among n + 1, and yields its P while waiting).
template <class F>
void run_goroutines(int n, F body) {
  std::atomic<int> done{0};
  for (int i = 0; i < n; ++i) {
    gort::go([i, &done, &body] {
      body(i);
      done.fetch_add(1, std::memory_order_release);
    });
  }
  while (done.load(std::memory_order_acquire) < n) gort::gosched();
}

void BM_MultiP(benchmark::State& state, int procs) {
  const int prev = gort::set_max_procs(procs);
  set_heap_goal(kNoGcGoal);
  release_all();
  constexpr int kPer = 8192;  // objects per goroutine per round (512 KiB)
  for (auto _ : state) {
    run_goroutines(procs, [](int) {
      for (int i = 0; i < kPer; ++i) touch(alloc(64, false));
    });
    state.PauseTiming();
    release_all();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * procs * kPer);
  state.counters["objects_per_op"] = procs * kPer;
  release_all();
  gort::set_max_procs(prev);
}

// ---- Larson-like cross-P producer/consumer ------------------------------------

constexpr std::size_t kRing = 1024;
constexpr int kRound = 64 << 10;

struct Ring {
  std::atomic<std::uint64_t> head{0}, tail{0};
  void* slot[kRing];
};

void BM_GortLarson(benchmark::State& state) {
  const int prev = gort::set_max_procs(2);
  set_heap_goal(kNoGcGoal);
  release_all();
  for (auto _ : state) {
    Ring ring;
    run_goroutines(2, [&ring](int who) {
      std::minstd_rand rng(7);
      for (int i = 0; i < kRound; ++i) {
        if (who == 0) {
          while (ring.head.load(std::memory_order_acquire) - ring.tail.load(std::memory_order_acquire) == kRing) {
            gort::gosched();
          }
          const std::size_t size = 16 + rng() % 497;
          void* p = alloc(size, false);
          static_cast<char*>(p)[0] = 1;
          const std::uint64_t h = ring.head.load(std::memory_order_relaxed);
          ring.slot[h % kRing] = p;
          ring.head.store(h + 1, std::memory_order_release);
        } else {
          while (ring.head.load(std::memory_order_acquire) == ring.tail.load(std::memory_order_relaxed)) {
            gort::gosched();
          }
          const std::uint64_t t = ring.tail.load(std::memory_order_relaxed);
          void* p = ring.slot[t % kRing];
          benchmark::DoNotOptimize(static_cast<char*>(p)[0]);
          ring.tail.store(t + 1, std::memory_order_release);  // dropped: reclaimed below
        }
      }
    });
    release_all();  // reclaiming is part of the work here
  }
  state.counters["objects_per_op"] = kRound;
  gort::set_max_procs(prev);
}

void BM_CLarson(benchmark::State& state, const CAlloc* a) {
  for (auto _ : state) {
    Ring ring;
    std::thread consumer([&ring, a] {
      for (int i = 0; i < kRound; ++i) {
        while (ring.head.load(std::memory_order_acquire) == ring.tail.load(std::memory_order_relaxed)) {
          std::this_thread::yield();
        }
        const std::uint64_t t = ring.tail.load(std::memory_order_relaxed);
        void* p = ring.slot[t % kRing];
        benchmark::DoNotOptimize(static_cast<char*>(p)[0]);
        a->free_fn(p);
        ring.tail.store(t + 1, std::memory_order_release);
      }
    });
    std::minstd_rand rng(7);
    for (int i = 0; i < kRound; ++i) {
      while (ring.head.load(std::memory_order_acquire) - ring.tail.load(std::memory_order_acquire) == kRing) {
        std::this_thread::yield();
      }
      void* p = a->malloc_fn(16 + rng() % 497);
      static_cast<char*>(p)[0] = 1;
      const std::uint64_t h = ring.head.load(std::memory_order_relaxed);
      ring.slot[h % kRing] = p;
      ring.head.store(h + 1, std::memory_order_release);
    }
    consumer.join();  // thread start/join is inside: ~20 us against ~ms rounds
  }
  state.counters["objects_per_op"] = kRound;
}

// ---- Fragmentation --------------------------------------------------------------

std::size_t mixed_size(std::minstd_rand& rng, int phase) {
  const unsigned r = rng() % 100;
  if (r < 30) return 1 + rng() % 15;                        // tiny
  if (r < 70) return 16 + rng() % (phase ? 500 : 240);      // small
  if (r < 95) return 512 + rng() % (phase ? 7000 : 3500);   // medium
  return 33000 + rng() % 32000;                             // large
}

void BM_Fragmentation(benchmark::State& state) {
  set_heap_goal(kNoGcGoal);
  release_all();
  scavenge(SIZE_MAX);
  constexpr std::size_t kLive = 64 << 20;
  double ratio = 0, rss_ratio = 0;
  for (auto _ : state) {
    const std::size_t rss0 = rss_bytes();
    std::minstd_rand rng(11);
    struct Obj { void* p; std::size_t size; };
    std::vector<Obj> live;
    std::size_t live_bytes = 0;
    while (live_bytes < kLive) {
      const std::size_t s = mixed_size(rng, 0);
      void* p = alloc(s, (rng() & 1) != 0 && s >= 16);
      std::memset(p, 1, s);
      live.push_back({p, s});
      live_bytes += s;
    }
    for (int round = 1; round <= 4; ++round) {
      // Drop half at random (the GC marks the other half), refill with the
      // other phase's sizes.
      flush_all_mcaches();
      std::vector<Obj> keep;
      live_bytes = 0;
      for (const Obj& o : live) {
        if (rng() & 1) continue;
        std::uintptr_t base;
        Span* sp;
        if (find_object(o.p, &base, &sp)) sp->set_marked(sp->object_index(base));
        keep.push_back(o);
        live_bytes += o.size;
      }
      start_sweep_cycle();
      sweep_all();
      live = std::move(keep);
      while (live_bytes < kLive) {
        const std::size_t s = mixed_size(rng, round & 1);
        void* p = alloc(s, (rng() & 1) != 0 && s >= 16);
        std::memset(p, 1, s);
        live.push_back({p, s});
        live_bytes += s;
      }
    }
    const Stats st = read_stats();
    ratio = static_cast<double>(st.heap_sys - st.heap_released) / static_cast<double>(live_bytes);
    rss_ratio = static_cast<double>(rss_bytes() - rss0) / static_cast<double>(live_bytes);
    state.PauseTiming();
    release_all();
    scavenge(SIZE_MAX);
    state.ResumeTiming();
  }
  state.counters["retained_per_live"] = ratio;
  state.counters["rss_per_live"] = rss_ratio;
}

// ---- ScavengeAfterShrink ----------------------------------------------------------

void BM_ScavengeAfterShrink(benchmark::State& state) {
  double secs = 0, rss_drop = 0, retained_per_target = 0;
  for (auto _ : state) {
    set_heap_goal(kNoGcGoal);
    release_all();
    constexpr std::size_t kLive = 256 << 20;
    std::vector<void*> objs;
    for (std::size_t b = 0; b < kLive; b += 4096) {
      void* p = alloc(4096, false);
      std::memset(p, 1, 4096);
      objs.push_back(p);
    }
    // Keep every tenth object: live drops by 90%.
    flush_all_mcaches();
    for (std::size_t i = 0; i < objs.size(); i += 10) {
      std::uintptr_t base;
      Span* sp;
      if (find_object(objs[i], &base, &sp)) sp->set_marked(sp->object_index(base));
    }
    start_sweep_cycle();
    sweep_all();
    const std::size_t rss_before = rss_bytes();
    const std::uint64_t live = static_cast<std::uint64_t>(read_stats().heap_live);
    set_heap_goal(2 * live);  // GOGC=100
    const std::size_t target = scavenger_retained_target();
    const auto t0 = std::chrono::steady_clock::now();
    auto retained = [] {
      const Stats st = read_stats();
      return st.heap_sys - st.heap_released;
    };
    while (retained() > target + (512 << 10) &&
           std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
      gort::sleep(std::chrono::milliseconds(5));
    }
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t rss_after = rss_bytes();
    rss_drop = static_cast<double>(rss_before > rss_after ? rss_before - rss_after : 0);
    retained_per_target = static_cast<double>(retained()) / static_cast<double>(target);
    state.counters["rss_before_bytes"] = static_cast<double>(rss_before);
    state.counters["rss_after_bytes"] = static_cast<double>(rss_after);
    state.counters["target_bytes"] = static_cast<double>(target);
    set_heap_goal(kNoGcGoal);
    release_all();
  }
  state.counters["seconds_to_target"] = secs;
  state.counters["retained_per_target"] = retained_per_target;
  state.counters["rss_drop_bytes"] = rss_drop;
}

// ---- registration --------------------------------------------------------------

const std::int64_t kSizes[] = {16, 32, 64, 128, 256, 512, 1024, 4096};

using Fn = std::function<void(benchmark::State&)>;

// reg registers fn; iterations > 0 fixes the iteration count (for bodies
// whose untimed set-up dwarfs the timed part, where Google Benchmark's
// calibration would run for minutes).
void reg(const std::string& name, Fn fn, bool once = false, std::int64_t iterations = 0) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [fn](benchmark::State& st) { fn(st); });
  b->UseRealTime();
  if (once) b->Iterations(1);
  if (iterations > 0) b->Iterations(iterations);
}

int register_all() {
  for (std::int64_t s64 : kSizes) {
    const auto s = static_cast<std::size_t>(s64);
    const std::string sz = std::to_string(s);
    for (int scan : {0, 1}) {
      reg("MallocFast/size:" + sz + "/scan:" + std::to_string(scan) + "/impl:gort",
          [s, scan](benchmark::State& st) { BM_GortMalloc(st, s, scan != 0); });
    }
    for (const CAlloc& a : c_allocators()) {
      const CAlloc* ap = &a;
      reg("MallocFast/size:" + sz + "/scan:0/impl:" + a.name, [ap, s](benchmark::State& st) { BM_CMalloc(st, ap, s); });
    }
  }
  for (std::int64_t s64 : kSizes) {
    const auto s = static_cast<std::size_t>(s64);
    for (const CAlloc& a : c_allocators()) {
      const CAlloc* ap = &a;
      reg("MallocFreePair/size:" + std::to_string(s) + "/impl:" + a.name,
          [ap, s](benchmark::State& st) { BM_CMallocFreePair(st, ap, s); });
    }
  }
  for (std::size_t s : {16, 128, 1024, 8192}) {
    // Each iteration rebuilds 1024 partial spans untimed: 20 iterations.
    reg("MCacheRefill/size:" + std::to_string(s), [s](benchmark::State& st) { BM_MCacheRefill(st, s); }, false, 20);
  }
  for (std::size_t p : {1, 4}) {
    reg("SpanAlloc/pages:" + std::to_string(p), [p](benchmark::State& st) { BM_SpanAlloc(st, p); });
  }
  for (std::size_t s : {std::size_t{64} << 10, std::size_t{1} << 20}) {
    reg("LargeAlloc/size:" + std::to_string(s) + "/impl:gort", [s](benchmark::State& st) { BM_GortLarge(st, s); });
    for (const CAlloc& a : c_allocators()) {
      const CAlloc* ap = &a;
      reg("LargeAlloc/size:" + std::to_string(s) + "/impl:" + a.name,
          [ap, s](benchmark::State& st) { BM_CLarge(st, ap, s); });
    }
  }
  // 1 and 2 always; more where the machine has the CPUs (16 on a big box).
  for (int p : {1, 2, 4, 8, 16}) {
    if (p > 2 && p > static_cast<int>(std::thread::hardware_concurrency())) break;
    reg("MultiP/procs:" + std::to_string(p), [p](benchmark::State& st) { BM_MultiP(st, p); });
  }
  reg("Larson/procs:2/impl:gort", BM_GortLarson);
  for (const CAlloc& a : c_allocators()) {
    const CAlloc* ap = &a;
    reg("Larson/procs:2/impl:" + std::string(a.name), [ap](benchmark::State& st) { BM_CLarson(st, ap); });
  }
  reg("Fragmentation", BM_Fragmentation, true);
  reg("ScavengeAfterShrink", BM_ScavengeAfterShrink, true);
  return 0;
}

const int registered = register_all();

}  // namespace
