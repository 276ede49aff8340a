// mgcstate.h — the collector's global state, shared by the gc/ files
// (mgc.cc drives the cycle, mgcmark.cc marks, mbarrier.cc buffers barrier
// writes, mfinal.cc keeps finalizers, mstats.cc reports).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gc/mgc.h"
#include "gc/mgclimit.h"
#include "gc/mgcpacer.h"
#include "gc/mgcwork.h"
#include "sched/lock.h"
#include "sched/runtime2.h"

namespace gort::chan_detail {
struct Hchan;
}

namespace gort::gc {

// kWbBufEntries: pointers a P's write-barrier buffer holds before it is
// flushed into the P's Work (Go's wbBuf).
inline constexpr std::size_t kWbBufEntries = 512;

enum class WorkerMode : std::uint8_t { kNone, kDedicated, kFractional, kIdle };

// PState is the collector's per-P state; PState i is used by whoever runs
// on P i with preemption disabled (so never by two threads at once).
struct alignas(64) PState {
  Work work;                             // barrier flushes, assists
  std::size_t wbn = 0;                   // entries in wb
  const void* wb[kWbBufEntries];
  std::int64_t fractional_ns = 0;        // fractional worker time this cycle
  std::atomic<std::int64_t> frac_start{0};  // when the running fractional worker began (0: none)
};

// Parker parks one runtime goroutine until woken (a binary semaphore with
// spurious wake-ups allowed: the woken goroutine re-checks its condition).
// Unlike the sync semaphores it keeps no global table entry, so a parked
// goroutine can be discarded with its runtime at exit. wake() may be called
// from anywhere goready may (with runtime locks held, off a P).
class Parker {
 public:
  void wait(sched::WaitReason reason);
  void wake() noexcept;
  void reset() noexcept {
    g_.store(nullptr);
    pending_.store(false);
  }

 private:
  static bool park(sched::G* gp, void* self);
  std::atomic<sched::G*> g_{nullptr};
  std::atomic<bool> pending_{false};
};

// Worker is a background mark worker goroutine (Go's gcBgMarkWorker).
struct Worker {
  sched::G* g = nullptr;
  Worker* next = nullptr;      // pool link (guarded by State::pool_lock)
  WorkerMode mode = WorkerMode::kNone;
  int pid = -1;                // the P it was started on
  std::int64_t start_ns = 0;
  Work work;
};

struct State {
  std::atomic<GcPhase> phase{GcPhase::kOff};
  std::atomic<std::uint64_t> cycles{0};       // completed cycles
  std::atomic<std::uint64_t> forced_cycles{0};
  bool running = false;                       // a run() is active (controller exists)

  Pacer pacer;
  CpuLimiter limiter;

  // Cycle requests: the controller goroutine parks on req.
  Parker req;
  std::atomic<bool> requested{false};
  std::atomic<int> forced_requests{0};
  // collect() waiters (guarded by wait_lock).
  sched::Lock wait_lock;
  sched::G* waiters = nullptr;               // linked through G::schedlink
  std::atomic<bool> shutting_down{false};
  std::atomic<bool> in_cycle{false};         // the controller is running a cycle

  // Mark.
  std::atomic<bool> blacken{false};          // workers and assists may mark
  std::atomic<std::uint32_t> next_root{0};   // root jobs claimed
  std::uint32_t nroots = 0;                  // jobs: kFixedRoots + stacks
  std::atomic<std::uint32_t> roots_done{0};
  sched::G** stack_jobs = nullptr;           // allgs snapshot (nroots - kFixedRoots)
  std::uint32_t nstack_jobs = 0;
  std::atomic<int> active_markers{0};        // markers holding grey objects privately
  std::atomic<bool> done_signalled{false};    // a marker found no work left (controller polls it)
  int dedicated_needed = 0;
  std::atomic<int> dedicated_running{0};
  double fractional_goal = 0;                // per-P fraction of time
  std::int64_t mark_start_ns = 0;
  std::atomic<std::int64_t> assist_credit{0};  // background scan work not yet claimed by assists
  std::atomic<double> assist_ratio{0};       // scan bytes owed per allocated byte (pacer.revise)
  std::atomic<std::uint64_t> stack_scanned{0};  // stack bytes scanned this cycle
  std::atomic<std::uint64_t> scan_done{0};   // bytes scanned this cycle
  std::atomic<std::uint64_t> marked_bytes{0};
  std::uint64_t scan_expected = 0;
  std::uint64_t heap_live_at_start = 0;
  std::uint64_t heap_trigger_at_start = 0;

  // Stack jobs whose goroutine was running when tried (retry_lock, leaf).
  sched::Lock retry_lock;
  std::vector<sched::G*> retry;

