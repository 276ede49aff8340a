// lock.h — the runtime's own mutex (Go's runtime.mutex), for short critical
// sections inside the runtime: it blocks the OS thread (spin, then futex),
// never the goroutine, and disables preemption while held (m->locks), so a
// goroutine holding it is never switched out. Channels, timers, the
// semaphore table and the allocator's central lists use it. User-facing
// locks that park goroutines are gort::sync::mutex.
//
// Lock ranks (take only in this order; see HACKING.md):
//   sched (global queue / idle lists) < ... each file names its own rank.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::sched {

class Lock {
 public:
  constexpr Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  void lock();
  void unlock();
  bool try_lock();
  // held reports whether some thread holds the lock (for assertions only).
  bool held() const { return state_.load(std::memory_order_relaxed) != kUnlocked; }

 private:
  static constexpr std::uint32_t kUnlocked = 0, kLocked = 1, kSleeping = 2;
  void lock_slow();
  std::atomic<std::uint32_t> state_{kUnlocked};
};

// LockGuard is a scoped Lock.
class LockGuard {
 public:
  explicit LockGuard(Lock& l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& l_;
};

}  // namespace gort::sched
