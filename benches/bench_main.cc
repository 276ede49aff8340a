// bench_main.cc — the main() of every gort benchmark binary.
//
// Google Benchmark runs inside gort's main goroutine, so benchmark bodies may
// start goroutines, park and use channels directly. libgortbench (harness/),
// when built, pins each M as it starts and opens its counters, from flags
// --gort_pin=... --gort_counters=... that it removes from argv first.
#include <benchmark/benchmark.h>

#include "gort/runtime.h"
#ifdef GORT_HAVE_GORTBENCH
#include "gortbench/session.h"
#endif

int main(int argc, char** argv) {
#ifdef GORT_HAVE_GORTBENCH
  gortbench::Session session(&argc, argv);
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  return gort::run([] {
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  });
}
