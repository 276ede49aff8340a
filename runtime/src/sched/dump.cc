// dump.cc — printing the scheduler's state: the goroutine list (SIGQUIT,
// deadlock) and GODEBUG=schedtrace/scheddetail lines in Go's formats.
// dump_all_goroutines runs in signal handlers and fatal paths: it formats
// into stack buffers and writes with write(2); it reads the goroutine list
// without its lock (G structs are never freed while the runtime runs).
#include <unistd.h>

#include <cstdio>

#include "debug/fatal.h"
#include "sched/runtime2.h"

namespace gort::sched {

void dump_all_goroutines(int fd) {
  (void)fd;
  if (sched_ == nullptr) return;
  std::int64_t now = nanotime_raw();
  G* self = nullptr;
  if (M* m = getm()) self = m->curg.load(std::memory_order_relaxed);
  for (G* gp = sched_->allgs; gp != nullptr; gp = gp->alllink) {
    GStatus st = gp->status.load(std::memory_order_relaxed);
    if (st == GStatus::kDead || st == GStatus::kIdle) continue;
    char buf[192];
    const char* state = st == GStatus::kWaiting ? to_string(gp->wait_reason) : to_string(st);
    if (gp == self) state = "running";
    long minutes = st == GStatus::kWaiting ? static_cast<long>((now - gp->wait_since) / 60000000000LL) : 0;
    if (minutes > 0) {
      std::snprintf(buf, sizeof buf, "goroutine %llu [%s, %ld minutes]:\n", static_cast<unsigned long long>(gp->id),
                    state, minutes);
    } else {
      std::snprintf(buf, sizeof buf, "goroutine %llu [%s]:\n", static_cast<unsigned long long>(gp->id), state);
    }
    debug::write_stderr(buf);
    if (gp->lockedm != nullptr) debug::write_stderr("\tlocked to thread\n");
    debug::write_stderr("\n");
  }
}

void schedtrace(bool detail) {
  char buf[512];
  // sysmon calls this: it may take the sched lock (the SIGQUIT dump above
  // may not, and prints nothing guarded by it).
  LockGuard g(sched_->lock);
  int procs = sched_->gomaxprocs.load(std::memory_order_relaxed);
  int n = std::snprintf(buf, sizeof buf,
                        "SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%d spinningthreads=%d idlethreads=%d "
                        "runqueue=%d [",
                        static_cast<long long>((nanotime_raw() - sched_->start_time) / 1000000), procs,
                        sched_->npidle.load(std::memory_order_relaxed), sched_->mcount,
                        sched_->nmspinning.load(std::memory_order_relaxed), sched_->nmidle,
                        sched_->runqsize.load(std::memory_order_relaxed));
  for (int i = 0; i < procs && n < static_cast<int>(sizeof buf) - 16; i++) {
    P* p = sched_->allp[i];
    std::uint32_t len = p->runqtail.load(std::memory_order_relaxed) - p->runqhead.load(std::memory_order_relaxed);
    n += std::snprintf(buf + n, sizeof buf - n, i == 0 ? "%u" : " %u", len);
  }
  std::snprintf(buf + n, sizeof buf - n, "]\n");
  debug::write_stderr(buf);
  if (!detail) return;
  for (int i = 0; i < procs; i++) {
    P* p = sched_->allp[i];
    M* m = p->m.load(std::memory_order_relaxed);
    std::snprintf(buf, sizeof buf, "  P%d: status=%u schedtick=%u syscalltick=%u m=%d runqsize=%u gfreecnt=%d\n", i,
                  static_cast<unsigned>(p->status.load(std::memory_order_relaxed)),
                  __atomic_load_n(&p->schedtick, __ATOMIC_RELAXED), p->syscalltick.load(std::memory_order_relaxed),
                  m != nullptr ? m->id : -1,
                  p->runqtail.load(std::memory_order_relaxed) - p->runqhead.load(std::memory_order_relaxed),
                  p->ngfree);
    debug::write_stderr(buf);
  }
  for (M* m = sched_->allm; m != nullptr; m = m->alllink) {
    G* gp = m->curg.load(std::memory_order_relaxed);
    std::snprintf(buf, sizeof buf, "  M%d: p=%d curg=%lld locks=%d spinning=%s lockedg=%lld\n", m->id,
                  m->p != nullptr ? m->p->id : -1, gp != nullptr ? static_cast<long long>(gp->id) : -1LL, m->locks,
                  m->spinning ? "true" : "false",
                  m->lockedg != nullptr ? static_cast<long long>(m->lockedg->id) : -1LL);
    debug::write_stderr(buf);
  }
  for (G* gp = sched_->allgs; gp != nullptr; gp = gp->alllink) {
    GStatus st = gp->status.load(std::memory_order_relaxed);
    if (st == GStatus::kDead) continue;
    std::snprintf(buf, sizeof buf, "  G%llu: status=%u(%s) m=%d lockedm=%d\n", static_cast<unsigned long long>(gp->id),
                  static_cast<unsigned>(st), st == GStatus::kWaiting ? to_string(gp->wait_reason) : "",
                  gp->m != nullptr ? gp->m->id : -1, gp->lockedm != nullptr ? gp->lockedm->id : -1);
    debug::write_stderr(buf);
  }
}

}  // namespace gort::sched
