// mgclimit.h — the GC CPU limiter (Go's gcCPULimiterState, design 48409):
// caps the CPU the collector takes at about 50% over a window, so that a
// memory limit the program cannot fit under degrades into heap growth
// rather than a GC death spiral.
//
// What it owns: a token bucket of CPU time, pure arithmetic over numbers
// fed in (time as int64 ns; no clock, scheduler or allocator).
//   * capacity: 1 CPU-second per P (GOMAXPROCS x 1e9 CPU-ns);
//   * between two updates, total CPU = wall x GOMAXPROCS; GC CPU (workers,
//     assists, STW time x procs: whatever the collector counts) fills the
//     bucket, mutator CPU (total - GC - idle) drains it, one for one;
//   * the bucket full means GC took more than half the CPU for long enough
//     to use the whole allowance: limiting() turns true. It turns false at
//     the first update in which the mutator got more CPU than the GC.
// Invariants: 0 <= fill <= capacity; limiting() implies fill == capacity.
// What the collector does with it: while limiting() is true, goroutines do
// not assist (they allocate freely and the heap passes its goal) and idle
// Ps do not run mark workers; background workers keep their 25%. GC CPU then
// falls under 50%, the bucket drains, assists resume: averaged over the
// window, GC gets about half the CPU and the mutator keeps the rest.
// GC time beyond the capacity is counted in overflow_ns() (work the limiter
// would have suppressed), wall time spent limiting in engaged_ns().
//
// Who calls what, when (thread-safety):
//   * update(): from anywhere (sysmon at each loop, 20 us to 10 ms apart,
//     and the collector at each mark termination: gc::limiter_tick), concurrently:
//     one caller at a time does the work, under an internal try-lock; a
//     caller that finds it held returns false and changes nothing (the
//     holder's update, or the next one, covers its interval).
//   * limiting(), engaged_ns(), overflow_ns(), fill(), capacity(): any
//     thread, any time (atomic reads).
//   * reset(): with no update running (tests, a collector restart). A
//     GOMAXPROCS change needs no reset: update resizes the bucket.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::gc {

class CpuLimiter {
 public:
  static constexpr std::int64_t kCapacityPerProc = 1'000'000'000;  // 1 CPU-second per P

  CpuLimiter() = default;
  CpuLimiter(const CpuLimiter&) = delete;
  CpuLimiter& operator=(const CpuLimiter&) = delete;

  // update accounts the interval since the previous update: now_ns is a
  // monotonic time, gc_cpu_ns_total and idle_ns_total are cumulative counters
  // (they only grow), gomaxprocs is the current P count. The first call only
  // sets the baseline. A GOMAXPROCS change resizes the bucket (fill kept,
  // clamped to the new capacity). GC and idle time beyond the interval's
  // wall x procs are carried into later intervals (counters that report
  // work in lumps), not dropped. Returns false if another thread was
  // updating (nothing changed).
  bool update(std::int64_t now_ns, std::int64_t gc_cpu_ns_total, int gomaxprocs, std::int64_t idle_ns_total = 0);

  bool limiting() const { return limiting_.load(std::memory_order_relaxed); }
  // Cumulative wall ns during which limiting() was true (counted per
  // update interval, by the state at the interval's start).
  std::int64_t engaged_ns() const { return engaged_ns_.load(std::memory_order_relaxed); }
  // Cumulative GC CPU ns that arrived while the bucket was full.
  std::int64_t overflow_ns() const { return overflow_ns_.load(std::memory_order_relaxed); }
  std::int64_t fill() const { return fill_.load(std::memory_order_relaxed); }
  std::int64_t capacity() const { return capacity_.load(std::memory_order_relaxed); }

  void reset();

 private:
  void accumulate(std::int64_t mutator_ns, std::int64_t gc_ns);

  std::atomic<bool> busy_{false};  // the try-lock
  bool started_ = false;
  std::int64_t last_now_ = 0, last_gc_ = 0, last_idle_ = 0;
  int procs_ = 1;
  std::atomic<std::int64_t> fill_{0}, capacity_{kCapacityPerProc};
  std::atomic<bool> limiting_{false};
  std::atomic<std::int64_t> engaged_ns_{0}, overflow_ns_{0};
};

}  // namespace gort::gc
