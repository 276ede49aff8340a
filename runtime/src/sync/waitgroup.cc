// waitgroup.cc — gort::sync::wait_group, Go's sync.WaitGroup (gort/sync.h).
//
// state_ holds the counter (high 32 bits) and the number of parked waiters
// (low 32 bits) in one word, so that "counter reached zero" and "who is
// waiting" are read together. add() that brings the counter to zero with
// waiters resets the whole word to 0 and releases the semaphore once per
// waiter; a waiter increments the waiter count with a CAS that also checks
// the counter is still non-zero, then parks.
//
// Invariants: the waiter count is non-zero only while the counter is; when
// the counter drops to zero no add() may race with the waking (Go's misuse
// panics detect what they can). Reuse: once every wait() has returned, the
// group starts over from zero.
#include "gort/sync.h"
#include "lang/panic.h"
#include "sched/park.h"
#include "sync/sema.h"

namespace gort::sync {

void wait_group::add(int delta) {
  std::uint64_t state =
      state_.fetch_add(static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32,
                       std::memory_order_acq_rel) +
      (static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32);
  std::int32_t v = static_cast<std::int32_t>(state >> 32);
  std::uint32_t w = static_cast<std::uint32_t>(state);
  if (v < 0) lang::panic_runtime_error("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == delta)
    lang::panic_runtime_error("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0) return;
  // Counter is zero and there are waiters: nobody may change state now.
  if (state_.load(std::memory_order_relaxed) != state)
    lang::panic_runtime_error("sync: WaitGroup misuse: Add called concurrently with Wait");
  state_.store(0, std::memory_order_release);
  for (; w != 0; --w) sync_detail::semrelease(&sema_, false);
}

void wait_group::wait() {
  std::uint64_t state = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((state >> 32) == 0) return;
    if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) {
      sync_detail::semacquire(&sema_, false, sched::WaitReason::kSyncWaitGroupWait);
      if (state_.load(std::memory_order_acquire) != 0)
        lang::panic_runtime_error("sync: WaitGroup is reused before previous Wait has returned");
      return;
    }
  }
}

}  // namespace gort::sync
