// sched_bench.cc — the scheduler's benchmarks (issue 2; seed claims 301, 302,
// 305, 308) and their OS-thread / Boost.Context baselines. Go twins:
// benches/go/sched/sched_test.go, same names, same metric keys.
//
//   GoschedPingPong/procs:1   two goroutines alternating with gosched at 1 P;
//                             ns per switch (one op = one gosched).
//   SpawnJoin/procs:P         go + exit + join, ns per goroutine; batches of
//                             100 joined by a Latch (gopark/goready, like a
//                             WaitGroup), not by polling.
//   Skynet/procs:P            1,111,111 goroutines in a 10-ary tree summing
//                             the leaves (499999500000, checked); each node
//                             joins its 10 children with a Latch. ns per tree.
//   ParkedGoroutineMemory     RSS delta over 100k goroutines parked on a Gate
//                             (gopark), / 100k -> rss_per_g_bytes; measured in
//                             a fresh child process per repetition. ns/op is
//                             the spawn-until-parked time per goroutine.
//   FanOut/procs:P            fixed CPU-bound work split across 64 goroutines
//                             at GOMAXPROCS 1..32 (claim 308); ns per fan-out.
// Baselines (impl os / boost; no Go twin):
//   FutexPingPongSameCore / FutexPingPongCrossCore  two pinned OS threads
//                             handing a turn back and forth with futex
//                             wait/wake (no spinning); ns per one-way hand-off.
//                             Cross-core avoids an SMT sibling when it can.
//   BoostContextJump          jump_fcontext ping-pong; ns per jump.
//   ThreadCreateJoin          std::thread create + join; ns per thread.
//   ParkedThreadMemory        RSS per OS thread blocked on a condition
//                             variable (1000 threads), fresh child process.
//
// Every benchmark uses real time (names end in /real_time): the benchmark
// body is a goroutine that may move between Ms, so per-thread CPU time means
// nothing, and several bodies sleep while other threads work.
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <string>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#ifdef GORT_HAVE_BOOST_CONTEXT
#include <boost/context/detail/fcontext.hpp>
#endif

#include "baselines/sched_util.h"
#include "gort/gort.h"

namespace {

using namespace gort_bench;

// ---- GoschedPingPong ------------------------------------------------------

void BM_GoschedPingPong(benchmark::State& state) {
  ProcsScope procs(state.range(0));
  std::atomic<bool> stop{false};
  std::int64_t partner_yields = 0;
  Latch done(1);
  gort::go([&] {
    std::int64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      gort::gosched();
      n++;
    }
    partner_yields = n;
    done.done();
  });
  gort::gosched();  // let the partner start
  // Each gosched here switches to the partner, whose gosched switches back:
  // two switches per pass.
  while (state.KeepRunningBatch(2)) gort::gosched();
  stop.store(true, std::memory_order_relaxed);
  done.wait();
  // 1.0 when every gosched really switched to the other goroutine.
  state.counters["partner_yields_per_op"] =
      static_cast<double>(partner_yields) * 2 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_GoschedPingPong)->Name("GoschedPingPong")->ArgName("procs")->Arg(1)->UseRealTime();

// ---- SpawnJoin --------------------------------------------------------------

constexpr int kSpawnBatch = 100;

void BM_SpawnJoin(benchmark::State& state) {
  ProcsScope procs(state.range(0));
  Latch latch;
  while (state.KeepRunningBatch(kSpawnBatch)) {
    latch.reset(kSpawnBatch);
    for (int i = 0; i < kSpawnBatch; i++) gort::go([&latch] { latch.done(); });
    latch.wait();
  }
}
BENCHMARK(BM_SpawnJoin)->Name("SpawnJoin")->ArgName("procs")->Arg(1)->Arg(2)->UseRealTime();

// ---- Skynet -----------------------------------------------------------------

constexpr std::int64_t kSkynetSize = 1000000;
constexpr std::int64_t kSkynetSum = 499999500000;

void skynet(std::int64_t num, std::int64_t size, std::int64_t* out, Latch* parent) {
  if (size == 1) {
    *out = num;
    parent->done();
    return;
  }
  std::int64_t sums[10];
  Latch children(10);
  const std::int64_t child = size / 10;
  for (int i = 0; i < 10; i++) {
    std::int64_t* slot = &sums[i];
    Latch* l = &children;
    std::int64_t n = num + i * child;
    gort::go([n, child, slot, l] { skynet(n, child, slot, l); });
  }
  children.wait();
  std::int64_t total = 0;
  for (std::int64_t s : sums) total += s;
  *out = total;
  parent->done();
}

