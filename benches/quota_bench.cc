// quota_bench.cc — the claim-308 quota experiment, libgort's side (the Go twin
// is harness/go/quota): how late a 1 ms ticker runs beside CPU-bound
// goroutines under whatever CPU quota (cgroup) and GOMAXPROCS the harness
// sets (`gort-bench run --filter QuotaTicker --quota ... --procs ...`).
//
//   QuotaTicker/spinners:N   a 1 ms ticker beside N spinning goroutines at
//                            the runtime's GOMAXPROCS (from the environment,
//                            or the CPUs and the cgroup quota it reads).
// Counters: p50_late_ns, p99_late_ns, max_late_ns (the Go twin's keys), and
// the TimerSaturated set (p50_ns ..., procs, timerpreempt, work_per_s).
#include <benchmark/benchmark.h>

#include "baselines/saturated.h"

namespace {

void BM_QuotaTicker(benchmark::State& state) {
  gort_bench::run_saturated(state, static_cast<int>(state.range(0)), 0);
  state.counters["p50_late_ns"] = state.counters["p50_ns"];
  state.counters["p99_late_ns"] = state.counters["p99_ns"];
  state.counters["max_late_ns"] = state.counters["max_ns"];
}
BENCHMARK(BM_QuotaTicker)->Name("QuotaTicker")->ArgNames({"spinners"})->Arg(2)->UseRealTime();

}  // namespace
