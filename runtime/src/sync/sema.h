// sema.h — the runtime's semaphores keyed by address (Go's sema.go), on
// which gort::sync's mutex, rwmutex, wait_group and cond are built. See
// sema.cc for the design.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/park.h"

namespace gort::sync_detail {

// semacquire waits until *addr > 0 and then decrements it. Waiters of one
// address queue in FIFO order; `lifo` puts this one at the front instead
// (the mutex does that for a waiter that was already woken once).
// REQUIRES: on a goroutine if it may have to wait.
void semacquire(std::atomic<std::uint32_t>* addr, bool lifo, sched::WaitReason reason);

// semrelease increments *addr and wakes the first waiter, if any. With
// `handoff` the count goes straight to that waiter (it cannot be barged)
// and the caller yields so the waiter runs at once (the mutex's starvation
// mode).
void semrelease(std::atomic<std::uint32_t>* addr, bool handoff);

// cansemacquire decrements *addr if it is positive.
inline bool cansemacquire(std::atomic<std::uint32_t>* addr) {
  std::uint32_t v = addr->load(std::memory_order_relaxed);
  while (v != 0) {
    if (addr->compare_exchange_weak(v, v - 1, std::memory_order_acquire, std::memory_order_relaxed))
      return true;
  }
  return false;
}

// waiters_for_testing counts goroutines parked on addr.
int waiters_for_testing(const void* addr);

}  // namespace gort::sync_detail
