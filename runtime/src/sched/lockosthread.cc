// lockosthread.cc — wiring a goroutine to its OS thread.
//
// While locked (count > 0), the G runs only on its M and that M runs only
// that G. When the G blocks, the M gives its P away and sleeps
// (stoplockedm, proc.cc); whichever M later dequeues the runnable G hands
// its P to the locked M and stops itself (startlockedm). While any G is
// locked, schedules go through g0 (no direct G-to-G switch), which is where
// that hand-off is made.
#include "debug/fatal.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

namespace gort {

using namespace gort::sched;

void lock_os_thread() {
  M* m = acquire_m();
  G* gp = m != nullptr ? m->curg.load(std::memory_order_relaxed) : nullptr;
  if (gp == nullptr) debug::fatal("gort::lock_os_thread called off a goroutine");
  if (m->locked_ext++ == 0) {
    m->lockedg = gp;
    gp->lockedm = m;
    sched_->nlockedg.fetch_add(1, std::memory_order_relaxed);
  }
  release_m(m);
}

void unlock_os_thread() {
  M* m = getm();  // a locked goroutine cannot move: no window to close
  G* gp = m != nullptr ? m->curg.load(std::memory_order_relaxed) : nullptr;
  if (gp == nullptr) debug::fatal("gort::unlock_os_thread called off a goroutine");
  if (m->locked_ext == 0) return;  // as Go: unbalanced unlock is a no-op
  if (--m->locked_ext == 0) {
    m->lockedg = nullptr;
    gp->lockedm = nullptr;
    sched_->nlockedg.fetch_sub(1, std::memory_order_relaxed);
  }
}

}  // namespace gort
