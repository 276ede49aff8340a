// mgcpacer_test.cc — the GC pacer (gc/mgcpacer): its formulas, and
// hundreds of simulated cycles with a simulated mutator and collector
// (allocation rate, live heap, scan rate, GOMAXPROCS), with and without
// the GC CPU limiter. Deterministic: time is a number, no threads.
#include "gc/mgcpacer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "gc/mgclimit.h"

namespace gort::gc {
namespace {

constexpr std::uint64_t KiB = 1024, MiB = 1024 * 1024;

// ---------------------------------------------------------------------------
// The simulation.
//
// Mutator: every P not running a mark worker allocates `alloc_per_ns` bytes
// per CPU-ns; the program's live set is `live` bytes and everything else it
// allocates dies young. Collector: scans `scan_per_ns` bytes per GC CPU-ns;
// a cycle's work is live + stacks + globals. Objects allocated during mark
// are allocated black, so they count as marked (floating garbage) — which
// is what makes a too-early trigger cost memory, as in Go.
// Between cycles the heap grows at alloc_per_ns x procs until it reaches
// the trigger; `start_latency_ns` later (STW, waking workers) start_cycle
// runs. During mark, every `step_ns` the collector revises the assist ratio;
// background workers do their share, and each allocated byte also costs the
// allocator ratio / scan_per_ns ns of assist — unless the CPU limiter is
// engaged, in which case assists are skipped and the heap may pass the goal.
struct SimParams {
  int procs = 4;
  double alloc_per_ns = 0.05;  // bytes per mutator CPU-ns (50 MB/s per P)
  double scan_per_ns = 1.0;    // bytes per GC CPU-ns (1 GB/s per marking CPU)
  std::uint64_t live = 64 * MiB;
  std::uint64_t stacks = 1 * MiB, globals = 1 * MiB;
  std::uint64_t non_heap = 8 * MiB;  // what the memory limit sees besides the heap
  double start_latency_ns = 200e3;
  double step_ns = 50e3;            // revise interval during mark
  double limiter_period_ns = 10e6;  // CpuLimiter::update cadence (sysmon's)
  double jitter = 0;                // per-cycle +-fraction on alloc_per_ns
};

struct CycleResult {
  std::uint64_t trigger = 0;     // the pacer's trigger when the cycle was due
  std::uint64_t goal = 0;        // start_cycle's plan.heap_goal
  std::uint64_t peak = 0;        // heap_live at mark termination
  std::uint64_t heap_marked = 0;
  std::uint64_t heap_marked_before = 0;  // the previous cycle's
  double mark_ns = 0, cycle_ns = 0, gc_cpu_ns = 0, assist_ns = 0;
  bool limited = false;  // limiter engaged at some point in this cycle
};

class Sim {
 public:
  Sim(Pacer& pacer, SimParams p, CpuLimiter* limiter = nullptr)
      : p(p), pacer_(pacer), limiter_(limiter), rng_(12345) {
    heap_ = static_cast<double>(pacer_.heap_marked());
    if (limiter_) limiter_->update(0, 0, p.procs);
  }

  SimParams p;  // may be changed between cycles

