// syscall.cc — blocking calls: enter_syscall / exit_syscall.
//
// Entering: the G goes kRunning -> kSyscall and its P kRunning -> kSyscall;
// the M keeps pointing at the P (m->p) but must not use it until exit.
// sysmon may retake a P that stays in kSyscall (CAS to kIdle, handoffp) so
// other goroutines run while this M is blocked in the kernel.
// Exiting: fast path, CAS our P back kSyscall -> kRunning; else grab any
// idle P; else queue the G globally and stop this M (kSyscallBlock).
// A P may be retaken, run by another M, and enter a syscall again before we
// exit; our CAS then succeeds on a P whose other M is in a syscall too —
// harmless, since that M will not touch the P until its own exit finds it
// gone.
#include <unistd.h>

#include "debug/fatal.h"
#include "sched/proc.h"
#include "gc/mgc.h"
#include "sched/runtime2.h"

namespace gort {

using namespace gort::sched;

// save_syscall_context records where the caller's frames start and its
// callee-saved registers: what the GC scans (conservatively) while the
// goroutine is in the syscall and its thread runs code the GC cannot stop.
__attribute__((noinline)) static void save_syscall_context(G* gp, void* caller_sp) {
#if defined(__x86_64__)
  asm volatile(
      "movq %%rbx, 0(%0)\n\t"
      "movq %%rbp, 8(%0)\n\t"
      "movq %%r12, 16(%0)\n\t"
      "movq %%r13, 24(%0)\n\t"
      "movq %%r14, 32(%0)\n\t"
      "movq %%r15, 40(%0)\n\t" ::"r"(gp->syscall_regs)
      : "memory");
#endif
  gp->syscall_sp = caller_sp;
}

__attribute__((noinline)) void enter_syscall() {
  M* m = acquire_m();
  if (m == nullptr) return;
  G* gp = m->curg.load(std::memory_order_relaxed);
  if (gp == nullptr || m->p == nullptr) return release_m(m);
  if (m->locks != 1) debug::fatal("enter_syscall called while holding a runtime lock");
  P* p = m->p;
  gp->syscall_when = nanotime_raw();
  save_syscall_context(gp, __builtin_frame_address(0));
  p->syscalltick.fetch_add(1, std::memory_order_relaxed);
  set_status(gp, GStatus::kRunning, GStatus::kSyscall);
  p->status.store(PStatus::kSyscall, std::memory_order_release);
  if (sched_->gcwaiting.load(std::memory_order_acquire)) {
    // A stop-the-world is waiting for this P: stop it now.
    PStatus s = PStatus::kSyscall;
    if (p->status.compare_exchange_strong(s, PStatus::kStopped, std::memory_order_acq_rel)) {
      if (sched_->stopwait.fetch_sub(1, std::memory_order_acq_rel) == 1) sched_->stopnote.wakeup();
    }
  }
  release_m(m);
}

void exit_syscall() {
  M* m = acquire_m();
  if (m == nullptr) return;
  G* gp = m->curg.load(std::memory_order_relaxed);
  if (gp == nullptr || gp->status.load(std::memory_order_relaxed) != GStatus::kSyscall) return release_m(m);
  if (m->owner != sched_ || m->owner->exiting.load(std::memory_order_acquire)) {
    // The runtime this M belonged to has shut down while we were blocked:
    // nothing is left to return to. Park this thread for good.
    for (;;) pause();
  }
  P* p = m->p;
  PStatus s = PStatus::kSyscall;
  if (p != nullptr && p->status.compare_exchange_strong(s, PStatus::kRunning, std::memory_order_acq_rel)) {
    p->m.store(m, std::memory_order_relaxed);
    set_status(gp, GStatus::kSyscall, GStatus::kRunning);
    if (gc::marking()) gc::wait_scan(gp);
    release_m(m);
    preempt_point();
    return;
  }
  // Our P was retaken or stopped.
  m->p = nullptr;
  if (!sched_->gcwaiting.load(std::memory_order_acquire)) {
    P* np;
    {
      LockGuard g(sched_->lock);
      np = pidleget(nullptr);
    }
    if (np != nullptr) {
      m->p = np;
      np->m.store(m, std::memory_order_relaxed);
      np->status.store(PStatus::kRunning, std::memory_order_release);
      set_status(gp, GStatus::kSyscall, GStatus::kRunning);
      if (gc::marking()) gc::wait_scan(gp);
      release_m(m);
      return;
    }
  }
  // No P: queue the G and let this M sleep (its g0 loop stops it).
  m->pending = Pending::kSyscallBlock;
  m->pending_g = gp;
  m->curg.store(nullptr, std::memory_order_relaxed);
  gp->m = nullptr;
  // Switch to g0 directly: reschedule would look for a successor on a P.
  switch_to_g0_for(m, gp);
}

}  // namespace gort
