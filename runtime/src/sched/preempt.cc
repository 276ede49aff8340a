// preempt.cc — asking a running goroutine to stop, and stopping it.
//
// Cooperative: preemptone sets g->preempt; runtime calls and
// gort::preempt_point() yield when they see it.
// Asynchronous: preemptone also sends SIGURG to the M (tgkill). The handler
// only decides; it preempts when the M is running user code of the G it
// was asked to stop, holds no runtime lock (m->locks == 0), the interrupted
// PC lies in the main executable's own code (not libc, libstdc++, the
// dynamic loader or a sanitizer runtime, whose internal locks and state a
// switch could break), and the G's stack has room. It then rewrites the
// signal context so that, on return from the handler, the thread "calls"
// gort_async_preempt_tramp (switch_amd64.S): the interrupted PC is pushed
// below the 128-byte red zone, every register is saved, and
// gort_async_preempt() yields like gosched — the G goes to the global run
// queue (as in Go), so it may resume on another M. Anything else: return,
// and sysmon asks again later.
//
// The rule for code running on goroutines (HACKING.md, "Safe points"): the
// asynchronous path can switch a goroutine out between any two instructions
// of the program's own code. It never does so inside libraries, the runtime,
// a NoPreempt scope, or while the goroutine holds a pthread mutex or rwlock
// (oslock.cc counts them). Keeping a thread_local's address (errno's too)
// in a register across such a point is not allowed, since the goroutine may
// resume on another thread.
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "arch/context.h"
#include "debug/knobs.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

extern "C" void gort_async_preempt();

namespace gort::sched {

namespace {

struct Range {
  std::uintptr_t lo, hi;
};
Range g_text[8];
int g_ntext = 0;
std::uintptr_t g_tramp_lo, g_tramp_hi;
bool g_async_off = false;
pid_t g_pid;

int collect_main_text(struct dl_phdr_info* info, std::size_t, void*) {
  // The first object is the main program (empty name).
  if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') return 1;
  for (int i = 0; i < info->dlpi_phnum && g_ntext < 8; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
      g_text[g_ntext++] = {info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz};
    }
  }
  return 1;
}

bool pc_is_async_safe(std::uintptr_t pc) {
  if (pc >= g_tramp_lo && pc < g_tramp_hi) return false;
  for (int i = 0; i < g_ntext; i++) {
    if (pc >= g_text[i].lo && pc < g_text[i].hi) return true;
  }
  return false;
}

// Bytes of goroutine stack the trampoline and the yield need below the
// interrupted stack pointer.
constexpr std::uintptr_t kPreemptRoom = 16 * 1024;

void sigurg_handler(int, siginfo_t*, void* ucv) {
  int saved_errno = errno;
  M* m = getm();
  if (m == nullptr || m->locks != 0 || g_async_off || gort_tls_nopreempt != 0 || gort_tls_oslocks != 0) {
    errno = saved_errno;
    return;
  }
  G* gp = m->curg.load(std::memory_order_relaxed);
  if (gp == nullptr || !gp->preempt.load(std::memory_order_relaxed) ||
      gp->status.load(std::memory_order_relaxed) != GStatus::kRunning) {
    errno = saved_errno;
    return;
  }
#if defined(__x86_64__)
  auto* uc = static_cast<ucontext_t*>(ucv);
  std::uintptr_t pc = uc->uc_mcontext.gregs[REG_RIP];
  std::uintptr_t sp = uc->uc_mcontext.gregs[REG_RSP];
  if (!pc_is_async_safe(pc) || sp < gp->stk.lo + kPreemptRoom || sp > gp->stk.hi) {
    errno = saved_errno;
    return;
  }
  sp -= 128;  // skip the red zone
  sp -= 8;
  *reinterpret_cast<std::uintptr_t*>(sp) = pc;
  uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(sp);
  uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(&gort_async_preempt_tramp);
#else
  (void)ucv;
#endif
  errno = saved_errno;
}

}  // namespace

void preempt_init() {
  g_ntext = 0;
  dl_iterate_phdr(collect_main_text, nullptr);
  g_tramp_lo = reinterpret_cast<std::uintptr_t>(&gort_async_preempt_tramp);
  g_tramp_hi = g_tramp_lo + 512;
  g_async_off = debug::knobs().asyncpreemptoff;
#if defined(GORT_TSAN)
  // TSan defers asynchronous signals to its own safe points and hands the
  // handler a copy of the context: rewriting it would corrupt the stack.
  // TSan builds preempt cooperatively only.
  g_async_off = true;
#endif
  g_pid = getpid();
  struct sigaction sa = {};
  sa.sa_sigaction = sigurg_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigfillset(&sa.sa_mask);
  sigaction(SIGURG, &sa, nullptr);
}

void preemptone(P* p) {
  M* m = p->m.load(std::memory_order_acquire);
  if (m == nullptr) return;
  G* gp = m->curg.load(std::memory_order_acquire);
  if (gp == nullptr) return;
  gp->preempt.store(true, std::memory_order_release);
  if (!g_async_off && m->tid != 0) syscall(SYS_tgkill, g_pid, m->tid, SIGURG);
}

void preempt_g(G* gp) {
  gp->preempt.store(true, std::memory_order_release);
  if (g_async_off) return;
  M* m = gp->m;  // racy: the signal is a hint; the flag is what counts
  if (m == nullptr || m->tid == 0) return;
  if (m->curg.load(std::memory_order_acquire) != gp) return;
  syscall(SYS_tgkill, g_pid, m->tid, SIGURG);
}

bool p_has_work(int pid) {
  if (pid < 0 || pid >= sched_->gomaxprocs.load(std::memory_order_relaxed)) return false;
  return !runqempty(sched_->allp[pid]) || sched_->runqsize.load(std::memory_order_relaxed) > 0;
}

}  // namespace gort::sched

// gort_async_preempt runs on the preempted goroutine's stack, called from
// the trampoline with every register saved.
extern "C" void gort_async_preempt() {
  using namespace gort::sched;
  M* m = acquire_m();
  G* gp = m->curg.load(std::memory_order_relaxed);
  gp->preempt.store(false, std::memory_order_relaxed);
  gp->async_preempted = true;
  reschedule(m, gp, Pending::kPreempt);
}
