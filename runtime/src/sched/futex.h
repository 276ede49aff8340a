// futex.h — the OS layer for blocking threads: futex wait/wake and Note, a
// one-shot wake-up an M sleeps on (Go's note). Every blocking of an OS
// thread inside the runtime goes through here.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace gort::sched {

// futex_wait blocks while *addr == val, up to ns nanoseconds (< 0: forever).
inline void futex_wait(std::atomic<std::uint32_t>* addr, std::uint32_t val, std::int64_t ns = -1) {
  struct timespec ts, *tsp = nullptr;
  if (ns >= 0) {
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    tsp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAIT_PRIVATE, val, tsp, nullptr, 0);
}

inline void futex_wake(std::atomic<std::uint32_t>* addr, int n) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
}

// Note: one sleeper, one waker. clear() arms it; wakeup() sets it (once);
// sleep() returns after wakeup(); tsleep() returns true if woken, false on
// timeout.
class Note {
 public:
  void clear() { key_.store(0, std::memory_order_relaxed); }
  void wakeup() {
    if (key_.exchange(1, std::memory_order_release) == 0) futex_wake(&key_, 1);
  }
  void sleep() {
    while (key_.load(std::memory_order_acquire) == 0) futex_wait(&key_, 0);
  }
  bool tsleep(std::int64_t ns);
  bool is_set() const { return key_.load(std::memory_order_acquire) != 0; }

 private:
  std::atomic<std::uint32_t> key_{0};
};

}  // namespace gort::sched
