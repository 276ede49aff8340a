// mgcpacer.h — the GC pacer: when a cycle starts, how many mark workers it
// gets, and how much assist work an allocating goroutine owes (Go 1.18+
// design 44167, with the GOMEMLIMIT goal of design 48409).
//
// What it owns: pure arithmetic over numbers the collector feeds it. It
// knows nothing of the scheduler or the allocator, reads no clock (time is
// passed in as int64 ns) and allocates nothing, so tests drive it with a
// simulated mutator.
//
// The model. A cycle marks `W` bytes of scan work (live heap + stacks +
// globals). Background workers use 25% of GOMAXPROCS. While they mark, the
// mutator allocates; the ratio of the mutator's allocation rate (bytes per
// mutator CPU-ns) to the collector's scan rate (bytes per GC CPU-ns) is the
// cons/mark ratio `c`. With exactly 25% of the CPU marking, the heap grows
// by c * (0.75 / 0.25) * W while W is scanned: that is the runway, and the
// trigger is goal - runway, so that the workers finish just at the goal.
// Assists cover what the estimate got wrong: each allocated byte owes
// assist_ratio() bytes of scan work, revised as the cycle progresses.
//
// Goal (committed at the end of each cycle and whenever a knob changes):
//   gogc_goal  = heap_marked + (heap_marked + stacks + globals) * GOGC/100,
//                at least 4 MiB * GOGC/100; none (UINT64_MAX) if GOGC < 0.
//   limit_goal = memory_limit - non_heap - headroom (3% of the limit, at
//                least 1 MiB), but never below heap_marked + a small runway
//                (1/32 of heap_marked, at least 256 KiB): a limit under the
//                live heap cannot collapse the goal into back-to-back
//                cycles that find nothing; the CPU limiter (mgclimit.h) then
//                caps GC CPU and the heap exceeds the limit rather than the
//                program dying in a GC spiral.
//   goal       = min(gogc_goal, limit_goal).
// Trigger bounds (as a fraction of the span heap_marked..goal):
//   >= 0.70: a very high cons/mark would otherwise start cycles right after
//     the previous one; a cycle that runs most of the time allocates most
//     objects black (marked as floating garbage), which inflates the next
//     heap_marked and so the heap. Past this point assists make allocation
//     pay for itself instead: more mutator CPU, bounded memory.
//   <= 0.95 (or goal - 4 MiB if that is higher, for big heaps): a cycle needs
//     room for what is allocated between crossing the trigger and the
//     workers running (STW, waking Ms), and assists need a non-zero distance
//     to spread their work over; 5% of the span (and at least 4 MiB for big
//     spans, where 5% would be wasted) keeps the assist ratio finite and
//     smooth even when the runway estimate says "start at the goal".
// cons/mark is smoothed as the mean of the last two cycles' measurements:
// one noisy cycle moves it half-way, a lasting change is fully followed
// after two cycles.
//
// The cycle, as the collector drives it:
//   1. allocation: once heap_live >= trigger(), start a cycle;
//   2. start_cycle (world stopped) -> the goal, the worker plan, the first
//      assist ratio;
//   3. mark: revise() every so often (each 64 KiB allocated per P, each
//      worker flush); an allocating goroutine owes assist_ratio() scan bytes
//      per byte and pays first from the credit background workers bank (Go's
//      bgScanCredit: the ratio counts all remaining work, not only the
//      workers' shortfall), scanning itself only for the rest — and not at
//      all while the CPU limiter is engaged;
//   4. end_cycle (world stopped, mark termination) with the measurements;
//      from then on heap_goal()/trigger() describe the next cycle.
//
// Who calls what, when (thread-safety):
//   * start_cycle, end_cycle: with the world stopped (or under the
//     collector's own cycle lock), one caller at a time.
//   * set_gogc, set_memory_limit, set_non_heap_memory: any thread, but the
//     caller serialises them with each other and with start/end_cycle (the
//     collector's heap/GC lock), as Go's setGCPercent holds the heap lock.
//   * heap_goal, trigger, assist_ratio, revise, and the other getters: any
//     thread, any time, concurrently with everything above. The values they
//     read are std::atomic. Concurrent revise calls race benignly: each
//     stores a ratio computed from fresh inputs and the last one wins.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::gc {

