// timer_bench.cc — timer lateness (issue 2's target; issue 9; claims 301 and
// 308, and the quota experiment of issue 3). Go twins:
// benches/go/timer/timer_test.go, same names, same metric keys.
//
// The ticker is a runtime timer with a period (sched/timer.h) delivering to
// one goroutine with Go 1.23's ticker semantics (baselines/sched_util.h):
// one tick buffered, later ones dropped while it is unread, each tick carrying
// its scheduled time. Lateness of a tick = when the receiving goroutine runs
// again - the tick's scheduled time (the Go twin: time.Since(<-ticker.C),
// since Go 1.23 sends Now()-delta, the scheduled time). One op = one tick
// received, so ns/op is the mean interval between received ticks (1 ms when
// on time).
//
//   TimerLateness                 1 ms ticker, nothing else running.
//   TimerSaturated/n:N/procs:P    1 ms ticker beside N CPU-bound goroutines at
//                                 GOMAXPROCS=P, (N,P) in (1,2) (2,2) (2,1)
//                                 (4,2), and (2,0): procs:0 keeps the
//                                 runtime's own GOMAXPROCS (env or CPUs and
//                                 cgroup quota) for the harness's quota grid.
//
// Counters (both): p50_ns, p99_ns, max_ns, mean_ns (lateness), ticks (ticks
// received in the final run), ticks_per_s, dropped (ticks the ticker dropped
// because the previous one was unread), procs (GOMAXPROCS in effect) and
// timerpreempt (1/0: the runtime's sysmon timer preemption; TimerSaturated
// sets it per case with its timerpreempt:1/0 argument, so both modes run in
// one process; GODEBUG=timerpreempt=0 is the default's switch).
// TimerSaturated adds work_per_s: spin_work steps per second, summed over the
// N CPU-bound goroutines, over the same window (issue 9: within 2% with the
// mechanism on and off).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "baselines/saturated.h"
#include "baselines/sched_util.h"
#include "debug/knobs.h"
#include "gort/gort.h"

namespace {

using namespace gort_bench;

void BM_TimerLateness(benchmark::State& state) {
  TickLog log;
  Ticker* tk = Ticker::start(kPeriod);
  run_ticker(state, &log, tk);
  report_lateness(state, log, tk);
}
BENCHMARK(BM_TimerLateness)->Name("TimerLateness")->UseRealTime();

void BM_TimerSaturated(benchmark::State& state) {
  // timerpreempt:0/1 switches sysmon's timer preemption for this run, so the
  // mechanism's on and off figures come from one process, side by side.
  gort::sched::TimerPreemptScope mode(state.range(2) != 0);
  run_saturated(state, static_cast<int>(state.range(0)), state.range(1));
}
BENCHMARK(BM_TimerSaturated)
    ->Name("TimerSaturated")
    ->ArgNames({"n", "procs", "timerpreempt"})
    ->ArgsProduct({{1, 2, 4}, {2}, {1, 0}})
    ->ArgsProduct({{2}, {1, 0}, {1, 0}})
    ->UseRealTime();

}  // namespace