void BM_Skynet(benchmark::State& state) {
  ProcsScope procs(state.range(0));
  for (auto _ : state) {
    std::int64_t result = 0;
    Latch root(1);
    std::int64_t* out = &result;
    Latch* l = &root;
    gort::go([out, l] { skynet(0, kSkynetSize, out, l); });
    root.wait();
    if (result != kSkynetSum) {
      state.SkipWithError("skynet: wrong sum");
      break;
    }
  }
  state.counters["goroutines"] = 1111111;
}
BENCHMARK(BM_Skynet)->Name("Skynet")->ArgName("procs")->Arg(1)->Arg(2)->UseRealTime();

// ---- ParkedGoroutineMemory --------------------------------------------------

constexpr int kParkedGoroutines = 100000;

// In the child: park 100k goroutines on a Gate, read RSS, release and join.
void Child_ParkedGoroutines(benchmark::State& state) {
  for (auto _ : state) {
  }
  Gate gate(kParkedGoroutines);
  Latch exited(kParkedGoroutines);
  gort::sleep(std::chrono::milliseconds(20));  // let the runtime's own threads settle
  const std::int64_t rss0 = rss_bytes();
  const std::int64_t t0 = gort::nanotime();
  for (int i = 0; i < kParkedGoroutines; i++) {
    gort::go([&gate, &exited] {
      gate.wait();
      exited.done();
    });
  }
  while (gate.parked() < kParkedGoroutines) gort::sleep(std::chrono::microseconds(100));
  const std::int64_t t1 = gort::nanotime();
  const std::int64_t rss1 = rss_bytes();
  gate.open();
  exited.wait();
  write_child_result({{"rss_per_g_bytes", double(rss1 - rss0) / kParkedGoroutines},
                      {"ns_per_g", double(t1 - t0) / kParkedGoroutines},
                      {"rss_before_bytes", double(rss0)}});
}

// Reports a child's measurement: ns/op = child's ns_per_unit, the rest as
// counters. One op = one goroutine or thread (batch = units measured).
void report_child(benchmark::State& state, const char* child, int units, const char* ns_key) {
  while (state.KeepRunningBatch(units)) {
    std::string err;
    auto kv = run_child(child, &err);
    if (kv.empty()) {
      state.SkipWithError(err.c_str());
      return;
    }
    state.SetIterationTime(kv[ns_key] * units * 1e-9);
    for (auto& [k, v] : kv) {
      if (k != ns_key) state.counters[k] = v;
    }
  }
}

void BM_ParkedGoroutineMemory(benchmark::State& state) {
  report_child(state, "parked_goroutines", kParkedGoroutines, "ns_per_g");
}
// Manual time is the child's figure (no Iterations(): it would add a suffix
// to the name; Google Benchmark runs as many children as min_time needs).
BENCHMARK(BM_ParkedGoroutineMemory)->Name("ParkedGoroutineMemory")->UseManualTime();

// ---- FanOut (claim 308) -----------------------------------------------------

constexpr int kFanOutGoroutines = 64;
constexpr std::int64_t kFanOutSteps = 1 << 18;  // per goroutine; 16.8M steps in all

std::uint64_t fanout_expected() {
  static const std::uint64_t expected = [] {
    std::uint64_t x = 0;
    for (int i = 0; i < kFanOutGoroutines; i++) x ^= spin_work(std::uint64_t(i) + 1, kFanOutSteps);
    return x;
  }();
  return expected;
}

void BM_FanOut(benchmark::State& state) {
  const std::uint64_t expected = fanout_expected();
  ProcsScope procs(state.range(0));
  std::uint64_t results[kFanOutGoroutines];
  Latch latch;
  for (auto _ : state) {
    latch.reset(kFanOutGoroutines);
    for (int i = 0; i < kFanOutGoroutines; i++) {
      std::uint64_t* r = &results[i];
      Latch* l = &latch;
      gort::go([i, r, l] {
        *r = spin_work(std::uint64_t(i) + 1, kFanOutSteps);
        l->done();
      });
    }
    latch.wait();
    std::uint64_t x = 0;
    for (std::uint64_t r : results) x ^= r;
    if (x != expected) {
      state.SkipWithError("fan-out: wrong checksum");
      break;
    }
  }
  state.counters["procs"] = gort::max_procs();
}
BENCHMARK(BM_FanOut)
    ->Name("FanOut")
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->Arg(32)
    ->UseRealTime();

