// sync_bench.cc — gort::sync benchmarks (issue 4; seed claim 313) with
// std::mutex baselines. Go twins: benches/go/sync/sync_test.go, same names.
//
//   MutexUncontended           lock + unlock by one goroutine; ns per pair.
//   MutexContended/goroutines:N   N goroutines at GOMAXPROCS=2 each doing
//                              lock, a short critical section (a counter
//                              bump), unlock; ns per lock/unlock pair
//                              (all goroutines together).
//   WaitGroupAddDoneWait       add(1), done(), wait() by one goroutine; ns per
//                              round.
//   WaitGroupJoin/goroutines:N start N goroutines that each call done();
//                              wait; ns per goroutine joined.
// Baselines (impl std; no Go twin):
//   StdMutexUncontended        std::mutex lock + unlock, one thread.
//   StdMutexContended/threads:N   N OS threads, same critical section.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "gort/runtime.h"
#include "gort/syscall.h"
#include "gort/sync.h"

namespace {

class Procs {
 public:
  explicit Procs(std::int64_t n) : prev_(gort::set_max_procs(static_cast<int>(n))) {}
  ~Procs() { gort::set_max_procs(prev_); }

 private:
  int prev_;
};

void BM_MutexUncontended(benchmark::State& state) {
  gort::sync::mutex mu;
  std::int64_t counter = 0;
  for (auto _ : state) {
    mu.lock();
    ++counter;
    mu.unlock();
  }
  benchmark::DoNotOptimize(counter);
}
BENCHMARK(BM_MutexUncontended)->Name("MutexUncontended")->UseRealTime();

void BM_MutexContended(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Procs procs(2);
  gort::sync::mutex mu;
  std::int64_t counter = 0;  // guarded by mu
  const std::int64_t per = std::max<std::int64_t>(1, state.max_iterations / n);
  while (state.KeepRunningBatch(per * n)) {
    gort::sync::wait_group wg;
    wg.add(n);
    for (int g = 0; g < n; ++g) {
      gort::go([&mu, &counter, &wg, per] {
        for (std::int64_t i = 0; i < per; ++i) {
          mu.lock();
          ++counter;
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
  }
  benchmark::DoNotOptimize(counter);
}
BENCHMARK(BM_MutexContended)
    ->Name("MutexContended")
    ->ArgName("goroutines")
    ->Arg(2)
    ->Arg(8)
    ->UseRealTime();

void BM_WaitGroupAddDoneWait(benchmark::State& state) {
  gort::sync::wait_group wg;
  for (auto _ : state) {
    wg.add(1);
    wg.done();
    wg.wait();
  }
}
BENCHMARK(BM_WaitGroupAddDoneWait)->Name("WaitGroupAddDoneWait")->UseRealTime();

void BM_WaitGroupJoin(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Procs procs(2);
  while (state.KeepRunningBatch(n)) {
    gort::sync::wait_group wg;
    wg.add(n);
    for (int g = 0; g < n; ++g) gort::go([&wg] { wg.done(); });
    wg.wait();
  }
}
BENCHMARK(BM_WaitGroupJoin)->Name("WaitGroupJoin")->ArgName("goroutines")->Arg(8)->Arg(100)->UseRealTime();

// ---- std baselines --------------------------------------------------------

void BM_StdMutexUncontended(benchmark::State& state) {
  std::mutex mu;
  std::int64_t counter = 0;
  for (auto _ : state) {
    mu.lock();
    ++counter;
    mu.unlock();
  }
  benchmark::DoNotOptimize(counter);
}
BENCHMARK(BM_StdMutexUncontended)->Name("StdMutexUncontended")->UseRealTime();

void BM_StdMutexContended(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::mutex mu;
  std::int64_t counter = 0;
  const std::int64_t per = std::max<std::int64_t>(1, state.max_iterations / n);
  gort::syscall_guard g;  // the body blocks its thread in join()
  while (state.KeepRunningBatch(per * n)) {
    std::vector<std::thread> ts;
    for (int t = 0; t < n; ++t) {
      ts.emplace_back([&] {
        for (std::int64_t i = 0; i < per; ++i) {
          mu.lock();
          ++counter;
          mu.unlock();
        }
      });
    }
    for (auto& t : ts) t.join();
  }
  benchmark::DoNotOptimize(counter);
}
BENCHMARK(BM_StdMutexContended)->Name("StdMutexContended")->ArgName("threads")->Arg(2)->Arg(8)->UseRealTime();

}  // namespace
