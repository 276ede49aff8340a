// fake_bench.cc — a tiny Google Benchmark binary standing in for
// gort_bench_<sub> in cli_test: it accepts (and ignores) the --gort_* flags
// libgortbench would take, so the runner's whole path can be tested before
// the runtime links. FakeSpin/impl:os and FakeCrash (which dies when
// FAKE_CRASH is set) exercise entries and failures; FakeSlow runs as long as
// --benchmark_min_time says.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>

static void FakeSpin(benchmark::State& state) {
  for (auto _ : state) {
    volatile int x = 0;
    for (int i = 0; i < 100; i++) x = x + i;
  }
  state.counters["spins_per_op"] = 100;
}
BENCHMARK(FakeSpin)->Name("FakeSpin/impl:os")->Arg(64)->MinTime(0.01);

static void FakeCrash(benchmark::State& state) {
  if (std::getenv("FAKE_CRASH")) std::abort();
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
}
BENCHMARK(FakeCrash)->MinTime(0.01);

// FakeSlow takes its time from --benchmark_min_time (no MinTime of its own).
static void FakeSlow(benchmark::State& state) {
  for (auto _ : state) {
    volatile int x = 0;
    for (int i = 0; i < 100000; i++) x = x + i;
  }
}
BENCHMARK(FakeSlow);

int main(int argc, char** argv) {
  int w = 1;
  for (int r = 1; r < argc; r++)
    if (std::strncmp(argv[r], "--gort_", 7) != 0) argv[w++] = argv[r];
  argc = w;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