// ---- Baselines: OS threads --------------------------------------------------

long sys_futex(std::atomic<std::uint32_t>* addr, int op, std::uint32_t val) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), op, val, nullptr, nullptr, 0);
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// same_core_as reports whether CPUs a and b are SMT siblings of one core
// (sysfs thread_siblings_list; false when it cannot be read).
bool same_core_as(int a, int b) {
  std::string path = "/sys/devices/system/cpu/cpu" + std::to_string(a) + "/topology/thread_siblings_list";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  char buf[256] = {0};
  bool found = false;
  if (std::fgets(buf, sizeof buf, f) != nullptr) {
    // "0,8" or "0-1" style lists.
    for (char* tok = std::strtok(buf, ",\n"); tok != nullptr && !found; tok = std::strtok(nullptr, ",\n")) {
      int lo = 0, hi = 0;
      int n = std::sscanf(tok, "%d-%d", &lo, &hi);
      if (n == 1) hi = lo;
      if (n >= 1 && b >= lo && b <= hi) found = true;
    }
  }
  std::fclose(f);
  return found;
}

bool pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

// One-way hand-off between two pinned threads: `turn` says who may run (0:
// A, 1: B, 2: B must exit); each side blocks in FUTEX_WAIT until it is its
// turn and wakes the other with FUTEX_WAKE. A times its own loop.
void futex_pingpong(benchmark::State& state, bool same_core) {
  std::vector<int> cpus = allowed_cpus();
  if (cpus.empty() || (!same_core && cpus.size() < 2)) {
    state.SkipWithError("needs two allowed CPUs");
    return;
  }
  // Cross-core: the first allowed CPU on another core than cpu_a (not an SMT
  // sibling), else simply the next allowed CPU.
  const int cpu_a = cpus[0];
  int cpu_b = cpu_a;
  if (!same_core) {
    cpu_b = cpus[1];
    for (std::size_t i = 1; i < cpus.size(); i++) {
      if (!same_core_as(cpu_a, cpus[i])) {
        cpu_b = cpus[i];
        break;
      }
    }
  }
  while (state.KeepRunningBatch(state.max_iterations)) {
    const std::int64_t round_trips = (state.max_iterations + 1) / 2;
    std::atomic<std::uint32_t> turn{0};
    std::atomic<bool> b_ready{false};
    std::int64_t elapsed = 0;
    std::atomic<bool> pinned{true};
    {
      gort::syscall_guard in_syscall;  // this goroutine's M only waits below
      std::thread b([&] {
        if (!pin_self(cpu_b)) pinned.store(false);
        b_ready.store(true);
        for (;;) {
          std::uint32_t t = turn.load(std::memory_order_acquire);
          if (t == 2) return;
          if (t == 0) {
            sys_futex(&turn, FUTEX_WAIT_PRIVATE, 0);
            continue;
          }
          turn.store(0, std::memory_order_release);
          sys_futex(&turn, FUTEX_WAKE_PRIVATE, 1);
        }
      });
      std::thread a([&] {
        if (!pin_self(cpu_a)) pinned.store(false);
        while (!b_ready.load()) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // B reaches its wait
        const std::int64_t t0 = gort::nanotime();
        for (std::int64_t i = 0; i < round_trips; i++) {
          turn.store(1, std::memory_order_release);
          sys_futex(&turn, FUTEX_WAKE_PRIVATE, 1);
          while (turn.load(std::memory_order_acquire) != 0) sys_futex(&turn, FUTEX_WAIT_PRIVATE, 1);
        }
        elapsed = gort::nanotime() - t0;
        turn.store(2, std::memory_order_release);
        sys_futex(&turn, FUTEX_WAKE_PRIVATE, 1);
      });
      a.join();
      b.join();
    }
    if (!pinned) {
      state.SkipWithError("sched_setaffinity failed");
      return;
    }
    // round_trips * 2 hand-offs; scale to the batch's iteration count.
    state.SetIterationTime(double(elapsed) * 1e-9 * double(state.max_iterations) /
                           double(round_trips * 2));
  }
  state.counters["cpu_a"] = cpu_a;
  state.counters["cpu_b"] = cpu_b;
}