  CycleResult cycle() {
    CycleResult r;
    const double a = p.alloc_per_ns * (1 + p.jitter * (2.0 * static_cast<double>(rng_()) / 4294967295.0 - 1.0));
    const double procs = p.procs;
    const double cycle_start = now_;
    r.heap_marked_before = pacer_.heap_marked();
    r.trigger = pacer_.trigger();
    EXPECT_NE(r.trigger, UINT64_MAX) << "the simulated program would never collect";
    // Off phase: allocate up to the trigger, then the start latency.
    const double trigger = static_cast<double>(r.trigger);
    if (heap_ < trigger) advance_mutator((trigger - heap_) / (a * procs), a);
    advance_mutator(p.start_latency_ns, a);
    // Mark.
    const Pacer::CyclePlan plan = pacer_.start_cycle(static_cast<std::int64_t>(now_),
                                                     static_cast<std::uint64_t>(heap_), p.procs, p.non_heap);
    r.goal = plan.heap_goal;
    const double bg_procs = plan.dedicated_workers + plan.fractional_goal * procs;
    EXPECT_NEAR(bg_procs, 0.25 * procs, 1e-9);
    const double start_heap = heap_, mark_start = now_;
    const double work = static_cast<double>(p.live + p.stacks + p.globals);
    const std::uint64_t max_work = static_cast<std::uint64_t>(start_heap) + p.stacks + p.globals;
    double done = 0, assist_ns = 0, bg_ns = 0;
    while (done < work) {
      double ratio = pacer_.revise(static_cast<std::uint64_t>(heap_), static_cast<std::uint64_t>(done), 0, max_work);
      if (limiter_ && limiter_->limiting()) {
        ratio = 0;
        r.limited = true;
      }
      double dt = p.step_ns;
      // Background work first goes to the credit pool; an allocator owes
      // bytes x ratio of scan work and pays it from the pool first, scanning
      // itself (assisting) only for the rest — Go's bgScanCredit.
      const double mut_procs = procs - bg_procs;
      const double bg_work = bg_procs * p.scan_per_ns * dt;
      const double credit = credit_ + bg_work;
      double bytes = a * mut_procs * dt;  // if the credit covers the debt
      double assist_work = 0;
      if (bytes * ratio > credit) {
        // Allocating and assisting share the mutator's CPU:
        // bytes / a + (bytes x ratio - credit) / scan = mutator CPU.
        bytes = (mut_procs * dt + credit / p.scan_per_ns) / (1.0 / a + ratio / p.scan_per_ns);
        assist_work = bytes * ratio - credit;
      }
      if (done + bg_work + assist_work > work) {  // the cycle ends inside this step
        const double f = (work - done) / (bg_work + assist_work);
        dt *= f;
        bytes *= f;
        assist_work *= f;
      }
      credit_ = std::max(credit_ + bg_procs * p.scan_per_ns * dt + assist_work - bytes * ratio, 0.0);
      heap_ += bytes;
      done += bg_procs * p.scan_per_ns * dt + assist_work;
      const double assist = assist_work / p.scan_per_ns;
      assist_ns += assist;
      bg_ns += bg_procs * dt;
      gc_cpu_ += assist + bg_procs * dt;
      advance_clock(dt);
    }
    credit_ = 0;
    // Mark termination.
    r.peak = static_cast<std::uint64_t>(heap_);
    r.mark_ns = now_ - mark_start;
    r.assist_ns = assist_ns;
    r.gc_cpu_ns = assist_ns + bg_ns;
    const std::uint64_t alloc_during_mark = static_cast<std::uint64_t>(heap_ - start_heap);
    PacerInputs in;
    in.heap_marked = p.live + alloc_during_mark;
    in.heap_scan_work = p.live;
    in.stack_bytes = p.stacks;
    in.globals_bytes = p.globals;
    in.mark_wall_ns = static_cast<std::int64_t>(r.mark_ns);
    in.assist_ns = static_cast<std::int64_t>(assist_ns);
    in.background_ns = static_cast<std::int64_t>(bg_ns);
    in.heap_alloc_during_mark = alloc_during_mark;
    in.gomaxprocs = p.procs;
    in.non_heap_memory = p.non_heap;
    pacer_.end_cycle(in);
    r.heap_marked = in.heap_marked;
    heap_ = static_cast<double>(in.heap_marked);  // sweep frees the rest
    r.cycle_ns = now_ - cycle_start;
    if (limiter_ && limiter_->limiting()) r.limited = true;
    return r;
  }

  std::vector<CycleResult> run(int n) {
    std::vector<CycleResult> out;
    for (int i = 0; i < n; i++) out.push_back(cycle());
    return out;
  }

  double now() const { return now_; }
  double gc_cpu() const { return gc_cpu_; }

 private:
  void advance_mutator(double dt, double a) {
    heap_ += a * p.procs * dt;
    advance_clock(dt);
  }
  // advance_clock moves time and calls the limiter on its cadence (with
  // GC CPU counted up to now: fine at 50 us steps against 10 ms periods).
  void advance_clock(double dt) {
    now_ += dt;
    if (!limiter_) return;
    while (now_ >= next_limiter_) {
      limiter_->update(static_cast<std::int64_t>(next_limiter_), static_cast<std::int64_t>(gc_cpu_), p.procs);
      next_limiter_ += p.limiter_period_ns;
    }
  }

