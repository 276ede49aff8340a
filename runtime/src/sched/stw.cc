// stw.cc — stopping the world, and changing GOMAXPROCS with it.
//
// stop_the_world (Go's stopTheWorldWithSema): the caller, a goroutine,
// keeps its P; every other P is brought to kStopped: idle Ps directly, Ps of
// Ms in syscalls by CAS from kSyscall, running Ps by preempting their G —
// their Ms notice gcwaiting at the next schedule (gcstopm) and stop.
// stopwait counts the Ps still to stop; the last one wakes stopnote.
// Only one stop at a time (stw_owned); a second caller yields until free.
// The GC's two short pauses will use the same pair.
#include <sched.h>

#include "debug/fatal.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

namespace gort::sched {

static void preemptall() {
  int procs = sched_->gomaxprocs.load(std::memory_order_relaxed);
  for (int i = 0; i < procs; i++) {
    P* p = sched_->allp[i];
    if (p->status.load(std::memory_order_acquire) == PStatus::kRunning) preemptone(p);
  }
}

void stop_the_world(const char* reason) {
  require_goroutine(reason);
  bool f = false;
  while (!sched_->stw_owned.compare_exchange_weak(f, true, std::memory_order_acquire)) {
    f = false;
    gosched();
  }
  M* m = acquire_m();  // not preempted, not moved, until start_the_world
  P* me = m->p;
  sched_->lock.lock();
  int procs = sched_->gomaxprocs.load(std::memory_order_relaxed);
  sched_->stopwait.store(procs, std::memory_order_relaxed);
  sched_->stopnote.clear();
  sched_->gcwaiting.store(true, std::memory_order_release);
  preemptall();
  me->status.store(PStatus::kStopped, std::memory_order_relaxed);
  sched_->stopwait.fetch_sub(1, std::memory_order_relaxed);
  for (int i = 0; i < procs; i++) {
    P* p = sched_->allp[i];
    PStatus s = PStatus::kSyscall;
    if (p->status.compare_exchange_strong(s, PStatus::kStopped, std::memory_order_acq_rel))
      sched_->stopwait.fetch_sub(1, std::memory_order_relaxed);
  }
  while (P* p = pidleget(nullptr)) {
    p->status.store(PStatus::kStopped, std::memory_order_relaxed);
    sched_->stopwait.fetch_sub(1, std::memory_order_relaxed);
  }
  sched_->lock.unlock();
  while (sched_->stopwait.load(std::memory_order_acquire) > 0) {
    if (sched_->stopnote.tsleep(100 * 1000)) {
      // The last P of the *previous* stop may wake the note after its
      // stopper already saw the count reach zero and moved on: a wake-up
      // is a hint, the count is the truth.
      if (sched_->stopwait.load(std::memory_order_acquire) == 0) break;
      sched_->stopnote.clear();
      continue;
    }
    preemptall();
  }
  GORT_CHECK(sched_->stopwait.load() == 0, "stop_the_world: Ps left running");
}

void start_the_world() {
  M* m = getm();
  P* toStart[kMaxProcs];
  int n = 0;
  {
    LockGuard g(sched_->lock);
    sched_->gcwaiting.store(false, std::memory_order_release);
    int procs = sched_->gomaxprocs.load(std::memory_order_relaxed);
    for (int i = procs - 1; i >= 0; i--) {
      P* p = sched_->allp[i];
      if (p == m->p) {
        p->status.store(PStatus::kRunning, std::memory_order_release);
        continue;
      }
      if (!runqempty(p)) {
        p->status.store(PStatus::kIdle, std::memory_order_relaxed);
        toStart[n++] = p;
      } else {
        pidleput(p);
      }
    }
  }
  for (int i = 0; i < n; i++) startm(toStart[i], false);
  wakep();
  m->locks--;
  sched_->stw_owned.store(false, std::memory_order_release);
}

// procresize makes n Ps live. Ps beyond n give their goroutines and timers
// to the others and become dead; the caller's P, if it dies, is swapped for
// allp[0].
void procresize(int n) {
  int old = sched_->gomaxprocs.load(std::memory_order_relaxed);
  for (int i = 0; i < n; i++) {
    if (sched_->allp[i] == nullptr) {
      P* p = new P();
      p->id = i;
      timers_init_p(p);
      sched_->allp[i] = p;
      sched_->nallp = i + 1;
    }
    P* p = sched_->allp[i];
    if (i >= old) {
      p->status.store(PStatus::kStopped, std::memory_order_relaxed);
      __atomic_store_n(&p->schedtick, 0u, __ATOMIC_RELAXED);
    }
  }
  M* m = getm();
  for (int i = n; i < old; i++) {
    P* p = sched_->allp[i];
    bool inherit;
    while (G* gp = runqget(p, &inherit)) globrunqput(gp);
    timers_move(p, sched_->allp[0]);
    while (p->gfree != nullptr) {
      G* gp = p->gfree;
      p->gfree = gp->schedlink;
      p->ngfree--;
      gp->schedlink = sched_->gfree;
      sched_->gfree = gp;
      sched_->ngfree.fetch_add(1, std::memory_order_relaxed);
    }
    p->status.store(PStatus::kDead, std::memory_order_relaxed);
    if (m != nullptr && m->p == p) {
      m->p = nullptr;
      p->m.store(nullptr, std::memory_order_relaxed);
      P* p0 = sched_->allp[0];
      m->p = p0;
      p0->m.store(m, std::memory_order_relaxed);
    }
  }
  sched_->gomaxprocs.store(n, std::memory_order_release);
  if (old == 0) {
    // First call (run()): every P starts idle.
    for (int i = n - 1; i >= 0; i--) pidleput(sched_->allp[i]);
  }
}

}  // namespace gort::sched

namespace gort {

int max_procs() { return sched::max_procs(); }

int set_max_procs(int n) {
  using namespace gort::sched;
  int prev = sched::max_procs();
  if (n <= 0 || sched_ == nullptr) return prev;
  if (n > kMaxProcs) n = kMaxProcs;
  stop_the_world("gort::set_max_procs");
  {
    LockGuard g(sched_->lock);
    procresize(n);
    sched_->procs_from_user = true;
  }
  start_the_world();
  return prev;
}

}  // namespace gort
