// signal.cc — the runtime's signal handlers and per-M alternate stacks.
//
//  SIGURG   asynchronous preemption (preempt.cc).
//  SIGSEGV  / SIGBUS: a fault in a goroutine's guard page is a stack
//           overflow: "goroutine N: stack overflow", exit 2. Any other
//           fault goes to the handler that was installed before ours (a
//           sanitizer's) or the default action.
//  SIGQUIT  prints every goroutine and exits 2, as Go does.
// Handlers run on each M's alternate signal stack (sigaltstack), so that a
// goroutine with no stack left can still be reported. Nothing here
// allocates.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "debug/fatal.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

namespace gort::sched {

void preempt_init();  // preempt.cc

namespace {

constexpr std::size_t kAltStack = 64 * 1024;
struct sigaction old_segv, old_bus, old_quit;
bool installed = false;

void chain(int sig, siginfo_t* info, void* uc, const struct sigaction& old) {
  if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != nullptr) {
    old.sa_sigaction(sig, info, uc);
    return;
  }
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN && old.sa_handler != nullptr) {
    old.sa_handler(sig);
    return;
  }
  // Default action: restore it and return; the fault repeats and kills us.
  signal(sig, SIG_DFL);
}

void fault_handler(int sig, siginfo_t* info, void* uc) {
  auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (G* gp = g_for_fault_address(addr)) report_stack_overflow(gp);
  chain(sig, info, uc, sig == SIGSEGV ? old_segv : old_bus);
}

void quit_handler(int, siginfo_t*, void*) {
  debug::write_stderr("SIGQUIT: quit\n\n");
  dump_all_goroutines(2);
  _exit(2);
}

}  // namespace

G* g_for_fault_address(std::uintptr_t addr) {
  if (sched_ == nullptr) return nullptr;
  M* m = getm();
  if (m != nullptr) {
    G* gp = m->curg.load(std::memory_order_relaxed);
    if (gp != nullptr && stack::in_guard(gp->stk, addr)) return gp;
  }
  // Not the current G (e.g. a fault while switching): search them all.
  for (G* gp = sched_->allgs; gp != nullptr; gp = gp->alllink) {
    if (stack::in_guard(gp->stk, addr)) return gp;
  }
  return nullptr;
}

void report_stack_overflow(G* gp) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "runtime: goroutine %llu stack exceeds its %zu-byte limit\n"
                "fatal error: stack overflow\n\ngoroutine %llu: stack overflow\n",
                static_cast<unsigned long long>(gp->id), gp->stk.size(), static_cast<unsigned long long>(gp->id));
  debug::write_stderr(buf);
  _exit(2);
}

void signals_install() {
  preempt_init();
  if (installed) return;
  installed = true;
  struct sigaction sa = {};
  sa.sa_sigaction = fault_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &old_segv);
  sigaction(SIGBUS, &sa, &old_bus);
  struct sigaction q = {};
  q.sa_sigaction = quit_handler;
  q.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset(&q.sa_mask);
  sigaction(SIGQUIT, &q, &old_quit);
}

void signals_m_init(M* m) {
  (void)m;
  stack_t ss = {};
  ss.ss_sp = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ss.ss_sp == MAP_FAILED) debug::fatal("cannot map an alternate signal stack");
  ss.ss_size = kAltStack;
  stack_t old = {};
  sigaltstack(&ss, &old);
  if (old.ss_sp != nullptr && !(old.ss_flags & SS_DISABLE)) {
    // The thread had one (a sanitizer's): keep it.
    sigaltstack(&old, nullptr);
    munmap(ss.ss_sp, kAltStack);
  }
}

void signals_m_exit(M* m) {
  (void)m;
  stack_t ss = {}, old = {};
  ss.ss_flags = SS_DISABLE;
  if (sigaltstack(&ss, &old) == 0 && old.ss_sp != nullptr && old.ss_size == kAltStack) {
    munmap(old.ss_sp, kAltStack);
  }
}

}  // namespace gort::sched
