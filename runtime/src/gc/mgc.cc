// mgc.cc — the garbage collector: a concurrent, non-moving, tri-colour
// mark-and-sweep collector with Go's hybrid write barrier (Go's mgc.go).
//
// ## What it owns
// The cycle: when to start one (the pacer's trigger), its four phases, the
// two stop-the-world pauses and their timing, the background sweeper and
// finalizer goroutines, runtime.GC (collect), GOGC / GOMEMLIMIT at run time
// and gctrace. Marking itself is in mgcmark.cc, the barrier in mbarrier.cc,
// the pacer and the CPU limiter in mgcpacer.cc / mgclimit.cc, statistics in
// mstats.cc. The heap (spans, mark bits, the pointer bitmap, sweeping a
// span) is mem/'s.
//
// ## A cycle (run by the controller goroutine)
//  0. Finish sweeping the previous cycle (concurrently, on the controller).
//  1. Sweep termination — world stopped: the pacer plans the cycle (goal,
//     25% of GOMAXPROCS as dedicated + fractional workers, assist ratio);
//     the goroutines alive now are snapshotted as stack-root jobs; the
//     barrier is switched on and new objects are born marked ("black").
//  2. Concurrent mark — world running: background workers (goroutines the
//     scheduler runs in place of user goroutines: dedicated, fractional, or
//     on Ps that would idle) claim root jobs (root handles and ranges,
//     finalizer referents, channel buffers, then each goroutine's stack,
//     scanned while that goroutine is stopped) and drain grey objects;
//     allocating goroutines pay assist debt by marking. Goroutines created
//     now start black (their closures are shaded).
//  3. Mark termination — world stopped: every P's barrier buffer and grey
//     objects are flushed; if that produced work the world restarts and
//     mark goes on (so the pause never includes unbounded marking); else
//     the barrier goes off, unreachable objects with finalizers are
//     resurrected and queued, GODEBUG=gccheckmark=1 verifies the mark, the
//     pacer sets the next goal and trigger, and a sweep cycle begins.
//  4. Concurrent sweep — world running: the background sweeper, plus
//     allocation (each span allocated sweeps a little first), turn unmarked
//     objects into free slots.
//
// ## Invariants
//  * Strong tri-colour invariant on the heap during mark, with stacks as
//    grey until scanned, then black (hybrid barrier: see mbarrier.cc).
//  * Mark bits are clear on every span when a mark begins (a sweep clears
//    them; a mark is never abandoned halfway: shutdown waits for it).
//  * g_wb_enabled, g_allocate_black, g_marking and phase change only with
//    the world stopped.
//
// ## Locks (all leaves unless said): work list (mgcwork), pool_lock,
// wait_lock, roots lock and channels lock (mbarrier; channels lock before a
// channel's lock), finalizer lock. None is held across a park or a
// stop-the-world.
#include "gc/mgc.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "debug/fatal.h"
#include "debug/knobs.h"
#include "gc/mcheckptr.h"
#include "gc/mgcstate.h"
#include "gort/time.h"
#include "gort/mem.h"
#include "gort/runtime.h"
#include "mem/malloc.h"
#include "mem/mstats.h"
#include "mem/scavenger.h"
#include "mem/span.h"
#include "mem/sweep.h"
#include "sched/proc.h"
#include "sched/runtime2.h"
#include "sched/timer.h"
#include "stack/stack.h"