  Pacer& pacer_;
  CpuLimiter* limiter_;
  std::mt19937 rng_;
  double now_ = 0, heap_ = 0, gc_cpu_ = 0, next_limiter_ = 0, credit_ = 0;
};

double frac_of_span(std::uint64_t v, std::uint64_t marked, std::uint64_t goal) {
  return static_cast<double>(v - marked) / static_cast<double>(goal - marked);
}

// Feeds one cycle by hand: heap_marked etc. and a cons/mark of `cm`
// (alloc rate per mutator CPU-ns / scan rate per GC CPU-ns).
void feed_cycle(Pacer& p, std::uint64_t marked, std::uint64_t stacks, std::uint64_t globals, double cm,
                int procs = 4) {
  p.start_cycle(0, marked, procs, 0);
  PacerInputs in;
  in.heap_marked = marked;
  in.heap_scan_work = marked;
  in.stack_bytes = stacks;
  in.globals_bytes = globals;
  in.mark_wall_ns = 100'000'000;                  // 100 ms
  in.background_ns = 100'000'000LL * procs / 4;  // 25%
  // scan rate = W / gc_cpu; mutator CPU = 75%: alloc = cm * scan_rate * mutator_cpu.
  const double w = static_cast<double>(marked + stacks + globals);
  const double scan_rate = w / static_cast<double>(in.background_ns);
  in.heap_alloc_during_mark = static_cast<std::uint64_t>(cm * scan_rate * 0.75 * 100e6 * procs);
  in.gomaxprocs = procs;
  p.end_cycle(in);
}

// ---------------------------------------------------------------------------
// Formulas.

TEST(Pacer, WorkerPlanTable) {
  struct Row {
    int procs, dedicated;
    double fractional;
  } rows[] = {
      {1, 0, 0.25}, {2, 0, 0.25}, {3, 0, 0.25}, {4, 1, 0}, {5, 1, 0},
      {6, 1, 0.5 / 6}, {7, 2, 0}, {8, 2, 0}, {16, 4, 0},
  };
  for (const Row& r : rows) {
    const WorkerPlan w = plan_workers(r.procs);
    EXPECT_EQ(w.dedicated_workers, r.dedicated) << "procs " << r.procs;
    EXPECT_DOUBLE_EQ(w.fractional_goal, r.fractional) << "procs " << r.procs;
  }
  // Whenever fractional workers are used, dedicated + fractional add up to
  // exactly 25% of the Ps; whole workers alone stay within 30% of it.
  for (int procs = 1; procs <= 256; procs++) {
    const WorkerPlan w = plan_workers(procs);
    const double total = w.dedicated_workers + w.fractional_goal * procs;
    if (w.fractional_goal > 0) {
      EXPECT_NEAR(total, 0.25 * procs, 1e-12) << procs;
    } else {
      EXPECT_LE(std::fabs(total / (0.25 * procs) - 1), 0.3) << procs;
    }
    EXPECT_LT(w.fractional_goal, 1.0) << procs;
  }
  // Through start_cycle too.
  Pacer p;
  const Pacer::CyclePlan plan = p.start_cycle(0, 1 * MiB, 6, 0);
  EXPECT_EQ(plan.dedicated_workers, 1);
  EXPECT_DOUBLE_EQ(plan.fractional_goal, 0.5 / 6);
}

TEST(Pacer, MinimumHeapIsFourMiBTimesGogc) {
  EXPECT_EQ(Pacer(100).heap_goal(), 4 * MiB);
  EXPECT_EQ(Pacer(50).heap_goal(), 2 * MiB);
  EXPECT_EQ(Pacer(200).heap_goal(), 8 * MiB);
  EXPECT_EQ(Pacer(0).heap_goal(), 0u);
  // A fresh pacer has no cons/mark yet: the trigger sits at the top of its
  // band, 95% of the way to the goal.
  Pacer p(100);
  EXPECT_EQ(p.trigger(), static_cast<std::uint64_t>(0.95 * 4 * MiB));
  // A tiny live heap keeps the minimum.
  feed_cycle(p, 100 * KiB, 8 * KiB, 8 * KiB, 0.1);
  EXPECT_EQ(p.heap_goal(), 4 * MiB);
  p.set_gogc(300);
  EXPECT_EQ(p.heap_goal(), 12 * MiB);
  // Above the minimum, the formula wins.
  feed_cycle(p, 10 * MiB, 0, 0, 0.1);
  EXPECT_EQ(p.heap_goal(), 40 * MiB);
}

TEST(Pacer, GoalCountsStacksAndGlobals) {
  Pacer p(100);
  feed_cycle(p, 100 * MiB, 10 * MiB, 2 * MiB, 0.1);
  EXPECT_EQ(p.heap_goal(), 212 * MiB);  // 100 + (100 + 10 + 2) x 1
  EXPECT_EQ(p.set_gogc(50), 100);
  EXPECT_EQ(p.heap_goal(), 156 * MiB);  // 100 + 112 x 0.5
  p.set_gogc(200);
  EXPECT_EQ(p.heap_goal(), 324 * MiB);
  EXPECT_FALSE(p.goal_from_limit());
  EXPECT_EQ(p.gogc(), 200);
}

TEST(Pacer, TriggerFollowsConsMarkWithinItsBand) {
  // marked 40 MiB, W = 40 MiB, GOGC 100: goal 80 MiB, span 40 MiB.
  // cons/mark 0.05: runway = 0.05 x 3 x 40 = 6 MiB -> trigger 74 MiB (0.85).
  Pacer p(100);
  feed_cycle(p, 40 * MiB, 0, 0, 0.05);
  EXPECT_EQ(p.heap_goal(), 80 * MiB);
  EXPECT_NEAR(p.cons_mark(), 0.05, 1e-6);
  EXPECT_NEAR(static_cast<double>(p.runway()), 6.0 * MiB, 64.0 * KiB);
  EXPECT_NEAR(static_cast<double>(p.trigger()), 74.0 * MiB, 64.0 * KiB);
  // A very fast allocator (cons/mark 1, two cycles for the average):
  // runway 120 MiB > goal -> clamped at 70% of the span = 68 MiB.
  feed_cycle(p, 40 * MiB, 0, 0, 1.0);
  feed_cycle(p, 40 * MiB, 0, 0, 1.0);
  EXPECT_NEAR(p.cons_mark(), 1.0, 1e-6);
  EXPECT_EQ(p.trigger(), 40 * MiB + static_cast<std::uint64_t>(0.7 * 40 * MiB));
  // An allocator that hardly allocates: trigger at the top, 95% of the
  // span (78 MiB; goal - 4 MiB would be lower).
  feed_cycle(p, 40 * MiB, 0, 0, 0.0);
  feed_cycle(p, 40 * MiB, 0, 0, 0.0);
  EXPECT_EQ(p.trigger(), 78 * MiB);
  // A big span: 95% would leave 40 MiB unused; the top is goal - 4 MiB.
  feed_cycle(p, 800 * MiB, 0, 0, 0.0);
  EXPECT_EQ(p.heap_goal(), 1600 * MiB);
  EXPECT_EQ(p.trigger(), 1596 * MiB);
  // Small span: 95% is the top (goal 4 MiB x 2 at GOGC 200, 8 MiB span).
  Pacer q(200);
  feed_cycle(q, 0, 0, 0, 0.0);
  EXPECT_EQ(q.heap_goal(), 8 * MiB);
  EXPECT_EQ(q.trigger(), static_cast<std::uint64_t>(0.95 * 8 * MiB));
}

TEST(Pacer, ConsMarkIsTheMeanOfTheLastTwoCycles) {
  Pacer p(100);
  feed_cycle(p, 40 * MiB, 0, 0, 0.1);
  EXPECT_NEAR(p.cons_mark(), 0.1, 1e-6);
  feed_cycle(p, 40 * MiB, 0, 0, 0.3);
  EXPECT_NEAR(p.last_cons_mark_sample(), 0.3, 1e-6);
  EXPECT_NEAR(p.cons_mark(), 0.2, 1e-6);
  feed_cycle(p, 40 * MiB, 0, 0, 0.3);
  EXPECT_NEAR(p.cons_mark(), 0.3, 1e-6);
  // A cycle with no GC CPU measured (e.g. stop-the-world mode) leaves it.
  p.start_cycle(0, 50 * MiB, 4, 0);
  PacerInputs in;
  in.heap_marked = 40 * MiB;
  in.heap_scan_work = 40 * MiB;
  p.end_cycle(in);
  EXPECT_NEAR(p.cons_mark(), 0.3, 1e-6);
}

TEST(Pacer, ReviseOwesRemainingWorkOverRemainingHeap) {
  Pacer p(100);
  feed_cycle(p, 100 * MiB, 0, 0, 0.05);  // goal 200 MiB, W = 100 MiB
  const Pacer::CyclePlan plan = p.start_cycle(0, 180 * MiB, 4, 0);
  ASSERT_EQ(plan.heap_goal, 200 * MiB);
  EXPECT_NEAR(plan.assist_ratio_initial, 100.0 / 20.0, 1e-9);  // 100 MiB of work over 20 MiB of heap
  EXPECT_NEAR(p.revise(190 * MiB, 60 * MiB, 0), 40.0 / 10.0, 1e-9);
  EXPECT_NEAR(p.assist_ratio(), 4.0, 1e-9);
  EXPECT_NEAR(p.revise(190 * MiB, 60 * MiB, 80 * MiB), 20.0 / 10.0, 1e-9);  // caller's expectation
  // At or past the goal: aim 10% past it (220 MiB) instead of an infinite ratio.
  EXPECT_NEAR(p.revise(200 * MiB, 60 * MiB, 0), 40.0 / 20.0, 1e-9);
  // Work beyond the expectation: the heap is bigger; the goal stretches in
  // proportion to the worst case (here 120/100: 180 + 20 x 1.2 = 204 MiB).
  EXPECT_NEAR(p.revise(190 * MiB, 110 * MiB, 0, 120 * MiB), 10.0 / 14.0, 1e-6);
  // ... but never past the hard goal of 220 MiB (worst case 1000 MiB).
  EXPECT_NEAR(p.revise(190 * MiB, 110 * MiB, 0, 1000 * MiB), 890.0 / 30.0, 1e-6);
  // Ratios stay finite far past the hard goal.
  EXPECT_TRUE(std::isfinite(p.revise(400 * MiB, 0, 0)));
  EXPECT_GT(p.revise(400 * MiB, 0, 0), 1000.0);
  // After the cycle: no assists.
  feed_cycle(p, 100 * MiB, 0, 0, 0.05);
  EXPECT_EQ(p.assist_ratio(), 0.0);
}

TEST(Pacer, LateStartKeepsMinimumRunwayUnderGogc) {
  Pacer p(100);
  feed_cycle(p, 100 * MiB, 0, 0, 0.05);  // goal 200 MiB
  const Pacer::CyclePlan plan = p.start_cycle(0, 250 * MiB, 4, 0);  // one huge allocation past the goal
  EXPECT_EQ(plan.heap_goal, 250 * MiB + Pacer::kMinRunway);
}

TEST(Pacer, GogcOffWithoutLimitNeverTriggers) {
  Pacer p(-1);
  EXPECT_EQ(p.trigger(), UINT64_MAX);
  EXPECT_EQ(p.heap_goal(), UINT64_MAX);
  // A forced cycle (runtime.GC) still works and changes nothing.
  const Pacer::CyclePlan plan = p.start_cycle(0, 500 * MiB, 4, 16 * MiB);
  EXPECT_EQ(plan.heap_goal, UINT64_MAX);
  EXPECT_EQ(plan.assist_ratio_initial, 0.0);
  EXPECT_EQ(p.revise(600 * MiB, 0, 0), 0.0);
  feed_cycle(p, 300 * MiB, 1 * MiB, 1 * MiB, 0.5);
  EXPECT_EQ(p.trigger(), UINT64_MAX);
  EXPECT_EQ(p.heap_goal(), UINT64_MAX);
  // Turning GOGC back on takes effect at once.
  EXPECT_EQ(p.set_gogc(100), -1);
  EXPECT_EQ(p.heap_goal(), 602 * MiB);
  EXPECT_LT(p.trigger(), p.heap_goal());
  EXPECT_GT(p.trigger(), 300 * MiB);
}

TEST(Pacer, MemoryLimitGoalHeadroomAndFloor) {
  Pacer p(100, 1024 * MiB);
  p.set_non_heap_memory(100 * MiB);
  feed_cycle(p, 200 * MiB, 0, 0, 0.05);
  p.set_non_heap_memory(100 * MiB);  // feed_cycle's start_cycle passed 0
  // GOGC goal 400 MiB; limit goal 1024 - 100 - 3% x 1024 = 893.28 MiB.
  EXPECT_EQ(p.heap_goal(), 400 * MiB);
  EXPECT_FALSE(p.goal_from_limit());
  EXPECT_EQ(p.limit_goal(), 1024 * MiB - 100 * MiB - static_cast<std::uint64_t>(0.03 * 1024 * MiB));
  EXPECT_EQ(p.set_memory_limit(500 * MiB), 1024 * MiB);
  EXPECT_EQ(p.heap_goal(), 500 * MiB - 100 * MiB - 15 * MiB);
  EXPECT_TRUE(p.goal_from_limit());
  EXPECT_LT(p.trigger(), p.heap_goal());
  EXPECT_GE(p.trigger(), 200 * MiB);
  // Negative: no change (a query, as debug.SetMemoryLimit).
  EXPECT_EQ(p.set_memory_limit(-1), 500 * MiB);
  EXPECT_EQ(p.memory_limit(), static_cast<std::int64_t>(500 * MiB));
  // A limit under the live heap: the goal floors at marked + marked/32.
  p.set_memory_limit(150 * MiB);
  EXPECT_EQ(p.heap_goal(), 200 * MiB + 200 * MiB / 32);
  EXPECT_GT(p.trigger(), 200 * MiB);
  EXPECT_LT(p.trigger(), p.heap_goal());
  // Small heaps: at least 256 KiB of runway.
  Pacer q(100, 1 * MiB);
  feed_cycle(q, 2 * MiB, 0, 0, 0.05);
  EXPECT_EQ(q.heap_goal(), 2 * MiB + 256 * KiB);
  // No limit again: the GOGC goal.
  p.set_memory_limit(INT64_MAX);
  EXPECT_EQ(p.heap_goal(), 400 * MiB);
  EXPECT_FALSE(p.goal_from_limit());
}

// ---------------------------------------------------------------------------
// Simulations.

// Steady state: a constant program converges: peak heap within 10% of the
// goal (in fact within 1%), trigger constant, cons/mark measured exactly,
// and GC CPU during mark the 25% goal with next to no assists.
TEST(PacerSim, SteadyStateConvergesForGogc50_100_200) {
  for (int gogc : {50, 100, 200}) {
    Pacer pacer(gogc);
    SimParams prm;
    Sim sim(pacer, prm);
    const std::vector<CycleResult> rs = sim.run(300);
    double worst = 0, tmin = 1e30, tmax = 0, assist = 0, gc = 0, mark_cpu = 0;
    for (int i = 200; i < 300; i++) {
      const CycleResult& r = rs[i];
      worst = std::max(worst, std::fabs(static_cast<double>(r.peak) / static_cast<double>(r.goal) - 1));
      tmin = std::min(tmin, static_cast<double>(r.trigger));
      tmax = std::max(tmax, static_cast<double>(r.trigger));
      assist += r.assist_ns;
      gc += r.gc_cpu_ns;
      mark_cpu += r.mark_ns * prm.procs;
    }
    const CycleResult& last = rs.back();
    std::printf(
        "GOGC=%d: goal %.2f MiB, peak %.2f MiB (worst |peak/goal-1| %.4f), trigger %.2f MiB "
        "(%.3f of span, spread %.5f), cons/mark %.4f, GC CPU in mark %.3f, assist share %.4f\n",
        gogc, last.goal / double(MiB), last.peak / double(MiB), worst, last.trigger / double(MiB),
        frac_of_span(last.trigger, last.heap_marked_before, last.goal), (tmax - tmin) / tmax, pacer.cons_mark(),
        gc / mark_cpu, assist / gc);
    EXPECT_LE(worst, 0.10) << "GOGC=" << gogc;
    EXPECT_LE(worst, 0.01) << "GOGC=" << gogc;
    EXPECT_LE((tmax - tmin) / tmax, 0.001) << "GOGC=" << gogc;
    EXPECT_NEAR(pacer.cons_mark(), prm.alloc_per_ns / prm.scan_per_ns, 0.001) << "GOGC=" << gogc;
    EXPECT_NEAR(gc / mark_cpu, 0.25, 0.01) << "GOGC=" << gogc;
    EXPECT_LT(assist / gc, 0.02) << "GOGC=" << gogc;
    // The goal is GOGC's: heap_marked + (heap_marked + stacks + globals) x GOGC/100.
    const std::uint64_t m = last.heap_marked_before;
    EXPECT_EQ(last.goal, m + (m + prm.stacks + prm.globals) * gogc / 100) << "GOGC=" << gogc;
    const double f = frac_of_span(last.trigger, m, last.goal);
    EXPECT_GT(f, 0.70) << "GOGC=" << gogc;  // inside the band: the estimate, not a clamp, sets it
    EXPECT_LT(f, 0.95) << "GOGC=" << gogc;
  }
}

// A noisy program (allocation rate +-20% at random each cycle): peaks stay
// within 10% of the goal; assists absorb the fast cycles.
TEST(PacerSim, NoisyAllocationStaysWithinTenPercent) {
  for (int gogc : {50, 100, 200}) {
    Pacer pacer(gogc);
    SimParams prm;
    prm.jitter = 0.2;
    Sim sim(pacer, prm);
    const std::vector<CycleResult> rs = sim.run(300);
    double worst_over = 0, worst_under = 0;
    for (int i = 20; i < 300; i++) {
      const double e = static_cast<double>(rs[i].peak) / static_cast<double>(rs[i].goal) - 1;
      worst_over = std::max(worst_over, e);
      worst_under = std::min(worst_under, e);
    }
    std::printf("GOGC=%d noisy: peak/goal - 1 in [%.4f, %.4f]\n", gogc, worst_under, worst_over);
    EXPECT_LE(worst_over, 0.10) << gogc;
    EXPECT_GE(worst_under, -0.10) << gogc;
  }
}

// Allocation spike: the rate x10 for 5 cycles. Bound on the overshoot: the
// pacer can only miss by what is allocated before it can react — between
// the trigger and start_cycle (start latency), which the >= 5% headroom
// under the goal absorbs, and within one revise interval, during which an
// allocator runs at the last ratio. So: peak <= goal + spike rate x procs
// x one revise interval (the unassisted worst case). The trigger falls to
// the bottom of its band during the spike and comes back after it.
TEST(PacerSim, AllocationSpikeIsBoundedAndTheTriggerAdapts) {
  Pacer pacer(100);
  SimParams prm;
  Sim sim(pacer, prm);
  const std::vector<CycleResult> before = sim.run(100);
  const std::uint64_t steady_trigger = before.back().trigger;
  const double steady_frac = frac_of_span(steady_trigger, before.back().heap_marked_before, before.back().goal);
  sim.p.alloc_per_ns *= 10;
  const std::vector<CycleResult> spike = sim.run(5);
  sim.p.alloc_per_ns /= 10;
  const std::vector<CycleResult> after = sim.run(50);
  const double bound = prm.alloc_per_ns * 10 * prm.procs * prm.step_ns;
  for (int i = 0; i < 5; i++) {
    const CycleResult& r = spike[i];
    const double over = static_cast<double>(r.peak) - static_cast<double>(r.goal);
    std::printf("spike cycle %d: trigger %.3f of span, goal %.2f MiB, peak %.2f MiB (over by %.1f KiB, bound %.1f KiB), "
                "assist share of GC CPU %.3f\n",
                i, frac_of_span(r.trigger, r.heap_marked_before, r.goal), r.goal / double(MiB), r.peak / double(MiB),
                over / KiB, bound / KiB, r.assist_ns / r.gc_cpu_ns);
    EXPECT_LE(over, bound) << "spike cycle " << i;
    EXPECT_GT(r.assist_ns, 0.3 * r.gc_cpu_ns) << "assists must pay for the spike, cycle " << i;
  }
  // The first spike cycle still ran on the old trigger; from the second on,
  // the trigger is at the bottom of its band (the runway estimate is far
  // longer than the span).
  EXPECT_NEAR(frac_of_span(spike[0].trigger, spike[0].heap_marked_before, spike[0].goal), steady_frac, 0.01);
  for (int i = 1; i < 5; i++) {
    EXPECT_NEAR(frac_of_span(spike[i].trigger, spike[i].heap_marked_before, spike[i].goal), 0.70, 0.005) << i;
  }
  for (const CycleResult& r : after) EXPECT_LE(static_cast<double>(r.peak), static_cast<double>(r.goal) + bound);
  // Back to the steady trigger (within 1%) within 5 cycles of the spike.
  for (int i = 5; i < 50; i++) {
    EXPECT_NEAR(static_cast<double>(after[i].trigger), static_cast<double>(steady_trigger), 0.01 * steady_trigger)
        << "cycle " << i << " after the spike";
  }
  std::printf("steady trigger %.2f MiB (%.3f of span); 5 cycles after the spike %.2f MiB\n",
              steady_trigger / double(MiB), steady_frac, after[5].trigger / double(MiB));
}

// The live heap grows by half in one cycle: more scan work than expected.
// The goal stretches, but the peak stays within the 10% hard goal.
TEST(PacerSim, LiveHeapGrowthStaysUnderTheHardGoal) {
  Pacer pacer(100);
  SimParams prm;
  Sim sim(pacer, prm);
  sim.run(50);
  sim.p.live = prm.live * 3 / 2;
  const CycleResult r = sim.cycle();
  std::printf("live heap x1.5: goal %.2f MiB, peak %.2f MiB (%.4f)\n", r.goal / double(MiB), r.peak / double(MiB),
              static_cast<double>(r.peak) / static_cast<double>(r.goal));
  EXPECT_LE(static_cast<double>(r.peak), 1.10 * static_cast<double>(r.goal));
  EXPECT_GT(r.peak, r.goal);  // it did use some of the stretch
  // And the next cycles settle on the new live heap.
  const std::vector<CycleResult> rs = sim.run(20);
  EXPECT_NEAR(static_cast<double>(rs.back().peak) / static_cast<double>(rs.back().goal), 1.0, 0.01);
}

// Lowering GOMEMLIMIT mid-run moves the goal under it at once; the very
// next cycle's heap + non-heap memory stays under the limit.
TEST(PacerSim, LoweringTheMemoryLimitTakesEffectWithinOneCycle) {
  Pacer pacer(100);
  SimParams prm;
  Sim sim(pacer, prm);
  const std::vector<CycleResult> free_run = sim.run(50);
  const std::uint64_t old_goal = free_run.back().goal;
  const std::uint64_t limit = 128 * MiB;
  ASSERT_GT(old_goal + prm.non_heap, limit) << "the limit must bind";
  pacer.set_memory_limit(static_cast<std::int64_t>(limit));
  const std::uint64_t want = limit - prm.non_heap - static_cast<std::uint64_t>(0.03 * limit);
  EXPECT_EQ(pacer.heap_goal(), want);
  EXPECT_TRUE(pacer.goal_from_limit());
  EXPECT_LT(pacer.trigger(), want);
  const std::vector<CycleResult> rs = sim.run(50);
  for (size_t i = 0; i < rs.size(); i++) {
    EXPECT_LE(rs[i].peak + prm.non_heap, limit) << "cycle " << i;
    EXPECT_EQ(rs[i].goal, want) << "cycle " << i;
    EXPECT_LT(rs[i].trigger, rs[i].goal);
  }
  std::printf("limit 128 MiB: goal %.2f -> %.2f MiB, first cycle peak + non-heap %.2f MiB, trigger %.2f MiB\n",
              old_goal / double(MiB), want / double(MiB), (rs[0].peak + prm.non_heap) / double(MiB),
              rs[0].trigger / double(MiB));
}

// GOGC=off with a limit: only the limit sets the goal, and the trigger sits
// under it.
TEST(PacerSim, GogcOffWithLimitTriggersUnderTheLimit) {
  const std::uint64_t limit = 100 * MiB;
  Pacer pacer(-1, static_cast<std::int64_t>(limit));
  SimParams prm;
  prm.live = 32 * MiB;
  Sim sim(pacer, prm);
  pacer.set_non_heap_memory(prm.non_heap);
  const std::uint64_t want = limit - prm.non_heap - 3 * MiB;
  EXPECT_EQ(pacer.heap_goal(), want);
  EXPECT_LT(pacer.trigger(), want);
  const std::vector<CycleResult> rs = sim.run(100);
  for (size_t i = 0; i < rs.size(); i++) {
    EXPECT_EQ(rs[i].goal, want) << i;
    EXPECT_LT(rs[i].trigger, want) << i;
    EXPECT_LE(rs[i].peak + prm.non_heap, limit) << i;
  }
  EXPECT_NEAR(static_cast<double>(rs.back().peak) / static_cast<double>(want), 1.0, 0.01);
  EXPECT_TRUE(pacer.goal_from_limit());
  // Removing the limit with GOGC off: no more cycles.
  pacer.set_memory_limit(INT64_MAX);
  EXPECT_EQ(pacer.trigger(), UINT64_MAX);
  EXPECT_EQ(pacer.heap_goal(), UINT64_MAX);
}

// A live heap bigger than the limit: the goal floors at heap_marked + a
// little (no collapse), GC runs back to back, and the CPU limiter engages
// and holds GC near 50% of the CPU (without it: far more). Raising the
// limit lets the limiter go within a few cycles and it stays off.
TEST(PacerSim, LiveHeapOverTheLimitFloorsTheGoalAndTheLimiterCapsGcCpu) {
  SimParams prm;
  prm.live = 64 * MiB;
  prm.alloc_per_ns = 0.1;
  const std::int64_t limit = 48 * MiB;

  // Warm-up long enough to use the 4 CPU-s allowance, then measure.
  constexpr int kWarm = 150, kMeasured = 300;
  // Control: the same program without the limiter.
  double control_share = 0;
  {
    Pacer pacer(100, limit);
    Sim sim(pacer, prm);
    sim.run(kWarm);
    const double t0 = sim.now(), g0 = sim.gc_cpu();
    sim.run(kMeasured);
    control_share = (sim.gc_cpu() - g0) / ((sim.now() - t0) * prm.procs);
  }

  Pacer pacer(100, limit);
  CpuLimiter limiter;
  Sim sim(pacer, prm, &limiter);
  const std::vector<CycleResult> warm = sim.run(kWarm);
  const double t0 = sim.now(), g0 = sim.gc_cpu();
  const std::int64_t e0 = limiter.engaged_ns();
  const std::vector<CycleResult> rs = sim.run(kMeasured);
  const double share = (sim.gc_cpu() - g0) / ((sim.now() - t0) * prm.procs);
  int limited = 0;
  double max_over = 0;
  for (size_t i = 0; i < rs.size(); i++) {
    const CycleResult& r = rs[i];
    const std::uint64_t m = r.heap_marked_before;
    EXPECT_EQ(r.goal, m + m / 32) << "cycle " << i << ": the floor";
    EXPECT_GT(r.goal, r.heap_marked_before) << i;
    EXPECT_GE(r.trigger, m) << i;
    limited += r.limited;
    max_over = std::max(max_over, static_cast<double>(r.peak) / static_cast<double>(r.goal) - 1);
  }
  std::printf("live 64 MiB over a 48 MiB limit: GC CPU share %.3f with the limiter (%.3f without) over %.1f s, "
              "engaged %.1f%% of the time, %d/%d cycles limited, heap_marked %.2f MiB, goal %.2f MiB, "
              "peak over goal up to %.1f%%\n",
              share, control_share, (sim.now() - t0) / 1e9,
              100.0 * static_cast<double>(limiter.engaged_ns() - e0) / (sim.now() - t0), limited, kMeasured,
              rs.back().heap_marked / double(MiB), rs.back().goal / double(MiB), 100 * max_over);
  EXPECT_GT(control_share, 0.60) << "the program must need the limiter";
  EXPECT_GE(share, 0.45);
  EXPECT_LE(share, 0.55);
  EXPECT_GT(limited, kMeasured / 2);
  EXPECT_GT(limiter.engaged_ns(), 0);
  // The heap stays bounded (not a spiral): marked stays within 1.5x live.
  EXPECT_LT(rs.back().heap_marked, prm.live * 3 / 2);

  // Raise the limit: within 3 cycles the limiter is off, and stays off.
  pacer.set_memory_limit(INT64_MAX);
  sim.run(3);
  const std::int64_t engaged = limiter.engaged_ns();
  const double t1 = sim.now(), g1 = sim.gc_cpu();
  const std::vector<CycleResult> freed = sim.run(30);
  for (size_t i = 0; i < freed.size(); i++) EXPECT_FALSE(freed[i].limited) << "cycle " << i;
  EXPECT_FALSE(limiter.limiting());
  EXPECT_EQ(limiter.engaged_ns(), engaged);
  const double share_after = (sim.gc_cpu() - g1) / ((sim.now() - t1) * prm.procs);
  std::printf("after raising the limit: GC CPU share %.3f, goal %.2f MiB\n", share_after,
              freed.back().goal / double(MiB));
  EXPECT_LT(share_after, 0.25);
  EXPECT_FALSE(pacer.goal_from_limit());
}

}  // namespace
}  // namespace gort::gc
