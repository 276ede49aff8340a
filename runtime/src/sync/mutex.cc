// mutex.cc — gort::sync::mutex, Go's sync.Mutex (gort/sync.h).
//
// state_ packs: kLocked (held), kWoken (a waiter is awake and competing, so
// unlock need not wake another), kStarving (starvation mode), and above
// kWaiterShift the number of parked waiters. sema_ is the semaphore
// (sema.cc) waiters park on.
//
// Normal mode: waiters queue FIFO, but a woken waiter competes with
// goroutines arriving on the fast path, which usually win (they are already
// running); a woken waiter that loses re-queues at the front. A waiter that
// has waited more than kStarvationNs switches the mutex to starvation mode.
// Starvation mode: unlock hands ownership straight to the front waiter
// (semrelease with hand-off); arrivals neither take the lock nor spin, they
// queue at the back. The waiter that receives ownership leaves starvation
// mode if it is the last waiter or waited less than kStarvationNs.
//
// Invariants: kWoken is set by at most one goroutine at a time (the spinner
// or woken waiter that owns it clears it when it next CASes the state). In
// starvation mode an unlocked mutex with waiters is never taken by anyone
// but the front waiter, and kLocked/kWoken are clear while the hand-off is
// in flight.
//
// Memory model: lock's CAS is an acquire, unlock's fetch_sub a release; in
// a hand-off the semaphore's atomics carry the edge. TSan sees all of them.
#include <thread>

#include "debug/fatal.h"
#include "gort/sync.h"
#include "gort/time.h"
#include "sched/park.h"
#include "sync/sema.h"

namespace gort::sync {

namespace {

constexpr std::int64_t kStarvationNs = 1'000'000;  // 1 ms, as Go
constexpr int kSpinIters = 4;                       // spin rounds before parking
constexpr int kSpinPauses = 30;                     // pause instructions per round

// can_spin: spinning only pays when another thread can release the lock
// meanwhile: more than one CPU and more than one P, and only briefly.
bool can_spin(int iter) {
  static const unsigned ncpu = std::thread::hardware_concurrency();
  return iter < kSpinIters && ncpu > 1 && sched::max_procs() > 1;
}

void do_spin() {
  for (int i = 0; i < kSpinPauses; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}

}  // namespace

void mutex::lock_slow() {
  std::int64_t wait_start = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Spin while it is held in normal mode; in starvation mode ownership is
    // handed to waiters, so spinning could not win it.
    if ((old & (kLocked | kStarving)) == kLocked && can_spin(iter)) {
      // Claim kWoken so unlock does not wake a waiter we would race with.
      if (!awoke && (old & kWoken) == 0 && (old >> kWaiterShift) != 0 &&
          state_.compare_exchange_strong(old, old | kWoken, std::memory_order_relaxed)) {
        awoke = true;
      }
      do_spin();
      ++iter;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t next = old;
    if ((old & kStarving) == 0) next |= kLocked;  // try to take it (normal mode only)
    if ((old & (kLocked | kStarving)) != 0) next += 1 << kWaiterShift;  // we will wait
    // Switch to starvation mode, unless it was just unlocked (then unlock
    // would expect waiters that a starving mutex cannot promise).
    if (starving && (old & kLocked) != 0) next |= kStarving;
    if (awoke) {
      if ((next & kWoken) == 0) debug::fatal("sync: inconsistent mutex state");
      next &= ~kWoken;
    }
    if (!state_.compare_exchange_strong(old, next, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      continue;  // old was reloaded by the failed CAS
    }
    if ((old & (kLocked | kStarving)) == 0) return;  // took it
    // Wait. A waiter that waited before re-queues at the front.
    bool lifo = wait_start != 0;
    if (wait_start == 0) wait_start = gort::nanotime();
    sync_detail::semacquire(&sema_, lifo, sched::WaitReason::kSyncMutexLock);
    starving = starving || gort::nanotime() - wait_start > kStarvationNs;
    old = state_.load(std::memory_order_relaxed);
    if ((old & kStarving) != 0) {
      // Handed ownership: kLocked is clear and we are counted as a waiter.
      if ((old & (kLocked | kWoken)) != 0 || (old >> kWaiterShift) == 0)
        debug::fatal("sync: inconsistent mutex state");
      std::int32_t delta = kLocked - (1 << kWaiterShift);
      if (!starving || (old >> kWaiterShift) == 1) delta -= kStarving;  // leave starvation mode
      state_.fetch_add(delta, std::memory_order_acquire);
      return;
    }
    awoke = true;
    iter = 0;
  }
}

void mutex::unlock_slow(std::int32_t n) {
  if (((n + kLocked) & kLocked) == 0) debug::fatal("sync: unlock of unlocked mutex");
  if ((n & kStarving) != 0) {
    // Hand ownership to the front waiter, and let it run now.
    sync_detail::semrelease(&sema_, true);
    return;
  }
  std::int32_t old = n;
  for (;;) {
    // Nobody to wake, or someone already locked it, is awake, or it went
    // starving (then the hand-off belongs to that path).
    if ((old >> kWaiterShift) == 0 || (old & (kLocked | kWoken | kStarving)) != 0) return;
    std::int32_t next = (old - (1 << kWaiterShift)) | kWoken;
    if (state_.compare_exchange_strong(old, next, std::memory_order_relaxed)) {
      sync_detail::semrelease(&sema_, false);
      return;
    }
  }
}

}  // namespace gort::sync