// The numbers the collector hands the pacer at mark termination.
struct PacerInputs {
  std::uint64_t heap_marked = 0;     // heap bytes marked live (incl. objects allocated black during mark)
  std::uint64_t heap_scan_work = 0;  // heap bytes scanned by this cycle
  std::uint64_t stack_bytes = 0;     // goroutine stack bytes scanned (roots)
  std::uint64_t globals_bytes = 0;   // registered root ranges scanned
  // Mark-phase measurements (the concurrent mark, start to termination).
  std::int64_t mark_wall_ns = 0;     // wall time of the mark phase
  std::int64_t assist_ns = 0;        // CPU ns goroutines spent assisting
  std::int64_t background_ns = 0;    // CPU ns of dedicated + fractional workers
  std::int64_t idle_ns = 0;          // CPU ns of idle-priority workers (Ps with nothing else to do)
  std::uint64_t heap_alloc_during_mark = 0;  // heap_live at mark termination - heap_live at start_cycle
  int gomaxprocs = 0;                // 0: the value given to start_cycle
  // Memory outside the heap (stacks, metadata, ...) for the GOMEMLIMIT goal;
  // UINT64_MAX: keep the last value known (start_cycle / set_non_heap_memory).
  std::uint64_t non_heap_memory = UINT64_MAX;
};

// Mark worker plan for GOMAXPROCS procs: 25% of the Ps, as whole dedicated
// workers when rounding is within 30%, else fewer dedicated workers plus
// fractional ones (each P spends fractional_goal of its time marking).
struct WorkerPlan {
  int dedicated_workers = 0;
  double fractional_goal = 0;  // per-P fraction of time for the fractional worker
};
WorkerPlan plan_workers(int gomaxprocs);

class Pacer {
 public:
  static constexpr double kBackgroundUtilization = 0.25;
  static constexpr std::uint64_t kHeapMinimum = 4u << 20;        // x GOGC/100
  static constexpr double kTriggerMinFraction = 0.70;
  static constexpr double kTriggerMaxFraction = 0.95;
  static constexpr std::uint64_t kTriggerMaxSlack = 4u << 20;    // for big spans: trigger up to goal - 4 MiB
  static constexpr std::uint64_t kMinRunway = 64u << 10;         // goal >= heap at start + 64 KiB (GOGC regime)
  static constexpr double kLimitHeadroomFraction = 0.03;
  static constexpr std::uint64_t kLimitMinHeadroom = 1u << 20;
  static constexpr std::uint64_t kLimitFloorMinRunway = 256u << 10;  // floor: heap_marked + max(this, heap_marked/32)
  static constexpr double kMaxOvershoot = 1.10;                   // revise's hard goal: 10% past the goal
                                                                  // (under the limit: at most limit - non-heap)

  explicit Pacer(int gogc = 100, std::int64_t memory_limit = INT64_MAX);
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // set_gogc sets GOGC (<0: off, only the memory limit triggers GC) and
  // recomputes goal and trigger. Returns the previous value.
  int set_gogc(int gogc);
  // set_memory_limit sets GOMEMLIMIT in bytes (INT64_MAX: none; negative:
  // no change, as debug.SetMemoryLimit) and recomputes goal and trigger.
  // Returns the previous value.
  std::int64_t set_memory_limit(std::int64_t bytes);
  // set_non_heap_memory records memory outside the heap that counts
  // against the limit (stacks, metadata, ...) and recomputes the goal; the
  // collector calls it when that moves noticeably between cycles.
  void set_non_heap_memory(std::uint64_t bytes);