void BM_FutexPingPongSameCore(benchmark::State& state) { futex_pingpong(state, true); }
void BM_FutexPingPongCrossCore(benchmark::State& state) { futex_pingpong(state, false); }
BENCHMARK(BM_FutexPingPongSameCore)->Name("FutexPingPongSameCore")->UseManualTime();
BENCHMARK(BM_FutexPingPongCrossCore)->Name("FutexPingPongCrossCore")->UseManualTime();

void BM_ThreadCreateJoin(benchmark::State& state) {
  gort::syscall_guard in_syscall;  // the M blocks in join; let sysmon know
  for (auto _ : state) {
    std::thread t([] { benchmark::ClobberMemory(); });
    t.join();
  }
}
BENCHMARK(BM_ThreadCreateJoin)->Name("ThreadCreateJoin")->UseRealTime();

constexpr int kParkedThreads = 1000;

// In the child: 1000 threads blocked on one condition variable.
void Child_ParkedThreads(benchmark::State& state) {
  for (auto _ : state) {
  }
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int ready = 0;
  std::vector<std::thread> threads;
  threads.reserve(kParkedThreads);
  gort::syscall_guard in_syscall;
  const std::int64_t rss0 = rss_bytes();
  const std::int64_t t0 = gort::nanotime();
  for (int i = 0; i < kParkedThreads; i++) {
    threads.emplace_back([&] {
      std::unique_lock<std::mutex> l(mu);
      ready++;
      cv.notify_all();
      cv.wait(l, [&] { return release; });
    });
  }
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return ready == kParkedThreads; });
  }
  const std::int64_t t1 = gort::nanotime();
  const std::int64_t rss1 = rss_bytes();
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  write_child_result({{"rss_per_thread_bytes", double(rss1 - rss0) / kParkedThreads},
                      {"ns_per_thread", double(t1 - t0) / kParkedThreads},
                      {"rss_before_bytes", double(rss0)}});
}

void BM_ParkedThreadMemory(benchmark::State& state) {
  report_child(state, "parked_threads", kParkedThreads, "ns_per_thread");
}
BENCHMARK(BM_ParkedThreadMemory)->Name("ParkedThreadMemory")->UseManualTime();

// ---- Baseline: Boost.Context ------------------------------------------------

#ifdef GORT_HAVE_BOOST_CONTEXT
namespace bctx = boost::context::detail;

void jump_partner(bctx::transfer_t t) {
  for (;;) t = bctx::jump_fcontext(t.fctx, nullptr);
}

// A bare jump_fcontext ping-pong: the floor for a user-space switch.
void BM_BoostContextJump(benchmark::State& state) {
  constexpr std::size_t kStack = 64 * 1024;
  std::unique_ptr<char[]> stack(new char[kStack]);
  // No preemption while a foreign stack is live: the runtime's SIGURG path
  // must never find this goroutine on a stack it does not know.
  gort::sched::NoPreempt no_preempt;
  bctx::fcontext_t ctx = bctx::make_fcontext(stack.get() + kStack, kStack, jump_partner);
  bctx::transfer_t t = bctx::jump_fcontext(ctx, nullptr);  // partner starts, jumps back
  while (state.KeepRunningBatch(2)) t = bctx::jump_fcontext(t.fctx, nullptr);
  // The partner stays suspended forever; its stack is simply freed.
}
BENCHMARK(BM_BoostContextJump)->Name("BoostContextJump")->UseRealTime();
#endif

// ---- child registration -----------------------------------------------------

// Registered only in a child started by run_child(), so normal runs never
// list them.
const bool kChildRegistered = [] {
  const char* c = child_name();
  if (c == nullptr) return false;
  if (std::strcmp(c, "parked_goroutines") == 0)
    benchmark::RegisterBenchmark("Child/parked_goroutines", Child_ParkedGoroutines)->Iterations(1);
  if (std::strcmp(c, "parked_threads") == 0)
    benchmark::RegisterBenchmark("Child/parked_threads", Child_ParkedThreads)->Iterations(1);
  return true;
}();

}  // namespace