namespace gort::gc {

State g_state;
std::atomic<bool> g_marking{false};
namespace detail {
std::atomic<bool> g_assist_pending{false};
}

namespace {

Parker g_sweep;

// The controller's wait for the end of mark: parked, woken by the marker
// that runs out of work (maybe_signal_done) or by a timer (a safety net for
// work that appears with no marker running, e.g. a deferred stack whose
// goroutine went into a long syscall).
std::atomic<sched::G*> g_ctl_parked{nullptr};
sched::Timer g_ctl_timer;

bool park_controller(sched::G* gp, void*) {
  g_ctl_parked.store(gp, std::memory_order_seq_cst);
  if (g_state.done_signalled.load(std::memory_order_seq_cst)) {
    // Signalled meanwhile: stay awake, unless a waker already took us (it
    // will ready us).
    return g_ctl_parked.exchange(nullptr, std::memory_order_seq_cst) == nullptr;
  }
  return true;
}

void wait_for_mark_signal(std::int64_t timeout_ns) {
  g_ctl_timer.f = [](void*, std::int64_t) { wake_controller(); };
  if (!sched::timer_reset(&g_ctl_timer, sched::nanotime_raw() + timeout_ns)) {
  }
  sched::gopark(&park_controller, nullptr, sched::WaitReason::kGCWorkerIdle);
  sched::timer_stop(&g_ctl_timer);
}
std::atomic<bool> g_sweep_pending{false};
std::vector<Worker*>* g_all_workers = new std::vector<Worker*>();  // every Worker ever made (freed at init)
std::vector<sched::G*> g_stack_snapshot;

std::uint64_t heap_live_now() {
  const std::int64_t v = mem::g_counters.heap_live.load(std::memory_order_relaxed);
  return v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

std::uint64_t non_heap_memory() {
  return mem::g_counters.metadata_bytes.load(std::memory_order_relaxed) + stack::bytes_in_use();
}

// limit_overhead is what the memory limit must leave besides heap
// objects, for the pacer's limit goal: memory outside the heap, plus the
// heap's fragmentation — bytes of in-use spans that hold no object and that
// heap_live does not count (free slots of spans no mcache holds). Call it
// swept (sweep termination): unswept garbage counts in heap_live.
// Without the fragmentation term, 8 MiB of live chunks scattered over the
// heap kept 4-5 MiB more pages in use than the goal allowed, past a 32 MiB
// limit (memlimit_test). Free pages are the scavenger's (update_scavenger_limit).
std::uint64_t limit_overhead() {
  const mem::Stats st = mem::read_stats();
  const std::uint64_t live = st.heap_live > 0 ? static_cast<std::uint64_t>(st.heap_live) : 0;
  return non_heap_memory() + (st.heap_in_use > live ? st.heap_in_use - live : 0);
}

void request_cycle(bool forced) {
  if (!g_state.running || g_state.shutting_down.load(std::memory_order_acquire)) return;
  if (forced) g_state.forced_requests.fetch_add(1, std::memory_order_acq_rel);
  // The heap reached the trigger: allocating goroutines look in at
  // assist_if_owed, which yields to the controller (wait_for_cycle_start).
  if (!forced) detail::g_assist_pending.store(true, std::memory_order_release);
  bool f = false;
  if (g_state.requested.compare_exchange_strong(f, true, std::memory_order_acq_rel)) {
    g_state.req.wake();
  }
}

std::int64_t now_ns() { return sched::nanotime_raw(); }

void set_mark_flags(bool on) {
  g_state.phase.store(on ? GcPhase::kMark : GcPhase::kMarkTerm, std::memory_order_release);
  detail::g_wb_enabled.store(on || checkptr_on(), std::memory_order_release);
  mem::g_allocate_black.store(on, std::memory_order_release);
  g_marking.store(on, std::memory_order_release);
  g_state.blacken.store(on, std::memory_order_release);
  detail::g_assist_pending.store(on, std::memory_order_release);
}

// gctrace prints Go's gctrace line for a finished cycle.
void print_gctrace(const CycleRecord& r, std::uint64_t stw1, std::uint64_t mark_wall, std::uint64_t stw2,
                   std::uint64_t assist, std::uint64_t background, std::uint64_t idle) {
  const double since = static_cast<double>(r.start_ns - g_state.runtime_start_ns) / 1e9;
  const std::int64_t wall = r.end_ns - g_state.runtime_start_ns;
  const int pct = wall > 0 ? static_cast<int>(100.0 * static_cast<double>(g_state.total_gc_cpu_ns.load()) /
                                              (static_cast<double>(wall) * r.procs))
                           : 0;
  const double ms = 1e6;
  const std::uint64_t mb = 1 << 20;
  char line[512];
  const int n = std::snprintf(
      line, sizeof line,
      "gc %llu @%.3fs %d%%: %.3f+%.3f+%.3f ms clock, %.3f+%.3f/%.3f/%.3f+%.3f ms cpu, %llu->%llu->%llu MB, %llu MB "
      "goal, %llu MB stacks, %llu MB globals, %d P%s\n",
      static_cast<unsigned long long>(r.cycle), since, pct, stw1 / ms, mark_wall / ms, stw2 / ms,
      stw1 * r.procs / ms, assist / ms, background / ms, idle / ms, stw2 * r.procs / ms,
      static_cast<unsigned long long>(r.heap_trigger / mb), static_cast<unsigned long long>(r.heap_at_mark_term / mb),
      static_cast<unsigned long long>(r.heap_marked / mb), static_cast<unsigned long long>(r.heap_goal / mb),
      static_cast<unsigned long long>(g_state.stack_scanned.load() / mb),
      static_cast<unsigned long long>(globals_bytes() / mb), r.procs, r.forced ? " (forced)" : "");
  if (n > 0) {
    ssize_t w = ::write(2, line, static_cast<std::size_t>(n));
    (void)w;
  }
}

bool mark_complete() {
  return g_state.roots_done.load(std::memory_order_acquire) >= g_state.nroots &&
         g_state.active_markers.load(std::memory_order_acquire) == 0 && g_work.empty_hint();
}

// run_cycle runs one whole collection on the controller goroutine.
}  // namespace

void Parker::wait(sched::WaitReason reason) { sched::gopark(&Parker::park, this, reason); }

bool Parker::park(sched::G* gp, void* self) {
  auto* p = static_cast<Parker*>(self);
  p->g_.store(gp, std::memory_order_seq_cst);
  if (p->pending_.exchange(false, std::memory_order_seq_cst)) {
    // Woken before we parked: stay awake, unless the waker already took us
    // (then it readies us).
    return p->g_.exchange(nullptr, std::memory_order_seq_cst) == nullptr;
  }
  return true;
}

void Parker::wake() noexcept {
  pending_.store(true, std::memory_order_seq_cst);
  if (sched::G* gp = g_.exchange(nullptr, std::memory_order_seq_cst)) {
    pending_.store(false, std::memory_order_relaxed);
    sched::goready(gp);
  }
}

void wake_controller() noexcept {
  if (sched::G* gp = g_ctl_parked.exchange(nullptr, std::memory_order_seq_cst)) sched::goready(gp);
}

namespace {

void run_cycle(bool forced) {
  const debug::Knobs& k = debug::knobs();
  // 0. Finish the previous sweep.
  while (mem::sweep_one()) {
  }
  // The trigger was seen while unswept garbage still counted in heap_live;
  // swept, the heap may be well under it (back-to-back cycles under a
  // memory limit started cycles at 8 MiB with an 18 MiB goal that way).
  if (!forced && heap_live_now() < g_state.pacer.trigger()) {
    detail::g_assist_pending.store(false, std::memory_order_release);
    return;
  }
  const int procs0 = sched::max_procs();
  start_workers(procs0);

  // 1. Sweep termination.
  const std::int64_t t0 = now_ns();
  sched::stop_the_world("GC sweep termination");
  const int procs = sched::max_procs();
  const std::uint64_t heap0 = heap_live_now();
  const std::uint64_t overhead = limit_overhead();
  const Pacer::CyclePlan plan = g_state.pacer.start_cycle(t0, heap0, procs, overhead);
  g_state.dedicated_needed = plan.dedicated_workers;
  g_state.dedicated_running.store(0, std::memory_order_relaxed);
  g_state.fractional_goal = plan.fractional_goal;
  g_state.assist_ratio.store(plan.assist_ratio_initial, std::memory_order_relaxed);
  g_state.scan_expected = plan.expected_scan_work;
  g_state.heap_live_at_start = heap0;
  g_stack_snapshot.clear();
  const std::uint64_t cycle_now = g_state.cycles.load(std::memory_order_relaxed) + 1;
  {
    sched::LockGuard g(g_state.retry_lock);
    g_state.retry.clear();
  }
  sched::for_each_g([cycle_now](sched::G* gp) {
    if (gp->status.load(std::memory_order_relaxed) != sched::GStatus::kDead) {
      gp->gc_snap_cycle = cycle_now;
      g_stack_snapshot.push_back(gp);
    }
  });
  g_state.stack_jobs = g_stack_snapshot.data();
  g_state.nstack_jobs = static_cast<std::uint32_t>(g_stack_snapshot.size());
  g_state.nroots = kFixedRoots + g_state.nstack_jobs;
  if (k.gccheckmark) {
    if (g_state.checkmark_roots == nullptr) g_state.checkmark_roots = new std::vector<std::uintptr_t>();
    g_state.checkmark_roots->clear();
  }
  g_state.next_root.store(0, std::memory_order_relaxed);
  g_state.roots_done.store(0, std::memory_order_relaxed);
  g_state.done_signalled.store(false, std::memory_order_relaxed);
  g_state.scan_done.store(0, std::memory_order_relaxed);
  g_state.stack_scanned.store(0, std::memory_order_relaxed);
  g_state.marked_bytes.store(0, std::memory_order_relaxed);
  g_state.assist_credit.store(0, std::memory_order_relaxed);
  for (auto* c : {&g_state.assist_ns, &g_state.dedicated_ns, &g_state.fractional_ns, &g_state.idle_ns})
    c->store(0, std::memory_order_relaxed);
  for (int i = 0; i < procs; i++) {
    g_state.p[i].fractional_ns = 0;
    g_state.p[i].frac_start.store(0, std::memory_order_relaxed);
  }
  const std::int64_t t1 = now_ns();
  g_state.mark_start_ns = t1;
  set_mark_flags(true);
  const std::uint64_t stw1 = static_cast<std::uint64_t>(now_ns() - t0);
  record_pause(PauseKind::kSweepTerm, stw1);

  // 2. Concurrent mark (or, with GODEBUG=gcstoptheworld=1, all of it now).
  std::uint64_t stw2 = 0;
  std::int64_t t2 = 0;
  if (k.gcstoptheworld) {
    Work w;
    while (true) {
      drain(w, nullptr, nullptr, true);
      flush_all_ps();
      if (mark_complete()) break;
    }
    t2 = now_ns();
  } else {
    sched::start_the_world();
    sched::wake_idle_ps();
    for (;;) {
      // Wait until a marker reports that it ran out of work (or 1 ms).
      if (!g_state.done_signalled.load(std::memory_order_acquire)) wait_for_mark_signal(1'000'000);
      g_state.done_signalled.store(false, std::memory_order_release);
      {
        // Stacks whose goroutines were running: ask again, or scan them
        // now if they stopped (e.g. went into a syscall).
        Work w;
        retry_deferred_stacks(w);
        w.dispose();
      }
      if (!mark_complete()) continue;
      // 3. Mark termination (or a flush that finds more work).
      t2 = now_ns();
      sched::stop_the_world("GC mark termination");
      flush_all_ps();
      if (!mark_complete()) {
        // The barrier buffers held grey objects. A little of that is
        // finished here (bounded: 100 us); more restarts the mark.
        Work w;
        const std::int64_t deadline = now_ns() + 100'000;
        drain(w, [](void* d) { return now_ns() > *static_cast<std::int64_t*>(d); },
              const_cast<std::int64_t*>(&deadline), true);
      }
      if (mark_complete()) break;
      // Barrier buffers held more grey objects: mark on.
      record_pause(PauseKind::kMarkTerm, static_cast<std::uint64_t>(now_ns() - t2));
      sched::start_the_world();
      sched::wake_idle_ps();
    }
  }
  const std::int64_t mark_wall = t2 - t1;
  set_mark_flags(false);
  const std::uint64_t heap_term = heap_live_now();
  queue_unreachable_finalizers();
  if (k.gccheckmark) run_checkmark();
  if (k.gccheckptr) checkptr_verify();

  const std::uint64_t assist = g_state.assist_ns.load(), ded = g_state.dedicated_ns.load(),
                      frac = g_state.fractional_ns.load(), idle = g_state.idle_ns.load();
  PacerInputs in;
  const std::uint64_t alloc_during = heap_term > heap0 ? heap_term - heap0 : 0;
  in.heap_marked = g_state.marked_bytes.load() + alloc_during;
  in.heap_scan_work = g_state.scan_done.load();
  in.stack_bytes = g_state.stack_scanned.load();
  in.globals_bytes = globals_bytes();
  in.mark_wall_ns = mark_wall;
  in.assist_ns = static_cast<std::int64_t>(assist);
  in.background_ns = static_cast<std::int64_t>(ded + frac);
  in.idle_ns = static_cast<std::int64_t>(idle);
  in.heap_alloc_during_mark = alloc_during;
  in.gomaxprocs = procs;
  in.non_heap_memory = overhead;  // as measured swept, at sweep termination
  g_state.pacer.end_cycle(in);
  update_scavenger_limit();
  mem::set_heap_goal(g_state.pacer.heap_goal());

  // Sweep cycle: every span becomes unswept; mcaches give theirs back.
  mem::flush_all_mcaches();
  mem::start_sweep_cycle();
  g_sweep_pending.store(true, std::memory_order_release);

  const std::uint64_t cycle = g_state.cycles.load(std::memory_order_relaxed) + 1;
  const std::int64_t t3 = now_ns();
  stw2 = static_cast<std::uint64_t>(t3 - t2);
  record_pause(PauseKind::kMarkTerm, stw2);
  g_state.cycles.store(cycle, std::memory_order_release);
  if (forced) g_state.forced_cycles.fetch_add(1, std::memory_order_relaxed);
  g_state.phase.store(GcPhase::kOff, std::memory_order_release);
  {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    g_state.last_gc_unix_ns.store(static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec,
                                  std::memory_order_relaxed);
  }
  const std::uint64_t stw_cpu = (stw1 + stw2) * static_cast<std::uint64_t>(procs);
  g_state.total_stw_cpu_ns.fetch_add(stw_cpu, std::memory_order_relaxed);
  g_state.total_assist_ns.fetch_add(assist, std::memory_order_relaxed);
  g_state.total_dedicated_ns.fetch_add(ded, std::memory_order_relaxed);
  g_state.total_fractional_ns.fetch_add(frac, std::memory_order_relaxed);
  g_state.total_idle_ns.fetch_add(idle, std::memory_order_relaxed);
  g_state.total_gc_cpu_ns.fetch_add(stw_cpu + assist + ded + frac + idle, std::memory_order_relaxed);
  g_state.total_scanned.fetch_add(in.heap_scan_work, std::memory_order_relaxed);
  note_gc_cpu(static_cast<std::int64_t>(stw_cpu));
  limiter_tick(t3);

  CycleRecord r{};
  r.cycle = cycle;
  r.start_ns = t0;
  r.end_ns = t3;
  r.sweep_term_ns = stw1;
  r.mark_ns = static_cast<std::uint64_t>(mark_wall);
  r.mark_term_ns = stw2;
  r.heap_trigger = heap0;
  r.heap_at_mark_term = heap_term;
  r.heap_marked = in.heap_marked;
  r.heap_goal = plan.heap_goal;
  r.next_goal = g_state.pacer.heap_goal();
  r.assist_ns = assist;
  r.worker_ns = ded + frac + idle;
  r.scanned_bytes = in.heap_scan_work;
  r.procs = procs;
  r.forced = forced;
  record_cycle(r);
  sched::start_the_world();

  if (k.gctrace) print_gctrace(r, stw1, static_cast<std::uint64_t>(mark_wall), stw2, assist, ded + frac, idle);
  g_sweep.wake();
  wake_finalizer_goroutine();
}

void wake_waiters() {
  sched::G* list;
  {
    sched::LockGuard g(g_state.wait_lock);
    list = g_state.waiters;
    g_state.waiters = nullptr;
  }
  while (list != nullptr) {
    sched::G* next = list->schedlink;
    list->schedlink = nullptr;
    sched::goready(list);
    list = next;
  }
}

void controller() {
  sched::getg()->gc_noscan = true;
  for (;;) {
    g_state.req.wait(sched::WaitReason::kForceGCIdle);
    // in_cycle and shutting_down are a Dekker pair with shutdown_for_run:
    // either it sees us in a cycle and waits, or we see it and stop.
    g_state.in_cycle.store(true, std::memory_order_seq_cst);
    if (g_state.shutting_down.load(std::memory_order_seq_cst)) {
      g_state.in_cycle.store(false, std::memory_order_seq_cst);
      wake_waiters();
      return;
    }
    g_state.requested.store(false, std::memory_order_release);
    const bool forced = g_state.forced_requests.exchange(0, std::memory_order_acq_rel) > 0;
    if (forced || heap_live_now() >= g_state.pacer.trigger()) {
      run_cycle(forced);
    } else if (g_state.phase.load(std::memory_order_acquire) == GcPhase::kOff) {
      detail::g_assist_pending.store(false, std::memory_order_release);  // no cycle: nothing to wait for
    }
    g_state.in_cycle.store(false, std::memory_order_seq_cst);
    wake_waiters();
  }
}

void bg_sweeper() {
  sched::getg()->gc_noscan = true;
  for (;;) {
    g_sweep.wait(sched::WaitReason::kGCWorkerIdle);
    if (g_state.shutting_down.load(std::memory_order_acquire)) return;
    int n = 0;
    while (mem::sweep_one()) {
      if ((++n & 15) == 0) gort::gosched();
    }
    g_sweep_pending.store(false, std::memory_order_release);
  }
}

template <void (*F)()>
void start_system() {
  sched::newproc_system({[](void*) { F(); }, nullptr, nullptr});
}

bool park_waiter(sched::G* gp, void*) {
  gp->schedlink = g_state.waiters;
  g_state.waiters = gp;
  g_state.wait_lock.unlock();
  return true;
}

}  // namespace

// ---- hooks -----------------------------------------------------------------------

void on_span_alloc(std::size_t bytes) noexcept {
  const GcPhase ph = g_state.phase.load(std::memory_order_relaxed);
  if (ph == GcPhase::kOff) {
    // Proportional sweep: a span's worth of allocation sweeps two spans
    // first, so the sweep finishes well before the next trigger.
    if (g_sweep_pending.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 2; i++) {
        if (!mem::sweep_one()) {
          g_sweep_pending.store(false, std::memory_order_relaxed);
          break;
        }
      }
    }
    if (g_state.running && heap_live_now() >= g_state.pacer.trigger()) request_cycle(false);
    return;
  }
  if (g_state.blacken.load(std::memory_order_relaxed)) {
    if (sched::G* gp = sched::getg()) gp->gc_assist_bytes -= static_cast<std::int64_t>(bytes);
  }
}

void wait_for_cycle_start() {
  sched::G* gp = sched::getg();
  if (gp == nullptr || gp->gc_is_worker || gp->system) return;
  // Only under a memory limit, where a cycle that starts a time slice late
  // lets the heap run tens of MiB past the limit. Elsewhere the yield is
  // not worth its risk: with it on every allocation that found a cycle
  // requested, lang_gc_test and mgc_test failed now and then at GOGC=10
  // (a goroutine lost: "all goroutines are asleep"; a reachable object
  // unmarked) — an interaction not yet understood (issue 6's note).
  if (g_state.pacer.memory_limit() == INT64_MAX) return;
  const std::int64_t t0 = now_ns();
  for (;;) {
    gort::gosched();
    if (g_state.phase.load(std::memory_order_acquire) != GcPhase::kOff) return;  // started
    if (!g_state.requested.load(std::memory_order_acquire) && !g_state.in_cycle.load(std::memory_order_acquire))
      return;  // nothing pending (or the cycle already ended)
    if (heap_live_now() < g_state.pacer.heap_goal()) return;  // room left: let the cycle catch up
    if (now_ns() - t0 > 2'000'000) return;
  }
}

namespace {
std::atomic<std::int64_t> g_limiter_gc_ns{0}, g_limiter_idle_ns{0};  // cumulative, all runs
}  // namespace

void note_gc_cpu(std::int64_t ns) noexcept { g_limiter_gc_ns.fetch_add(ns, std::memory_order_relaxed); }
void note_idle_mark(std::int64_t ns) noexcept { g_limiter_idle_ns.fetch_add(ns, std::memory_order_relaxed); }

void limiter_tick(std::int64_t now) noexcept {
  // Sysmon runs from after init_for_run (the limiter's reset) until after
  // shutdown_for_run: no reset races with this.
  g_state.limiter.update(now, g_limiter_gc_ns.load(std::memory_order_relaxed), sched::max_procs(),
                         g_limiter_idle_ns.load(std::memory_order_relaxed));
}

void update_scavenger_limit() {
  const std::int64_t limit = g_state.pacer.memory_limit();
  if (limit == INT64_MAX) {
    mem::set_retained_limit(SIZE_MAX);
    return;
  }
  // Go's scavenger aims at 95% of the limit for everything the runtime
  // holds; the heap's share is what the rest leaves.
  const std::uint64_t want = static_cast<std::uint64_t>(limit) / 20 * 19;
  const std::uint64_t other = non_heap_memory();
  mem::set_retained_limit(want > other ? static_cast<std::size_t>(want - other) : 0);
}

void init_for_run() {
  const debug::Knobs& k = debug::knobs();
  for (Worker* w : *g_all_workers) delete w;
  g_all_workers->clear();
  g_state.pool = nullptr;
  g_state.nworkers = 0;
  g_state.waiters = nullptr;
  g_state.phase.store(GcPhase::kOff);
  checkptr_start(k.gccheckptr);
  set_mark_flags(false);
  g_state.phase.store(GcPhase::kOff);
  g_state.requested.store(false);
  g_state.forced_requests.store(0);
  g_state.req.reset();
  g_state.shutting_down.store(false);
  g_state.in_cycle.store(false);
  g_ctl_parked.store(nullptr);
  g_sweep.reset();
  g_state.pacer.set_gogc(k.gogc);
  g_state.pacer.set_memory_limit(k.gomemlimit < 0 ? INT64_MAX : k.gomemlimit);
  update_scavenger_limit();
  g_state.limiter.reset();
  g_state.runtime_start_ns = sched::nanotime_raw();
  for (auto& p : g_state.p) {
    p.wbn = 0;
    p.fractional_ns = 0;
  }
  mem::g_poison_freed.store(k.gcpoison, std::memory_order_relaxed);
  finalizers_reset();
  g_state.running = true;
}

void start_goroutines() {
  start_system<controller>();
  start_system<bg_sweeper>();
  start_system<finalizer_goroutine>();
}

void shutdown_for_run() {
  // No new cycle; let one in progress finish (a mark is never abandoned).
  g_state.shutting_down.store(true, std::memory_order_seq_cst);
  while (g_state.in_cycle.load(std::memory_order_seq_cst)) gort::sleep_ns(50'000);
  g_state.running = false;
  // Wake the runtime goroutines parked on semaphores so they leave the
  // semaphore tables (keyed by these static addresses, which outlive this
  // run) before the runtime that owns their Gs goes away.
  // The runtime goroutines stay parked (on Parkers, which no global table
  // remembers): they are discarded with this run.
}

void register_worker(Worker* w) { g_all_workers->push_back(w); }

// ---- public API ------------------------------------------------------------------

void collect() {
  if (!g_state.running) {
    debug::fatal("gc::collect called with no runtime running (call it inside gort::run)");
  }
  // A cycle in progress may have started before the caller's last writes
  // were made unreachable: wait for it and one complete cycle after it.
  const std::uint64_t c0 = g_state.cycles.load(std::memory_order_acquire);
  const std::uint64_t target = c0 + (g_state.phase.load(std::memory_order_acquire) == GcPhase::kOff ? 1 : 2);
  sched::G* self = sched::getg();
  while (g_state.cycles.load(std::memory_order_acquire) < target) {
    if (g_state.shutting_down.load(std::memory_order_acquire)) return;
    if (self != nullptr) {
      g_state.wait_lock.lock();
      if (g_state.cycles.load(std::memory_order_acquire) >= target) {
        g_state.wait_lock.unlock();
        break;
      }
      request_cycle(true);
      sched::gopark(&park_waiter, nullptr, sched::WaitReason::kForceGCIdle);
    } else {
      request_cycle(true);
      struct timespec ts = {0, 200 * 1000};
      nanosleep(&ts, nullptr);
    }
  }
  // runtime.GC returns with the heap swept.
  while (mem::sweep_one()) {
  }
}

bool is_heap_object(const void* p) noexcept {
  std::uintptr_t base;
  mem::Span* s;
  if (!mem::find_object(p, &base, &s)) return false;
  return !s->is_free_racy(s->object_index(reinterpret_cast<std::uintptr_t>(p)));
}

}  // namespace gort::gc

namespace gort::debug {

int set_gc_percent(int percent) {
  const int prev = gc::g_state.pacer.set_gogc(percent < 0 ? -1 : percent);
  if (gc::g_state.running && gc::heap_live_now() >= gc::g_state.pacer.trigger()) gc::request_cycle(false);
  return prev;
}

std::int64_t set_memory_limit(std::int64_t bytes) {
  const std::int64_t prev = gc::g_state.pacer.set_memory_limit(bytes);
  if (bytes >= 0) {
    gc::update_scavenger_limit();
    mem::set_heap_goal(gc::g_state.pacer.heap_goal());  // a lower limit: release what is over it now
  }
  if (bytes >= 0 && gc::g_state.running && gc::heap_live_now() >= gc::g_state.pacer.trigger())
    gc::request_cycle(false);
  return prev;
}

void free_os_memory() {
  gc::collect();
  mem::scavenge(SIZE_MAX);
}

}  // namespace gort::debug