  struct CyclePlan {
    std::uint64_t heap_goal = 0;      // this cycle's goal
    int dedicated_workers = 0;
    double fractional_goal = 0;       // per-P fraction for fractional workers
    double assist_ratio_initial = 0;  // scan bytes owed per byte allocated
    std::uint64_t heap_at_start = 0;  // heap_live passed in
    std::uint64_t expected_scan_work = 0;  // the pacer's estimate of W
  };
  // start_cycle (world stopped): a cycle starts with heap_live allocated.
  CyclePlan start_cycle(std::int64_t now_ns, std::uint64_t heap_live, int gomaxprocs,
                        std::uint64_t non_heap_memory);
  // revise (during mark, any thread): recomputes and returns assist work
  // (scan bytes) owed per byte allocated. scan_work_expected: the expected
  // total scan work of the cycle (0: the pacer's estimate). scan_work_max:
  // the most it can be (scannable heap at cycle start + stacks + globals;
  // 0: unknown); used when the work done already exceeds the expectation:
  // then the goal is stretched in proportion (capped at kMaxOvershoot x goal)
  // so that assists stay steady while the heap is evidently bigger.
  double revise(std::uint64_t heap_live, std::uint64_t scan_work_done, std::uint64_t scan_work_expected,
                std::uint64_t scan_work_max = 0);
  // end_cycle (world stopped): measures cons/mark and commits the next
  // cycle's goal and trigger.
  void end_cycle(const PacerInputs& in);

  // Atomic reads, any thread.
  std::uint64_t heap_goal() const { return goal_.load(std::memory_order_relaxed); }
  std::uint64_t trigger() const { return trigger_.load(std::memory_order_relaxed); }
  double assist_ratio() const { return assist_ratio_.load(std::memory_order_relaxed); }
  int gogc() const { return gogc_.load(std::memory_order_relaxed); }
  std::int64_t memory_limit() const { return memory_limit_.load(std::memory_order_relaxed); }
  bool goal_from_limit() const { return goal_from_limit_.load(std::memory_order_relaxed); }
  std::uint64_t heap_marked() const { return heap_marked_.load(std::memory_order_relaxed); }
  std::uint64_t expected_scan_work() const { return expected_scan_.load(std::memory_order_relaxed); }
  // Smoothed cons/mark, the last raw sample, and the runway they give.
  double cons_mark() const { return cons_mark_.load(std::memory_order_relaxed); }
  double last_cons_mark_sample() const { return last_sample_.load(std::memory_order_relaxed); }
  std::uint64_t runway() const { return runway_.load(std::memory_order_relaxed); }
  std::uint64_t cycles() const { return cycles_.load(std::memory_order_relaxed); }

  // The goal the GOGC rule alone gives / the limit alone gives for the
  // current inputs (UINT64_MAX: none). For tests and gctrace.
  std::uint64_t gogc_goal() const;
  std::uint64_t limit_goal() const;

 private:
  void commit();  // recompute goal_, trigger_, runway_ from the inputs

  // Knobs.
  std::atomic<int> gogc_;
  std::atomic<std::int64_t> memory_limit_;
  // Inputs from the last cycle (written with the world stopped / under the
  // caller's lock, read by commit and revise).
  std::atomic<std::uint64_t> heap_marked_{0};
  std::atomic<std::uint64_t> expected_scan_{0};  // last heap scan + stacks + globals
  std::atomic<std::uint64_t> stack_bytes_{0}, globals_bytes_{0};
  std::atomic<std::uint64_t> non_heap_{0};
  std::atomic<double> cons_mark_{0}, last_sample_{0};
  double prev_sample_ = -1;  // <0: no sample yet
  // The current cycle.
  std::atomic<std::uint64_t> heap_at_start_{UINT64_MAX};  // UINT64_MAX: no cycle running
  std::int64_t start_ns_ = 0;
  int procs_ = 1;
  // Outputs.
  std::atomic<std::uint64_t> goal_{0}, trigger_{0}, runway_{0};
  std::atomic<bool> goal_from_limit_{false};
  std::atomic<double> assist_ratio_{0};
  std::atomic<std::uint64_t> cycles_{0};
};

}  // namespace gort::gc
