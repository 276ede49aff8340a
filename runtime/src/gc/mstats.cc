// mstats.cc — the collector's statistics: pause histograms per STW phase,
// the ring of per-cycle records, runtime.MemStats (read with the world
// stopped, as Go's ReadMemStats) and the lock-free Metrics read (as
// runtime/metrics).
//
// Histogram buckets are log-spaced, four per power of two: bucket i counts
// pauses in [2^(i/4), 2^((i+1)/4)) ns. Writers are the controller (one
// cycle at a time); readers take relaxed loads, so a Metrics read may see a
// pause counted in one field and not yet in another.
#include <cmath>
#include <cstring>
#include <ctime>

#include "gc/mgcstate.h"
#include "gort/mem.h"
#include "mem/mstats.h"
#include "sched/proc.h"
#include "stack/stack.h"

namespace gort::gc {

namespace {

struct AtomicHistogram {
  std::atomic<std::uint64_t> count{0}, total{0}, max{0};
  std::atomic<std::uint64_t> buckets[kPauseBuckets];
};

struct Stats {
  AtomicHistogram pause[static_cast<int>(Phase::kCount)];
  // MemStats' pause ring (both pauses of a cycle summed into one entry).
  std::atomic<std::uint64_t> pause_ring[256];
  std::atomic<std::uint64_t> pause_end_ring[256];
  std::atomic<std::uint64_t> pause_total{0};
  // Cycle records.
  sched::Lock ring_lock;
  CycleRecord ring[4096];
  std::uint64_t nrecords = 0;
};
Stats* g_stats = new Stats();  // leaked: outlives every run()

int bucket_of(std::uint64_t ns) {
  if (ns <= 1) return 0;
  const int b = static_cast<int>(std::floor(std::log2(static_cast<double>(ns)) * 4.0));
  return b < 0 ? 0 : (b >= kPauseBuckets ? kPauseBuckets - 1 : b);
}

}  // namespace

double PhaseHistogram::quantile(double q) const noexcept {
  if (count == 0) return 0;
  const double target = q * static_cast<double>(count);
  double seen = 0;
  for (int i = 0; i < kPauseBuckets; i++) {
    seen += static_cast<double>(buckets[i]);
    if (seen >= target && buckets[i] != 0) {
      const double lo = std::exp2(i / 4.0), hi = std::exp2((i + 1) / 4.0);
      const double mid = std::sqrt(lo * hi);
      return mid > static_cast<double>(max_ns) ? static_cast<double>(max_ns) : mid;
    }
  }
  return static_cast<double>(max_ns);
}

void record_pause(PauseKind k, std::uint64_t ns) noexcept {
  AtomicHistogram& h = g_stats->pause[k == PauseKind::kSweepTerm ? 0 : 1];
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.total.fetch_add(ns, std::memory_order_relaxed);
  std::uint64_t m = h.max.load(std::memory_order_relaxed);
  while (ns > m && !h.max.compare_exchange_weak(m, ns, std::memory_order_relaxed)) {
  }
  h.buckets[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
  g_stats->pause_total.fetch_add(ns, std::memory_order_relaxed);
  // The ring entry of the current cycle (cycles is bumped at the end of
  // mark termination, after both pauses are recorded).
  const std::uint64_t slot = g_state.cycles.load(std::memory_order_relaxed) % 256;
  if (k == PauseKind::kSweepTerm) {
    g_stats->pause_ring[slot].store(ns, std::memory_order_relaxed);
  } else {
    g_stats->pause_ring[slot].fetch_add(ns, std::memory_order_relaxed);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    g_stats->pause_end_ring[slot].store(
        static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec),
        std::memory_order_relaxed);
  }
}

void record_cycle(const CycleRecord& r) noexcept {
  sched::LockGuard g(g_stats->ring_lock);
  g_stats->ring[g_stats->nrecords % 4096] = r;
  g_stats->nrecords++;
}

void stats_reset() noexcept {}

std::size_t cycle_records(CycleRecord* out, std::size_t max, std::uint64_t since) {
  sched::LockGuard g(g_stats->ring_lock);
  const std::uint64_t n = g_stats->nrecords;
  const std::uint64_t first = n > 4096 ? n - 4096 : 0;
  std::size_t k = 0;
  for (std::uint64_t i = first; i < n && k < max; i++) {
    const CycleRecord& r = g_stats->ring[i % 4096];
    if (r.cycle >= since) out[k++] = r;
  }
  return k;
}

Metrics read_metrics() {
  Metrics m;
  const mem::Stats ms = mem::read_stats();
  m.cycles = g_state.cycles.load(std::memory_order_relaxed);
  m.forced_cycles = g_state.forced_cycles.load(std::memory_order_relaxed);
  m.heap_live = ms.heap_live > 0 ? static_cast<std::uint64_t>(ms.heap_live) : 0;
  m.heap_goal = g_state.pacer.heap_goal();
  m.heap_marked_last = g_state.pacer.heap_marked();
  m.stack_bytes = stack::bytes_in_use();
  m.globals_bytes = globals_bytes();
  m.total_memory = ms.heap_sys - ms.heap_released + ms.metadata_bytes + m.stack_bytes;
  m.assist_cpu_ns = g_state.total_assist_ns.load(std::memory_order_relaxed);
  m.dedicated_cpu_ns = g_state.total_dedicated_ns.load(std::memory_order_relaxed);
  m.fractional_cpu_ns = g_state.total_fractional_ns.load(std::memory_order_relaxed);
  m.idle_cpu_ns = g_state.total_idle_ns.load(std::memory_order_relaxed);
  m.gc_cpu_ns = g_state.total_gc_cpu_ns.load(std::memory_order_relaxed);
  const int procs = sched::max_procs();
  if (g_state.running && procs > 0) {
    const std::int64_t wall = sched::nanotime_raw() - g_state.runtime_start_ns;
    m.total_cpu_ns = wall > 0 ? static_cast<std::uint64_t>(wall) * static_cast<std::uint64_t>(procs) : 0;
  }
  m.gc_cpu_fraction = m.total_cpu_ns > 0 ? static_cast<double>(m.gc_cpu_ns) / static_cast<double>(m.total_cpu_ns) : 0;
  m.limiter_engaged_ns = static_cast<std::uint64_t>(g_state.limiter.engaged_ns());
  m.marked_bytes_total = g_state.total_scanned.load(std::memory_order_relaxed);
  m.finalizers_run = finalizers_run();
  m.gogc = g_state.pacer.gogc();
  m.memory_limit = g_state.pacer.memory_limit();
  for (int p = 0; p < static_cast<int>(Phase::kCount); p++) {
    const AtomicHistogram& h = g_stats->pause[p];
    m.pause[p].count = h.count.load(std::memory_order_relaxed);
    m.pause[p].total_ns = h.total.load(std::memory_order_relaxed);
    m.pause[p].max_ns = h.max.load(std::memory_order_relaxed);
    for (int i = 0; i < kPauseBuckets; i++) m.pause[p].buckets[i] = h.buckets[i].load(std::memory_order_relaxed);
  }
  return m;
}

MemStats read_mem_stats() {
  // Go's ReadMemStats stops the world so that its figures are one
  // consistent snapshot; so does this (and what that costs is claim 304).
  const bool on_g = sched::getg() != nullptr && g_state.running;
  if (on_g) sched::stop_the_world("read_mem_stats");
  MemStats s;
  std::memset(&s, 0, sizeof(s));
  const mem::Stats ms = mem::read_stats();
  const std::uint64_t frees = ms.freed_objects;
  s.mallocs = ms.mallocs + ms.tiny_allocs + ms.large_allocs;
  s.frees = frees;
  s.heap_alloc = ms.heap_live > 0 ? static_cast<std::uint64_t>(ms.heap_live) : 0;
  s.alloc = s.heap_alloc;
  s.total_alloc = ms.total_alloc_bytes;
  s.heap_sys = ms.heap_sys;
  s.heap_idle = ms.heap_idle;
  s.heap_inuse = ms.heap_in_use;
  s.heap_released = ms.heap_released;
  s.heap_objects = s.mallocs >= frees ? s.mallocs - frees : 0;
  s.stack_inuse = stack::bytes_in_use();
  s.sys = ms.heap_sys + ms.metadata_bytes + s.stack_inuse;
  s.next_gc = g_state.pacer.heap_goal();
  s.pause_total_ns = g_stats->pause_total.load(std::memory_order_relaxed);
  for (int i = 0; i < 256; i++) {
    s.pause_ns[i] = g_stats->pause_ring[i].load(std::memory_order_relaxed);
    s.pause_end[i] = g_stats->pause_end_ring[i].load(std::memory_order_relaxed);
  }
  s.num_gc = static_cast<std::uint32_t>(g_state.cycles.load(std::memory_order_relaxed));
  s.num_forced_gc = static_cast<std::uint32_t>(g_state.forced_cycles.load(std::memory_order_relaxed));
  s.last_gc_ns = static_cast<std::uint64_t>(g_state.last_gc_unix_ns.load(std::memory_order_relaxed));
  const int procs = sched::max_procs();
  const std::int64_t wall = g_state.running ? sched::nanotime_raw() - g_state.runtime_start_ns : 0;
  s.gc_cpu_fraction = wall > 0 && procs > 0 ? static_cast<double>(g_state.total_gc_cpu_ns.load()) /
                                                  (static_cast<double>(wall) * procs)
                                            : 0;
  if (on_g) sched::start_the_world();
  return s;
}

}  // namespace gort::gc
