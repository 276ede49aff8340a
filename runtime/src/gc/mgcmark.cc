// mgcmark.cc — marking: roots, scanning, draining, background workers,
// mark assists and the checkmark verifier (Go's mgcmark.go + the worker half
// of mgc.go). The cycle that drives all this is in mgc.cc.
//
// Scanning comes in two strengths:
//  * precise: a heap object's words are read only where the heap's pointer
//    bitmap (mem/heapbits.h) says a pointer may live — gort::make'd objects
//    carry their type's layout there; untyped scan allocations have every
//    bit set;
//  * conservative: goroutine stacks, saved registers, closures, root ranges
//    and channel buffers — every word that points into an allocated object
//    (interior pointers too) keeps it.
// One scanning routine (visit_words) serves both, and both the real mark and
// the checkmark verifier, with different visitors.
//
// Stacks are scanned one goroutine at a time, while that goroutine is not
// running: a marker sets gp->gcscan and then re-reads the status (a Dekker
// pair with wait_scan, which the scheduler runs after making a goroutine
// running during mark). A running goroutine is asked to yield (its
// preempt flag and SIGURG) and its job retried later.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "debug/fatal.h"
#include "gort/runtime.h"
#include "debug/knobs.h"
#include "gc/mcheckptr.h"
#include "gc/mgcstate.h"
#include "mem/arena.h"
#include "mem/heapbits.h"
#include "mem/mstats.h"
#include "mem/span.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