  // GODEBUG=gccheckmark=1: the values stack scans found this cycle.
  sched::Lock checkmark_lock;
  std::vector<std::uintptr_t>* checkmark_roots = nullptr;

  // Worker pool (parked workers).
  sched::Lock pool_lock;
  Worker* pool = nullptr;
  int nworkers = 0;

  // Non-goroutine markers (barrier writes from foreign threads).
  sched::Lock fallback_lock;
  Work fallback_work;

  // CPU accounting for this cycle and in total (ns).
  std::atomic<std::uint64_t> assist_ns{0}, dedicated_ns{0}, fractional_ns{0}, idle_ns{0};
  std::atomic<std::uint64_t> total_gc_cpu_ns{0}, total_assist_ns{0}, total_dedicated_ns{0},
      total_fractional_ns{0}, total_idle_ns{0}, total_stw_cpu_ns{0};
  std::atomic<std::uint64_t> total_scanned{0};
  std::int64_t runtime_start_ns = 0;
  std::atomic<std::int64_t> last_gc_unix_ns{0};

  PState p[sched::kMaxProcs];
};

// Visitor is called with every word a root scan finds (conservatively).
using Visitor = void (*)(std::uintptr_t v, void* ctx);
// grey_visitor greys into the Work ctx.
void grey_visitor(std::uintptr_t v, void* ctx) noexcept;
// visit_range_fn / visit_object_fn: the scanners of mgcmark.cc for other files.
void visit_range_fn(std::uintptr_t lo, std::uintptr_t hi, Visitor v, void* ctx);
void visit_object_fn(std::uintptr_t obj, Visitor v, void* ctx);
// visit_object_slots_fn calls v with the address of each pointer slot of obj.
void visit_object_slots_fn(std::uintptr_t obj, Visitor v, void* ctx);

// Fixed root jobs before the stack jobs.
enum RootJob : std::uint32_t { kRootHandles = 0, kRootFinalizers = 1, kRootChannels = 2, kFixedRoots = 3 };

// ---- between gc/ files -----------------------------------------------------

// mgcmark.cc
// drain marks until no grey object is left or should_stop() says so
// (checked every few objects); returns scanned bytes.
std::uint64_t drain(Work& w, bool (*should_stop)(void*), void* arg, bool do_roots);
// mark_root runs root job i. Returns false when the job must be retried
// later (a running goroutine's stack).
bool mark_root(std::uint32_t i, Work& w);
// retry_deferred_stacks tries the deferred stack jobs again; true when
// one was done.
bool retry_deferred_stacks(Work& w);
// mark_work_available: grey objects or unclaimed roots exist somewhere
// the caller can get them.
bool mark_work_available() noexcept;
// maybe_signal_done tells the controller that mark may be complete.
void maybe_signal_done() noexcept;
// wake_controller readies the controller if it waits for the mark to end.
void wake_controller() noexcept;
// flush_all_ps moves every P's barrier buffer and Work to the global list
// (world stopped).
void flush_all_ps();
// run_checkmark re-marks from the roots with the world stopped and fails
// fatally if an object reachable was not marked.
void run_checkmark();
// scan_object_contents greys what obj's pointer words point to (used for
// objects with finalizers: their referents live, they themselves not).
void scan_object_contents(std::uintptr_t obj, Work& w) noexcept;
// start_workers makes sure there is one parked worker per P (on the
// controller goroutine, world running).
void start_workers(int procs);
void worker_loop(Worker* wk);
// register_worker (mgc.cc) remembers a Worker so the next run() frees it.
void register_worker(Worker* w);

// mbarrier.cc
void wb_flush(PState& ps, Work& w) noexcept;
void scan_root_handles(Visitor v, void* ctx);
std::uint64_t globals_bytes() noexcept;

// mfinal.cc
void scan_finalizer_roots(Visitor v, void* ctx);  // the referents of objects with finalizers, and the queue
// queue_unreachable_finalizers (mark termination, world stopped): objects
// with finalizers that were not marked are marked (kept one more cycle)
// and their finalizers queued. Returns how many.
std::size_t queue_unreachable_finalizers();
void wake_finalizer_goroutine();
std::uint64_t finalizers_run() noexcept;
void finalizer_goroutine();
void finalizers_reset();

// mstats.cc
enum class PauseKind { kSweepTerm, kMarkTerm };
void record_pause(PauseKind k, std::uint64_t ns) noexcept;
void record_cycle(const CycleRecord& r) noexcept;
void stats_reset() noexcept;

// chan registry (mbarrier.cc): channel buffers that may hold pointers.
void scan_channel_buffers(Visitor v, void* ctx);

}  // namespace gort::gc
