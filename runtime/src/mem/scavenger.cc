// scavenger.cc — the background scavenger. See scavenger.h.
#include "mem/scavenger.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "gort/mem.h"
#include "mem/mheap.h"
#include "mem/mstats.h"
#include "mem/sysmem.h"

namespace gort::mem {

namespace {

constexpr std::uint64_t kDefaultGoal = 4 << 20;   // Go's minimum heap (GOGC=100)
constexpr std::size_t kStepBytes = 64 * kPageSize;  // 512 KiB per step
constexpr int kCpuPercent = 1;
// kCatchUpCpuPercent: the share allowed while retained memory is more than
// twice the target (the heap just shrank a lot). At 1% a quiet 16-core box
// took 10.5 s to return 230 MiB (madvise costs ~3.5 us per 4 KiB page
// there); 10% brings that to about a second. Go stays at 1% and relies on
// later GC cycles; this is a deliberate difference.
constexpr int kCatchUpCpuPercent = 10;

std::atomic<std::uint64_t> g_goal{kDefaultGoal};
std::atomic<std::size_t> g_retained_limit{SIZE_MAX};  // from the memory limit (set_retained_limit)
std::once_flag g_start_once;
// The worker's sleep. Never destroyed: the detached worker may still be
// waiting on it while static destructors run at exit.
struct Sleeper {
  std::mutex mu;
  std::condition_variable cv;
};
Sleeper& sleeper() {
  static Sleeper* s = new Sleeper;
  return *s;
}
std::atomic<bool> g_kicked{false};

// thread_cpu_ns is the worker's own CPU time: pacing by it keeps the share
// at 1% of a CPU even when a loaded machine stretches the wall-clock time
// of each step (pacing by wall time made a loaded 2-core VM take 24 s to
// release 230 MiB).
std::int64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

std::size_t retained() { return g_heap.mapped_bytes() - g_heap.released_bytes(); }

void sleep_or_kick(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> l(sleeper().mu);
  sleeper().cv.wait_for(l, d, [] { return g_kicked.exchange(false, std::memory_order_acq_rel); });
}

[[noreturn]] void worker() {
  for (;;) {
    const std::size_t target = scavenger_retained_target();
    const std::size_t have = retained();
    if (have <= target) {
      sleep_or_kick(std::chrono::milliseconds(100));
      continue;
    }
    const std::int64_t t0 = thread_cpu_ns();
    const std::size_t got = scavenge_step(std::min(have - target, kStepBytes));
    const std::int64_t took = thread_cpu_ns() - t0;
    if (got == 0) {  // everything over the target is in use
      sleep_or_kick(std::chrono::milliseconds(100));
      continue;
    }
    g_counters.scav_work_ns.fetch_add(static_cast<std::uint64_t>(took), std::memory_order_relaxed);
    // Sleep so that work / (work + sleep) == the CPU share.
    const int pct = have > 2 * target || have > g_retained_limit.load(std::memory_order_relaxed) ? kCatchUpCpuPercent
                                                                                              : kCpuPercent;
    const std::int64_t nap = std::max<std::int64_t>(took * (100 - pct) / pct, 20000);
    std::this_thread::sleep_for(std::chrono::nanoseconds(nap));
  }
}

}  // namespace

std::size_t scavenge_step(std::size_t max_bytes) {
  const std::size_t max_pages = std::max<std::size_t>(1, max_bytes / kPageSize);
  std::size_t n = 0;
  std::uintptr_t base;
  {
    sched::LockGuard g(g_heap.lock);
    base = g_heap.pages.take_for_scavenge(max_pages, &n);
  }
  if (base == 0) return 0;
  sys::release(reinterpret_cast<void*>(base), n * kPageSize);
  {
    sched::LockGuard g(g_heap.lock);
    g_heap.pages.return_scavenged(base, n);
  }
  g_counters.scav_released_bytes.fetch_add(n * kPageSize, std::memory_order_relaxed);
  return n * kPageSize;
}

std::size_t scavenger_retained_target() {
  const std::uint64_t goal = g_goal.load(std::memory_order_relaxed);
  const std::size_t by_goal = goal > (UINT64_MAX / 11) * 10 ? SIZE_MAX : static_cast<std::size_t>(goal + goal / 10);
  return std::min(by_goal, g_retained_limit.load(std::memory_order_relaxed));
}

void set_retained_limit(std::size_t bytes) { g_retained_limit.store(bytes, std::memory_order_relaxed); }

// A process that forks (tests' death checks do) gets a child with none of
// the parent's other threads: had the worker held the heap lock or its
// sleep mutex at that moment, the child would wait on it forever. The fork
// handlers take both (heap lock first, the order a kick under the heap lock
// would use; the worker never holds both) and release them on each side.
namespace {
void fork_prepare() {
  g_heap.lock.lock();
  sleeper().mu.lock();
}
void fork_release() {
  sleeper().mu.unlock();
  g_heap.lock.unlock();
}
}  // namespace

void scavenger_note_growth() {
  std::call_once(g_start_once, [] {
    sleeper();
    pthread_atfork(fork_prepare, fork_release, fork_release);
    std::thread(worker).detach();
  });
  // Over what the memory limit allows: release the excess now, on this
  // thread, before the heap grows further (the worker's 1-10% pace would
  // let a fast allocator run past the limit meanwhile). Only free pages go:
  // a heap whose live part is over the limit stays over it.
  const std::size_t limit = g_retained_limit.load(std::memory_order_relaxed);
  for (std::size_t have = retained(); have > limit; have = retained()) {
    if (scavenge_step(std::min(have - limit, kStepBytes)) == 0) break;
  }
  if (retained() > scavenger_retained_target() && !g_kicked.exchange(true, std::memory_order_acq_rel)) {
    sleeper().cv.notify_one();
  }
}

void set_heap_goal(std::uint64_t bytes) {
  g_goal.store(bytes, std::memory_order_relaxed);
  scavenger_note_growth();
}

std::uint64_t heap_goal() { return g_goal.load(std::memory_order_relaxed); }

std::size_t scavenge(std::size_t bytes) {
  std::size_t done = 0;
  while (done < bytes) {
    const std::size_t got = scavenge_step(std::min(bytes - done, kStepBytes));
    if (got == 0) break;
    done += got;
  }
  return done;
}

}  // namespace gort::mem