namespace gort::gc {

using sched::G;
using sched::GStatus;

// ---- visiting words ------------------------------------------------------------

namespace {

// resolve finds the allocated heap object containing address v.
inline bool resolve(std::uintptr_t v, std::uintptr_t* base, mem::Span** span, std::size_t* idx) {
  mem::Span* s = mem::span_of(reinterpret_cast<const void*>(v));
  if (s == nullptr || s->state.load(std::memory_order_acquire) != mem::SpanState::kInUse) return false;
  if (v < s->base || v >= s->limit) return false;
  const std::size_t i = s->object_index(v);
  if (s->is_free_racy(i)) return false;
  *base = s->object_base(i);
  *span = s;
  *idx = i;
  return true;
}

// load_word reads a word another thread may write (a heap slot, a parked
// goroutine's stack): a relaxed atomic load, invisible to the sanitizers'
// bookkeeping of ordinary accesses.
__attribute__((no_sanitize("address", "thread"))) inline std::uintptr_t load_word(const std::uintptr_t* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}

}  // namespace

// visit_range calls f on every word of [lo, hi) (conservative).
template <class F>
__attribute__((no_sanitize("address", "thread"))) void visit_range(std::uintptr_t lo, std::uintptr_t hi, F&& f) {
  lo = (lo + 7) & ~std::uintptr_t{7};
  for (std::uintptr_t a = lo; a + 8 <= hi; a += 8) {
    const std::uintptr_t v = load_word(reinterpret_cast<const std::uintptr_t*>(a));
    if (v >= 4096) f(v);
  }
}

// visit_slots calls f on the address of every pointer word of the heap
// object at base (from the pointer bitmap, in 512-byte blocks: one bitmap
// word each).
template <class F>
void visit_slots(std::uintptr_t base, const mem::Span* s, F&& f) {
  if (mem::span_class_noscan(s->spc)) return;
  const std::uintptr_t end = base + s->elemsize;
  std::uintptr_t a = base;
  while (a < end) {
    const std::uintptr_t block_end = std::min(end, (a | 511) + 1);
    std::uint64_t bits = mem::read_ptrbits(a);
    const std::size_t nw = (block_end - a) / 8;
    if (nw < 64) bits &= (std::uint64_t{1} << nw) - 1;
    while (bits != 0) {
      const unsigned i = static_cast<unsigned>(__builtin_ctzll(bits));
      bits &= bits - 1;
      f(a + 8 * i);
    }
    a = block_end;
  }
}

// visit_object calls f on every pointer word of the heap object at base.
template <class F>
void visit_object(std::uintptr_t base, const mem::Span* s, F&& f) {
  visit_slots(base, s, [&f](std::uintptr_t slot) {
    const std::uintptr_t v = load_word(reinterpret_cast<const std::uintptr_t*>(slot));
    if (v >= 4096) f(v);
  });
}

// ---- greying ---------------------------------------------------------------------

void grey_ptr(const void* p, Work* w) noexcept {
  std::uintptr_t base;
  mem::Span* s;
  std::size_t idx;
  if (!resolve(reinterpret_cast<std::uintptr_t>(p), &base, &s, &idx)) return;
  if (!s->set_marked(idx)) return;
  w->marked_bytes += s->elemsize;
  if (!mem::span_class_noscan(s->spc)) w->put(base);
}

void grey_object(std::uintptr_t obj, Work* w) noexcept { grey_ptr(reinterpret_cast<const void*>(obj), w); }

namespace {

inline void scan_object(std::uintptr_t obj, Work& w) {
  mem::Span* s = mem::span_of(reinterpret_cast<const void*>(obj));
  if (s == nullptr) return;
  visit_object(obj, s, [&w](std::uintptr_t v) { grey_ptr(reinterpret_cast<const void*>(v), &w); });
  w.scanned_bytes += s->elemsize;
}

}  // namespace

void scan_object_contents(std::uintptr_t obj, Work& w) noexcept { scan_object(obj, w); }

void grey_visitor(std::uintptr_t v, void* ctx) noexcept { grey_ptr(reinterpret_cast<const void*>(v), static_cast<Work*>(ctx)); }

void visit_range_fn(std::uintptr_t lo, std::uintptr_t hi, Visitor v, void* ctx) {
  visit_range(lo, hi, [v, ctx](std::uintptr_t x) { v(x, ctx); });
}

void visit_object_fn(std::uintptr_t obj, Visitor v, void* ctx) {
  mem::Span* s = mem::span_of(reinterpret_cast<const void*>(obj));
  if (s != nullptr) visit_object(obj, s, [v, ctx](std::uintptr_t x) { v(x, ctx); });
}

void visit_object_slots_fn(std::uintptr_t obj, Visitor v, void* ctx) {
  mem::Span* s = mem::span_of(reinterpret_cast<const void*>(obj));
  if (s != nullptr) visit_slots(obj, s, [v, ctx](std::uintptr_t slot) { v(slot, ctx); });
}

void shade_range(const void* p, std::size_t bytes) noexcept {
  if (checkptr_on()) checkptr_copied(p, bytes);
  if (!marking()) return;
  const auto lo = reinterpret_cast<std::uintptr_t>(p);
  sched::NoPreempt np;
  const int pid = sched::current_p_id();
  if (pid >= 0) {
    Work& w = g_state.p[pid].work;
    visit_range(lo, lo + bytes, [&w](std::uintptr_t v) { grey_ptr(reinterpret_cast<const void*>(v), &w); });
    return;
  }
  sched::LockGuard g(g_state.fallback_lock);
  Work& w = g_state.fallback_work;
  visit_range(lo, lo + bytes, [&w](std::uintptr_t v) { grey_ptr(reinterpret_cast<const void*>(v), &w); });
}

// ---- stacks ----------------------------------------------------------------------

namespace {

// Callee-saved registers, spilled so a conservative scan of the current
// stack sees them.
struct Regs {
  std::uintptr_t r[6];
};

__attribute__((noinline)) void spill_regs(Regs* out) {
#if defined(__x86_64__)
  asm volatile(
      "movq %%rbx, 0(%0)\n\t"
      "movq %%rbp, 8(%0)\n\t"
      "movq %%r12, 16(%0)\n\t"
      "movq %%r13, 24(%0)\n\t"
      "movq %%r14, 32(%0)\n\t"
      "movq %%r15, 40(%0)\n\t" ::"r"(out)
      : "memory");
#else
  __builtin_unwind_init();
  std::memset(out, 0, sizeof(*out));
#endif
}

// visit_g_extras visits a goroutine's closure storage and its out-of-line
// closure (if any).
template <class F>
void visit_g_extras(G* gp, F&& f) {
  const auto c = reinterpret_cast<std::uintptr_t>(gp->closure);
  visit_range(c, c + sizeof(gp->closure), f);
  const auto arg = reinterpret_cast<std::uintptr_t>(gp->entry.arg);
  if (arg != 0 && gp->entry.arg_size != 0) visit_range(arg, arg + gp->entry.arg_size, f);
  if (arg != 0) f(arg);
}

// visit_self_stack visits the calling goroutine's own stack and registers.
template <class F>
__attribute__((noinline)) void visit_self_stack(G* gp, F&& f) {
  Regs regs;
  spill_regs(&regs);
  const auto r = reinterpret_cast<std::uintptr_t>(&regs);
  visit_range(r, r + sizeof(regs), f);
  const auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  visit_range(sp, gp->stk.hi, f);
  visit_g_extras(gp, f);
}

// visit_stopped_stack visits a goroutine that is not running (runnable,
// waiting, in a syscall, or never started). REQUIRES: gp->gcscan held, or
// the world stopped.
template <class F>
void visit_stopped_stack(G* gp, GStatus st, F&& f) {
  if (st == GStatus::kSyscall) {
    const auto r = reinterpret_cast<std::uintptr_t>(gp->syscall_regs);
    visit_range(r, r + sizeof(gp->syscall_regs), f);
    if (gp->syscall_sp != nullptr) visit_range(reinterpret_cast<std::uintptr_t>(gp->syscall_sp), gp->stk.hi, f);
  } else if (void* sp = __atomic_load_n(&gp->sp, __ATOMIC_ACQUIRE); sp != nullptr && gp->stk.valid()) {
    // (acquire: a never-run G gets its stack, then sp, in prepare_to_run)
    visit_range(reinterpret_cast<std::uintptr_t>(sp), gp->stk.hi, f);
  }
  visit_g_extras(gp, f);
}

// A stack job is done exactly once per cycle, by whoever first claims the
// goroutine's gc_scan_cycle: a marker that finds it stopped, or the
// goroutine itself at its next switch (self_scan_if_pending) after a marker
// found it running and asked it to yield. Finishing the job of a goroutine
// in the mark's snapshot (gc_snap_cycle) counts one root done; goroutines
// created during the mark start claimed (black).
bool claim_stack(G* gp, std::uint64_t cycle) {
  std::uint64_t old = gp->gc_scan_cycle.load(std::memory_order_acquire);
  while (old < cycle) {
    if (gp->gc_scan_cycle.compare_exchange_weak(old, cycle, std::memory_order_acq_rel)) return true;
  }
  return false;
}

void stack_job_done(G* gp, std::uint64_t cycle) {
  if (gp->gc_snap_cycle == cycle) g_state.roots_done.fetch_add(1, std::memory_order_acq_rel);
}

std::uint64_t current_cycle() { return g_state.cycles.load(std::memory_order_relaxed) + 1; }

template <class F>
auto recording(Work& w, F&&) {
  std::vector<std::uintptr_t>* record = g_state.checkmark_roots;
  return [&w, record](std::uintptr_t v) {
    if (record != nullptr) {
      sched::LockGuard g(g_state.checkmark_lock);
      record->push_back(v);
    }
    grey_ptr(reinterpret_cast<const void*>(v), &w);
  };
}

enum class ScanResult { kDone, kRunning };

// try_scan_stack does gp's stack job unless gp is running (then it asks gp
// to yield: gp scans itself when it switches out, or a retry finds it
// stopped).
ScanResult try_scan_stack(G* gp, Work& w) {
  const std::uint64_t cycle = current_cycle();
  if (gp->gc_scan_cycle.load(std::memory_order_acquire) >= cycle) return ScanResult::kDone;
  auto grey = recording(w, 0);
  if (gp->gc_noscan) {
    // A runtime goroutine with no heap pointers of its own: scanning it
    // would only find stale words its marking left behind.
    if (claim_stack(gp, cycle)) stack_job_done(gp, cycle);
    return ScanResult::kDone;
  }
  if (gp == sched::getg()) {
    if (claim_stack(gp, cycle)) {
      visit_self_stack(gp, grey);
      stack_job_done(gp, cycle);
    }
    return ScanResult::kDone;
  }
  // Not preemptible while holding gcscan: gp's M may be spinning in
  // wait_scan for us, and a stop-the-world would wait for that M forever.
  sched::NoPreempt np;
  gp->gcscan.store(1, std::memory_order_seq_cst);
  const GStatus st = gp->status.load(std::memory_order_seq_cst);
  if (st == GStatus::kRunning) {
    gp->gcscan.store(0, std::memory_order_release);
    sched::preempt_g(gp);
    return ScanResult::kRunning;
  }
  if (claim_stack(gp, cycle)) {
    if (st != GStatus::kIdle && st != GStatus::kDead) {
      visit_stopped_stack(gp, st, grey);
      const void* lo = st == GStatus::kSyscall ? gp->syscall_sp : gp->sp;
      if (lo != nullptr && gp->stk.valid())
        g_state.stack_scanned.fetch_add(gp->stk.hi - reinterpret_cast<std::uintptr_t>(lo), std::memory_order_relaxed);
    }
    stack_job_done(gp, cycle);
  }
  gp->gcscan.store(0, std::memory_order_release);
  return ScanResult::kDone;
}

void defer_stack(G* gp) {
  sched::LockGuard g(g_state.retry_lock);
  g_state.retry.push_back(gp);
}

}  // namespace

void wait_scan(G* gp) noexcept {
  // The status store that made gp running precedes this load (seq_cst
  // fence): a marker that saw gp not running holds gcscan until done.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  while (gp->gcscan.load(std::memory_order_acquire) != 0) sched::cpu_relax();
}

void self_scan_if_pending(G* gp) noexcept {
  const std::uint64_t cycle = current_cycle();
  if (gp->gc_scan_cycle.load(std::memory_order_acquire) >= cycle) return;
  if (!claim_stack(gp, cycle)) return;
  if (gp->gc_noscan) {
    stack_job_done(gp, cycle);
    maybe_signal_done();
    return;
  }
  const int pid = sched::current_p_id();
  Work& w = pid >= 0 ? g_state.p[pid].work : g_state.fallback_work;
  if (pid < 0) g_state.fallback_lock.lock();
  visit_self_stack(gp, recording(w, 0));
  if (pid < 0) g_state.fallback_lock.unlock();
  stack_job_done(gp, cycle);
  maybe_signal_done();
}

bool retry_deferred_stacks(Work& w) {
  std::vector<G*> todo;
  {
    sched::LockGuard g(g_state.retry_lock);
    todo.swap(g_state.retry);
  }
  bool progress = false;
  for (G* gp : todo) {
    if (try_scan_stack(gp, w) == ScanResult::kRunning) {
      defer_stack(gp);
    } else {
      progress = true;
    }
  }
  return progress;
}

void on_go_created(G* gp) noexcept {
  const std::uint64_t cycle = current_cycle();
  // A goroutine from the snapshot that died and is reused now: its job is
  // done (nothing of the old stack is live).
  if (claim_stack(gp, cycle)) stack_job_done(gp, cycle);
  gp->gc_scan_cycle.store(cycle, std::memory_order_release);
  // Its closure was copied from a possibly unscanned stack: shade it.
  shade_range(gp->closure, sizeof(gp->closure));
  if (gp->entry.arg != nullptr) {
    if (gp->entry.arg_size != 0) shade_range(gp->entry.arg, gp->entry.arg_size);
    const void* arg = gp->entry.arg;
    shade_range(&arg, sizeof(arg));
  }
}

// ---- roots -----------------------------------------------------------------------

bool mark_root(std::uint32_t i, Work& w) {
  // Fixed jobs are counted done here; stack jobs by whoever finishes them.
  switch (i) {
    case kRootHandles:
      scan_root_handles(&grey_visitor, &w);
      break;
    case kRootFinalizers:
      scan_finalizer_roots(&grey_visitor, &w);
      break;
    case kRootChannels:
      scan_channel_buffers(&grey_visitor, &w);
      break;
    default: {
      G* gp = g_state.stack_jobs[i - kFixedRoots];
      if (try_scan_stack(gp, w) == ScanResult::kRunning) defer_stack(gp);
      return true;
    }
  }
  g_state.roots_done.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

namespace {

// do_one_root claims the next root job; false when none is left unclaimed.
bool do_one_root(Work& w) {
  const std::uint32_t i = g_state.next_root.fetch_add(1, std::memory_order_acq_rel);
  if (i >= g_state.nroots) return false;
  mark_root(i, w);
  return true;
}

}  // namespace

bool mark_work_available() noexcept {
  if (g_state.next_root.load(std::memory_order_relaxed) < g_state.nroots) return true;
  return !g_work.empty_hint();
}

void maybe_signal_done() noexcept {
  if (g_state.phase.load(std::memory_order_acquire) != GcPhase::kMark) return;
  if (g_state.roots_done.load(std::memory_order_acquire) < g_state.nroots) return;
  if (g_state.active_markers.load(std::memory_order_acquire) != 0) return;
  if (!g_work.empty_hint()) return;
  if (!g_state.done_signalled.exchange(true, std::memory_order_seq_cst)) wake_controller();
}

std::uint64_t drain(Work& w, bool (*should_stop)(void*), void* arg, bool do_roots) {
  g_state.active_markers.fetch_add(1, std::memory_order_acq_rel);
  const std::uint64_t scanned0 = w.scanned_bytes;
  int n = 0;
  bool retried = false;
  // A small FIFO between popping an object and scanning it: the object is
  // prefetched when it enters, so its cache miss overlaps the scans of the
  // ones ahead of it (marking is bound by those misses).
  constexpr int kRing = 8;
  std::uintptr_t ring[kRing];
  int head = 0, count = 0;
  for (;;) {
    if ((++n & 31) == 0 && should_stop != nullptr && should_stop(arg)) {
      // Grey objects still in the ring go back to the queue.
      for (; count > 0; count--, head = (head + 1) % kRing) w.put(ring[head]);
      break;
    }
    std::uintptr_t obj;
    if (w.tryget(&obj)) {
      __builtin_prefetch(reinterpret_cast<const void*>(obj));
      if (count < kRing) {
        ring[(head + count++) % kRing] = obj;
        continue;
      }
      const std::uintptr_t next = ring[head];
      ring[head] = obj;
      head = (head + 1) % kRing;
      scan_object(next, w);
      continue;
    }
    if (count > 0) {
      scan_object(ring[head], w);
      head = (head + 1) % kRing;
      count--;
      continue;
    }
    if (do_roots && do_one_root(w)) continue;
    // Last: stacks whose goroutines were running when their job came up.
    if (do_roots && !retried && retry_deferred_stacks(w)) {
      retried = true;
      continue;
    }
    break;
  }
  const std::uint64_t scanned = w.scanned_bytes - scanned0;
  g_state.scan_done.fetch_add(scanned, std::memory_order_relaxed);
  g_state.marked_bytes.fetch_add(w.marked_bytes, std::memory_order_relaxed);
  w.marked_bytes = 0;
  // Publish what is left before declaring this marker inactive.
  w.dispose();
  g_state.active_markers.fetch_sub(1, std::memory_order_acq_rel);
  return scanned;
}

void flush_all_ps() {
  const int procs = sched::max_procs();
  for (int i = 0; i < procs; i++) {
    PState& ps = g_state.p[i];
    wb_flush(ps, ps.work);
    g_state.marked_bytes.fetch_add(ps.work.marked_bytes, std::memory_order_relaxed);
    ps.work.marked_bytes = 0;
    ps.work.dispose();
  }
  sched::LockGuard g(g_state.fallback_lock);
  g_state.marked_bytes.fetch_add(g_state.fallback_work.marked_bytes, std::memory_order_relaxed);
  g_state.fallback_work.marked_bytes = 0;
  g_state.fallback_work.dispose();
}

// ---- background workers ----------------------------------------------------------

namespace {

bool worker_should_stop(void* arg) {
  auto* wk = static_cast<Worker*>(arg);
  G* gp = wk->g;
  if (gp->preempt.load(std::memory_order_relaxed)) return true;
  if (g_state.phase.load(std::memory_order_relaxed) != GcPhase::kMark) return true;
  switch (wk->mode) {
    case WorkerMode::kDedicated:
      return false;
    case WorkerMode::kFractional: {
      const std::int64_t now = sched::nanotime_raw();
      PState& ps = g_state.p[wk->pid];
      const std::int64_t ran = ps.fractional_ns + (now - wk->start_ns);
      const std::int64_t elapsed = now - g_state.mark_start_ns;
      return elapsed > 0 && static_cast<double>(ran) > g_state.fractional_goal * static_cast<double>(elapsed);
    }
    case WorkerMode::kIdle:
      return sched::p_has_work(wk->pid);
    case WorkerMode::kNone:
      return true;
  }
  return true;
}

bool park_worker(G* gp, void* arg) {
  auto* wk = static_cast<Worker*>(arg);
  (void)gp;
  sched::LockGuard g(g_state.pool_lock);
  wk->next = g_state.pool;
  g_state.pool = wk;
  return true;
}

}  // namespace

void worker_loop(Worker* wk) {
  wk->g = sched::getg();
  wk->g->gc_is_worker = true;
  wk->g->gc_noscan = true;
  for (;;) {
    sched::gopark(&park_worker, wk, sched::WaitReason::kGCWorkerIdle);
    // Picked by find_worker. (Workers never exit: a cycle in progress when
    // the program ends must still finish; parked ones are discarded with
    // the runtime.): mode, pid and start_ns are set.
    wk->g->preempt.store(false, std::memory_order_relaxed);
    {
      // The P's private grey objects first: this worker runs on that P.
      sched::NoPreempt np;
      const int pid = sched::current_p_id();
      if (pid >= 0) {
        PState& ps = g_state.p[pid];
        wb_flush(ps, ps.work);
        g_state.marked_bytes.fetch_add(ps.work.marked_bytes, std::memory_order_relaxed);
        ps.work.marked_bytes = 0;
        ps.work.dispose();
      }
    }
    const std::uint64_t scanned = drain(wk->work, &worker_should_stop, wk, true);
    g_state.assist_credit.fetch_add(static_cast<std::int64_t>(scanned), std::memory_order_relaxed);
    const std::int64_t ran = sched::nanotime_raw() - wk->start_ns;
    switch (wk->mode) {
      case WorkerMode::kDedicated:
        g_state.dedicated_ns.fetch_add(ran, std::memory_order_relaxed);
        note_gc_cpu(ran);
        g_state.dedicated_running.fetch_sub(1, std::memory_order_acq_rel);
        break;
      case WorkerMode::kFractional:
        g_state.fractional_ns.fetch_add(ran, std::memory_order_relaxed);
        note_gc_cpu(ran);
        g_state.p[wk->pid].fractional_ns += ran;
        g_state.p[wk->pid].frac_start.store(0, std::memory_order_relaxed);
        break;
      case WorkerMode::kIdle:
        g_state.idle_ns.fetch_add(ran, std::memory_order_relaxed);
        note_idle_mark(ran);
        break;
      case WorkerMode::kNone:
        break;
    }
    wk->mode = WorkerMode::kNone;
    maybe_signal_done();
  }
}

G* find_worker(sched::P* p, bool idle) noexcept {
  if (!g_state.blacken.load(std::memory_order_acquire)) return nullptr;
  if (!mark_work_available() && g_state.p[p->id].work.empty() && g_state.p[p->id].wbn == 0) return nullptr;
  WorkerMode mode = WorkerMode::kNone;
  const std::int64_t now = sched::nanotime_raw();
  int d = g_state.dedicated_running.load(std::memory_order_relaxed);
  while (d < g_state.dedicated_needed) {
    if (g_state.dedicated_running.compare_exchange_weak(d, d + 1, std::memory_order_acq_rel)) {
      mode = WorkerMode::kDedicated;
      break;
    }
  }
  if (mode == WorkerMode::kNone && g_state.fractional_goal > 0) {
    PState& ps = g_state.p[p->id];
    const std::int64_t elapsed = now - g_state.mark_start_ns;
    if (ps.frac_start.load(std::memory_order_relaxed) == 0 && elapsed > 0 &&
        static_cast<double>(ps.fractional_ns) < g_state.fractional_goal * static_cast<double>(elapsed)) {
      mode = WorkerMode::kFractional;
    }
  }
  if (mode == WorkerMode::kNone && idle && !g_state.limiter.limiting()) mode = WorkerMode::kIdle;
  if (mode == WorkerMode::kNone) return nullptr;
  Worker* wk;
  {
    sched::LockGuard g(g_state.pool_lock);
    wk = g_state.pool;
    if (wk != nullptr) g_state.pool = wk->next;
  }
  if (wk == nullptr) {
    if (mode == WorkerMode::kDedicated) g_state.dedicated_running.fetch_sub(1, std::memory_order_acq_rel);
    return nullptr;
  }
  wk->mode = mode;
  wk->pid = p->id;
  wk->start_ns = now;
  if (mode == WorkerMode::kFractional) g_state.p[p->id].frac_start.store(now, std::memory_order_relaxed);
  sched::cas_status(wk->g, GStatus::kWaiting, GStatus::kRunnable);
  return wk->g;
}

void start_workers(int procs) {
  while (true) {
    {
      sched::LockGuard g(g_state.pool_lock);
      if (g_state.nworkers >= procs) return;
      g_state.nworkers++;
    }
    auto* wk = new Worker();
    register_worker(wk);
    sched::newproc_system({[](void* a) { worker_loop(static_cast<Worker*>(a)); }, nullptr, wk});
    // Let it reach its first park before the cycle starts counting on it.
    while (true) {
      {
        sched::LockGuard g(g_state.pool_lock);
        bool found = false;
        for (Worker* x = g_state.pool; x != nullptr; x = x->next) found |= x == wk;
        if (found) break;
      }
      gort::gosched();
    }
  }
}

// ---- assists ---------------------------------------------------------------------

namespace {

struct AssistBudget {
  std::int64_t remaining;  // scan bytes still owed
  std::uint64_t start_scanned;
  Work* w;
};

bool assist_should_stop(void* arg) {
  auto* b = static_cast<AssistBudget*>(arg);
  // The CPU limiter engaged meanwhile: the rest of the debt is forgiven.
  if (g_state.limiter.limiting()) return true;
  return static_cast<std::int64_t>(b->w->scanned_bytes - b->start_scanned) >= b->remaining;
}

}  // namespace

void assist_if_owed() {
  if (!g_state.blacken.load(std::memory_order_acquire) &&
      g_state.phase.load(std::memory_order_acquire) == GcPhase::kOff) {
    if (g_state.requested.load(std::memory_order_acquire)) wait_for_cycle_start();
    return;
  }
  G* gp = sched::getg();
  if (gp == nullptr || gp->gc_assist_bytes >= 0) return;
  if (!g_state.blacken.load(std::memory_order_acquire) || g_state.limiter.limiting()) {
    gp->gc_assist_bytes = 0;
    return;
  }
  if (gp->gc_is_worker) return;
  const std::int64_t t0 = sched::nanotime_raw();
  // Owed scan work for the bytes allocated, at the pacer's current ratio.
  const std::int64_t hl = mem::g_counters.heap_live.load(std::memory_order_relaxed);
  const double ratio = g_state.pacer.revise(hl > 0 ? static_cast<std::uint64_t>(hl) : 0,
                                            g_state.scan_done.load(std::memory_order_relaxed), g_state.scan_expected);
  g_state.assist_ratio.store(ratio, std::memory_order_relaxed);
  std::int64_t owed = static_cast<std::int64_t>(static_cast<double>(-gp->gc_assist_bytes) * ratio);
  // Steal background credit first.
  std::int64_t credit = g_state.assist_credit.load(std::memory_order_relaxed);
  while (credit > 0 && owed > 0) {
    const std::int64_t take = std::min(credit, owed);
    if (g_state.assist_credit.compare_exchange_weak(credit, credit - take, std::memory_order_relaxed)) {
      owed -= take;
      break;
    }
  }
  std::int64_t yielded = 0;
  if (owed > 0) {
    Work w;
    AssistBudget b{owed, 0, &w};
    const std::uint64_t scanned = drain(w, &assist_should_stop, &b, false);
    owed -= static_cast<std::int64_t>(scanned);
    // Out of grey objects with debt left: wait for the background workers
    // to earn credit (or the mark to end), yielding the P meanwhile — Go's
    // assist queue. The wait is bounded (2 ms per allocation that owes), so
    // a marker that cannot run soon cannot stall the program; what is left
    // then is forgiven, as it is when the CPU limiter engages.
    const std::int64_t wait_until = t0 + 2'000'000;
    while (owed > 0 && g_state.blacken.load(std::memory_order_acquire) && !g_state.limiter.limiting() &&
           sched::nanotime_raw() < wait_until) {
      // The time given away here is other goroutines' (workers' included,
      // which count their own): not assist CPU.
      const std::int64_t y0 = sched::nanotime_raw();
      gort::gosched();
      yielded += sched::nanotime_raw() - y0;
      std::int64_t c = g_state.assist_credit.load(std::memory_order_relaxed);
      const std::int64_t take = std::min(c, owed);
      if (take > 0 && g_state.assist_credit.compare_exchange_strong(c, c - take, std::memory_order_relaxed))
        owed -= take;
      if (owed > 0 && !g_work.empty_hint()) {
        Work w2;
        AssistBudget b2{owed, 0, &w2};
        owed -= static_cast<std::int64_t>(drain(w2, &assist_should_stop, &b2, false));
      }
    }
  }
  // Debt left now is forgiven: the mark ended, or the limiter caps GC CPU.
  gp->gc_assist_bytes = 0;
  const std::int64_t assisted = std::max<std::int64_t>(sched::nanotime_raw() - t0 - yielded, 0);
  g_state.assist_ns.fetch_add(static_cast<std::uint64_t>(assisted), std::memory_order_relaxed);
  note_gc_cpu(assisted);
  maybe_signal_done();
}

// ---- checkmark --------------------------------------------------------------------

namespace {

struct CheckMarker {
  std::unordered_set<std::uintptr_t> seen;
  std::vector<std::uintptr_t> stack;
  const char* root_kind = "";
  std::size_t checked = 0;
  std::uintptr_t parent = 0;  // object being scanned (0: a root)

  void visit(std::uintptr_t v) {
    std::uintptr_t base;
    mem::Span* s;
    std::size_t idx;
    if (!resolve(v, &base, &s, &idx)) return;
    if (!seen.insert(base).second) return;
    checked++;
    if (!s->is_marked(idx)) {
      debug::fatalf(
          "gccheckmark: object 0x%lx (%zu bytes, span class %d) is reachable (from %s; through object 0x%lx) "
          "but was not marked by the concurrent mark",
          static_cast<unsigned long>(base), s->elemsize, static_cast<int>(s->spc), root_kind,
          static_cast<unsigned long>(parent));
    }
    stack.push_back(base);
  }
  void drain_all() {
    while (!stack.empty()) {
      const std::uintptr_t obj = stack.back();
      stack.pop_back();
      mem::Span* s = mem::span_of(reinterpret_cast<const void*>(obj));
      parent = obj;
      visit_object(obj, s, [this](std::uintptr_t v) { visit(v); });
      parent = 0;
    }
  }
};

}  // namespace

void run_checkmark() {
  CheckMarker cm;
  // Stacks: every goroutine in the mark's snapshot must have been scanned,
  // and what those scans found are the roots. (A stack is not re-read
  // here: a conservative scan cannot tell a slot written after the scan —
  // safe by the barrier argument, or an integer that looks like a pointer —
  // from a root the mark missed.)
  const std::uint64_t cycle = g_state.cycles.load(std::memory_order_relaxed) + 1;
  for (std::uint32_t i = 0; i < g_state.nstack_jobs; i++) {
    G* gp = g_state.stack_jobs[i];
    if (gp->status.load(std::memory_order_acquire) != GStatus::kDead &&
        gp->gc_scan_cycle.load(std::memory_order_acquire) < cycle) {
      debug::fatalf("gccheckmark: goroutine %llu (%s) was alive when the mark began but its stack was not scanned",
                    static_cast<unsigned long long>(gp->id),
                    sched::to_string(gp->status.load(std::memory_order_acquire)));
    }
  }
  cm.root_kind = "a value a stack scan found";
  if (g_state.checkmark_roots != nullptr) {
    for (std::uintptr_t v : *g_state.checkmark_roots) {
      cm.visit(v);
      cm.drain_all();
    }
  }
  auto visit = [](std::uintptr_t v, void* ctx) { static_cast<CheckMarker*>(ctx)->visit(v); };
  cm.root_kind = "a gc::root handle or registered range";
  scan_root_handles(visit, &cm);
  cm.drain_all();
  cm.root_kind = "an object with a finalizer, or the finalizer queue";
  scan_finalizer_roots(visit, &cm);
  cm.drain_all();
  cm.root_kind = "a channel buffer";
  scan_channel_buffers(visit, &cm);
  cm.drain_all();
  (void)cm.checked;
}

}  // namespace gort::gc
