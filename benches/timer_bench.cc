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
// timerpreempt (1/0: the runtime's sysmon timer preemption, GODEBUG=
// timerpreempt=0 turns it off; read back from the runtime's parsed knobs).
// TimerSaturated adds work_per_s: spin_work steps per second, summed over the
// N CPU-bound goroutines, over the same window (issue 9: within 2% with the
// mechanism on and off).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "baselines/sched_util.h"
#include "debug/knobs.h"
#include "gort/gort.h"

namespace {

using namespace gort_bench;

constexpr std::int64_t kPeriod = 1000000;  // 1 ms

// Receives ticks for the benchmark's iterations and records lateness.
struct TickLog {
  std::vector<std::int64_t> late;
  std::int64_t t0 = 0, t1 = 0;
};

void run_ticker(benchmark::State& state, TickLog* log, Ticker* tk) {
  log->late.reserve(static_cast<std::size_t>(state.max_iterations));
  log->t0 = gort::nanotime();
  for (auto _ : state) {
    std::int64_t slot = tk->recv();
    std::int64_t now = gort::nanotime();
    log->late.push_back(now > slot ? now - slot : 0);
  }
  log->t1 = gort::nanotime();
  tk->stop();
}

void report_lateness(benchmark::State& state, TickLog& log, Ticker* tk) {
  double sum = 0;
  for (std::int64_t v : log.late) sum += double(v);
  const double n = double(log.late.size());
  state.counters["mean_ns"] = n > 0 ? sum / n : 0;
  state.counters["p50_ns"] = percentile(log.late, 0.50);
  state.counters["p99_ns"] = percentile(log.late, 0.99);
  state.counters["max_ns"] = log.late.empty() ? 0 : double(log.late.back());
  state.counters["ticks"] = n;
  state.counters["ticks_per_s"] = log.t1 > log.t0 ? n * 1e9 / double(log.t1 - log.t0) : 0;
  state.counters["dropped"] = double(tk->dropped());
  state.counters["procs"] = gort::max_procs();
  state.counters["timerpreempt"] = gort::debug::knobs().timerpreempt ? 1 : 0;
}

void BM_TimerLateness(benchmark::State& state) {
  TickLog log;
  Ticker* tk = Ticker::start(kPeriod);
  run_ticker(state, &log, tk);
  report_lateness(state, log, tk);
}
BENCHMARK(BM_TimerLateness)->Name("TimerLateness")->UseRealTime();

// Spinners: N goroutines running spin_work in a loop that makes no runtime
// call, publishing their step count every 1024 steps (relaxed stores into
// their own cache line), until told to stop.
struct alignas(64) SpinCounter {
  std::atomic<std::uint64_t> steps{0};
};

void BM_TimerSaturated(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ProcsScope procs(state.range(1));
  std::vector<SpinCounter> counters(static_cast<std::size_t>(n));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sink{0};
  Latch stopped(n);
  for (int i = 0; i < n; i++) {
    SpinCounter* c = &counters[static_cast<std::size_t>(i)];
    std::atomic<bool>* st = &stop;
    std::atomic<std::uint64_t>* sk = &sink;
    Latch* l = &stopped;
    gort::go([c, st, sk, l, i] {
      std::uint64_t x = std::uint64_t(i) + 1, steps = 0;
      while (!st->load(std::memory_order_relaxed)) {
        x = spin_work(x, 1024);
        steps += 1024;
        c->steps.store(steps, std::memory_order_relaxed);
      }
      sk->fetch_xor(x, std::memory_order_relaxed);
      l->done();
    });
  }
  // Let every spinner get onto a P before the ticker starts.
  gort::sleep(std::chrono::milliseconds(5));
  auto total_steps = [&] {
    std::uint64_t s = 0;
    for (auto& c : counters) s += c.steps.load(std::memory_order_relaxed);
    return s;
  };
  TickLog log;
  const std::uint64_t w0 = total_steps();
  Ticker* tk = Ticker::start(kPeriod);
  run_ticker(state, &log, tk);
  const std::uint64_t w1 = total_steps();
  stop.store(true, std::memory_order_relaxed);
  stopped.wait();
  benchmark::DoNotOptimize(sink.load());
  report_lateness(state, log, tk);
  state.counters["work_per_s"] =
      log.t1 > log.t0 ? double(w1 - w0) * 1e9 / double(log.t1 - log.t0) : 0;
  state.counters["spinners"] = n;
}
BENCHMARK(BM_TimerSaturated)
    ->Name("TimerSaturated")
    ->ArgNames({"n", "procs"})
    ->Args({1, 2})
    ->Args({2, 2})
    ->Args({2, 1})
    ->Args({4, 2})
    ->Args({2, 0})
    ->UseRealTime();

}  // namespace
