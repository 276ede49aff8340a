// lock.cc — the runtime mutex (see lock.h): spin briefly, then sleep on a
// futex. States: 0 unlocked, 1 locked, 2 locked with possible sleepers.
// While held, the holder's M counts it in m->locks, which disables
// preemption of the goroutine (cooperative and asynchronous).
#include "sched/lock.h"

#include <sched.h>

#include "sched/futex.h"
#include "sched/runtime2.h"

namespace gort::sched {

bool Note::tsleep(std::int64_t ns) {
  if (key_.load(std::memory_order_acquire) != 0) return true;
  std::int64_t deadline = nanotime_raw() + ns;
  for (;;) {
    std::int64_t left = deadline - nanotime_raw();
    if (left <= 0) return key_.load(std::memory_order_acquire) != 0;
    futex_wait(&key_, 0, left);
    if (key_.load(std::memory_order_acquire) != 0) return true;
  }
}

void Lock::lock() {
  acquire_m();
  std::uint32_t c = kUnlocked;
  if (state_.compare_exchange_strong(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) return;
  lock_slow();
}

bool Lock::try_lock() {
  M* m = acquire_m();
  std::uint32_t c = kUnlocked;
  if (state_.compare_exchange_strong(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) return true;
  release_m(m);
  return false;
}

void Lock::lock_slow() {
  // Spin a little: critical sections are short, and a sleep/wake pair costs
  // microseconds (30 us to wake the other vCPU on a small VM).
  for (int i = 0; i < 100; i++) {
    std::uint32_t c = state_.load(std::memory_order_relaxed);
    if (c == kUnlocked &&
        state_.compare_exchange_weak(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed))
      return;
    __builtin_ia32_pause();
  }
  for (int i = 0; i < 3; i++) {
    sched_yield();
    std::uint32_t c = kUnlocked;
    if (state_.compare_exchange_strong(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) return;
  }
  // Mark contended and sleep until unlocked.
  while (state_.exchange(kSleeping, std::memory_order_acquire) != kUnlocked) {
    futex_wait(&state_, kSleeping);
  }
}

void Lock::unlock() {
  if (state_.exchange(kUnlocked, std::memory_order_release) == kSleeping) futex_wake(&state_, 1);
  if (M* m = getm()) {
    GORT_DCHECK(m->locks > 0, "runtime lock released with m->locks == 0");
    m->locks--;
  }
}

}  // namespace gort::sched
