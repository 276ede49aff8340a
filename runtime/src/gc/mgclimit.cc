// mgclimit.cc — the GC CPU limiter (design in mgclimit.h).
#include "gc/mgclimit.h"

#include <algorithm>

namespace gort::gc {

bool CpuLimiter::update(std::int64_t now_ns, std::int64_t gc_cpu_ns_total, int gomaxprocs,
                        std::int64_t idle_ns_total) {
  bool expected = false;
  if (!busy_.compare_exchange_strong(expected, true, std::memory_order_acquire)) return false;
  const int procs = gomaxprocs < 1 ? 1 : gomaxprocs;
  if (!started_) {
    started_ = true;
    last_gc_ = gc_cpu_ns_total;
    last_idle_ = idle_ns_total;
  } else if (now_ns > last_now_) {
    const std::int64_t wall = now_ns - last_now_;
    // The interval ran with the P count of its start.
    const std::int64_t total = wall * procs_;
    const std::int64_t gc = std::clamp<std::int64_t>(gc_cpu_ns_total - last_gc_, 0, total);
    const std::int64_t idle = std::clamp<std::int64_t>(idle_ns_total - last_idle_, 0, total - gc);
    if (limiting_.load(std::memory_order_relaxed)) engaged_ns_.fetch_add(wall, std::memory_order_relaxed);
    accumulate(total - gc - idle, gc);
    // GC time that did not fit in this interval counts in the next ones:
    // the collector reports an assist or a worker's stint when it ends, in
    // one lump that may be longer than a sysmon interval (clamped and
    // dropped, a 92% GC never filled the bucket).
    last_gc_ += gc;
    last_idle_ += idle;
  }
  last_now_ = std::max(now_ns, last_now_);
  if (procs != procs_) {
    procs_ = procs;
    const std::int64_t cap = kCapacityPerProc * procs;
    capacity_.store(cap, std::memory_order_relaxed);
    if (fill_.load(std::memory_order_relaxed) >= cap) {
      fill_.store(cap, std::memory_order_relaxed);
    } else {
      limiting_.store(false, std::memory_order_relaxed);  // a bigger bucket has room again
    }
  }
  busy_.store(false, std::memory_order_release);
  return true;
}

void CpuLimiter::accumulate(std::int64_t mutator_ns, std::int64_t gc_ns) {
  const std::int64_t cap = capacity_.load(std::memory_order_relaxed);
  const std::int64_t fill = fill_.load(std::memory_order_relaxed);
  const std::int64_t change = gc_ns - mutator_ns;  // > 0: GC took more than half
  if (change > 0 && change >= cap - fill) {
    // Full: the excess is GC time beyond the allowance.
    overflow_ns_.fetch_add(change - (cap - fill), std::memory_order_relaxed);
    fill_.store(cap, std::memory_order_relaxed);
    limiting_.store(true, std::memory_order_relaxed);
    return;
  }
  fill_.store(std::max<std::int64_t>(fill + change, 0), std::memory_order_relaxed);
  // Engaged and the mutator got the larger share this interval: let go.
  // (change == 0 leaves the state as it is.)
  if (change != 0) limiting_.store(false, std::memory_order_relaxed);
}

void CpuLimiter::reset() {
  started_ = false;
  last_now_ = last_gc_ = last_idle_ = 0;
  procs_ = 1;
  fill_.store(0, std::memory_order_relaxed);
  capacity_.store(kCapacityPerProc, std::memory_order_relaxed);
  limiting_.store(false, std::memory_order_relaxed);
  engaged_ns_.store(0, std::memory_order_relaxed);
  overflow_ns_.store(0, std::memory_order_relaxed);
}

}  // namespace gort::gc
