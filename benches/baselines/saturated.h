// saturated.h — the ticker-beside-spinners experiment shared by
// timer_bench.cc (TimerSaturated, issue 9) and quota_bench.cc (QuotaTicker,
// the claim-308 quota grid): a 1 ms ticker's lateness while N goroutines
// spin without making runtime calls. See timer_bench.cc for the counters.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "baselines/sched_util.h"
#include "debug/knobs.h"
#include "gort/gort.h"
#include "sched/park.h"

namespace gort_bench {

inline constexpr std::int64_t kPeriod = 1000000;  // 1 ms

// Receives ticks for the benchmark's iterations and records lateness.
struct TickLog {
  std::vector<std::int64_t> late;
  std::int64_t t0 = 0, t1 = 0;
};

inline void run_ticker(benchmark::State& state, TickLog* log, Ticker* tk) {
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

inline void report_lateness(benchmark::State& state, TickLog& log, Ticker* tk) {
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
  state.counters["timerpreempt"] = gort::sched::timer_preempt_enabled() ? 1 : 0;
}

// Spinners: N goroutines running spin_work in a loop that makes no runtime
// call, publishing their step count every 1024 steps (relaxed stores into
// their own cache line), until told to stop.
struct alignas(64) SpinCounter {
  std::atomic<std::uint64_t> steps{0};
};

// run_saturated: a 1 ms ticker beside n spinners at GOMAXPROCS procs (<= 0:
// the runtime's own choice), reporting lateness and the spinners' work rate.
inline void run_saturated(benchmark::State& state, int n, long procs_arg) {
  ProcsScope procs(procs_arg);
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
}  // namespace gort_bench
