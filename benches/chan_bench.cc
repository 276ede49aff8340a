// chan_bench.cc — channel and select benchmarks (issue 4; seed claims 307,
// 313) with OS-thread baselines. Go twins: benches/go/chan/chan_test.go,
// same names (C++ `Name/key:v` = Go `BenchmarkName/key=v`).
//
//   ChanPingPong/procs:P       two goroutines bouncing an int over two
//                              unbuffered channels; ns per one-way hand-off.
//   ChanBuffered/pairs:K/procs:P  K producers and K consumers on one cap-128
//                              channel of int; ns per element (1x1, 4x4).
//   ChanSelect/cases:N         select over N receive cases, all ready (closed
//                              channels: ready forever, nothing to refill);
//                              ns per select.
//   ChanSelectDefault          select { case <-c: default: } on an empty
//                              open channel; ns per select.
//   ChanThreadRing/procs:P     503 goroutines in a ring of unbuffered
//                              channels passing a token (the benchmarks game's
//                              thread-ring); ns per pass.
//   ChanSkynet/procs:P         skynet on channels: 1,111,111 goroutines in a
//                              10-ary tree, each leaf sends its number and
//                              each node the sum of its children's on its
//                              parent's unbuffered channel; ns per tree
//                              (sum 499999500000 checked).
// Baselines (impl os; no Go twin): the same hand-offs between OS threads on
// a std::mutex + std::condition_variable queue:
//   OsChanPingPong             ns per one-way hand-off between two threads.
//   OsChanBuffered             cap-128 queue, 1 producer 1 consumer thread;
//                              ns per element.
//
// All use real time: the benchmark body is a goroutine that may move between
// Ms, and its peers do the work on other threads.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "gort/chan.h"
#include "gort/runtime.h"
#include "gort/select.h"
#include "gort/sync.h"
#include "gort/syscall.h"

namespace {

// Procs sets GOMAXPROCS for a scope.
class Procs {
 public:
  explicit Procs(std::int64_t n) : prev_(gort::set_max_procs(static_cast<int>(n))) {}
  ~Procs() { gort::set_max_procs(prev_); }

 private:
  int prev_;
};

// ---- ChanPingPong ---------------------------------------------------------

void BM_ChanPingPong(benchmark::State& state) {
  Procs procs(state.range(0));
  auto ping = gort::make_chan<int>();
  auto pong = gort::make_chan<int>();
  gort::sync::wait_group wg;
  wg.add(1);
  gort::go([ping, pong, &wg] {
    for (;;) {
      int v = ping.recv();
      if (v < 0) break;
      pong.send(v);
    }
    wg.done();
  });
  int v = 0;
  while (state.KeepRunningBatch(2)) {  // two one-way hand-offs per round trip
    ping.send(v);
    v = pong.recv() + 1;
  }
  ping.send(-1);
  wg.wait();
  benchmark::DoNotOptimize(v);
}
BENCHMARK(BM_ChanPingPong)->Name("ChanPingPong")->ArgName("procs")->Arg(1)->Arg(2)->UseRealTime();

// ---- ChanBuffered ---------------------------------------------------------

void BM_ChanBuffered(benchmark::State& state) {
  const int pairs = static_cast<int>(state.range(0));
  Procs procs(state.range(1));
  // One iteration = one element through the channel.
  const std::int64_t per = std::max<std::int64_t>(1, state.max_iterations / pairs);
  std::vector<std::int64_t> sums(static_cast<std::size_t>(pairs));
  while (state.KeepRunningBatch(per * pairs)) {
    auto c = gort::make_chan<int>(128);
    gort::sync::wait_group wg;
    wg.add(2 * pairs);
    for (int p = 0; p < pairs; ++p) {
      gort::go([c, per, &wg] {
        for (std::int64_t i = 0; i < per; ++i) c.send(static_cast<int>(i));
        wg.done();
      });
      gort::go([c, per, &wg, &sums, p] {
        std::int64_t s = 0;
        for (std::int64_t i = 0; i < per; ++i) s += c.recv();
        sums[static_cast<std::size_t>(p)] = s;
        wg.done();
      });
    }
    wg.wait();
  }
  std::int64_t total = 0;
  for (std::int64_t s : sums) total += s;
  if (total != pairs * (per * (per - 1) / 2)) state.SkipWithError("lost or duplicated elements");
}
BENCHMARK(BM_ChanBuffered)
    ->Name("ChanBuffered")
    ->ArgNames({"pairs", "procs"})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({4, 2})
    ->UseRealTime();

// ---- ChanSelect -----------------------------------------------------------

void BM_ChanSelect(benchmark::State& state) {
  Procs procs(1);
  std::vector<gort::chan<int>> cs;
  for (int i = 0; i < 4; ++i) {
    cs.push_back(gort::make_chan<int>());
    cs.back().close();  // a closed channel is always ready to receive
  }
  std::int64_t hits[4] = {};
  if (state.range(0) == 2) {
    for (auto _ : state) {
      int i = gort::select(gort::recv(cs[0]), gort::recv(cs[1]));
      hits[i]++;
    }
  } else {
    for (auto _ : state) {
      int i = gort::select(gort::recv(cs[0]), gort::recv(cs[1]), gort::recv(cs[2]), gort::recv(cs[3]));
      hits[i]++;
    }
  }
  benchmark::DoNotOptimize(hits);
}
BENCHMARK(BM_ChanSelect)->Name("ChanSelect")->ArgName("cases")->Arg(2)->Arg(4)->UseRealTime();

// ---- ChanSelectDefault ----------------------------------------------------

void BM_ChanSelectDefault(benchmark::State& state) {
  Procs procs(1);
  auto c = gort::make_chan<int>();
  std::int64_t defaults = 0;
  for (auto _ : state) {
    gort::select(gort::recv(c), gort::otherwise([&] { ++defaults; }));
  }
  benchmark::DoNotOptimize(defaults);
  if (defaults != state.iterations()) state.SkipWithError("a case on an empty channel was chosen");
}
BENCHMARK(BM_ChanSelectDefault)->Name("ChanSelectDefault")->UseRealTime();

// ---- ChanThreadRing -------------------------------------------------------

void BM_ChanThreadRing(benchmark::State& state) {
  Procs procs(state.range(0));
  constexpr int kRing = 503;
  std::vector<gort::chan<int>> ring;
  for (int i = 0; i < kRing; ++i) ring.push_back(gort::make_chan<int>());
  auto done = gort::make_chan<int>();
  for (int i = 0; i < kRing; ++i) {
    gort::go([in = ring[static_cast<std::size_t>(i)],
              out = ring[static_cast<std::size_t>((i + 1) % kRing)], done, i] {
      for (;;) {
        int t = in.recv();
        if (t < 0) {  // shut down: pass it on, then leave
          out.send(t);
          return;
        }
        if (t == 0) {
          done.send(i);
        } else {
          out.send(t - 1);
        }
      }
    });
  }
  // One iteration = one pass of the token to the next goroutine.
  const std::int64_t passes = state.max_iterations;
  while (state.KeepRunningBatch(passes)) {
    ring[0].send(static_cast<int>(passes));
    benchmark::DoNotOptimize(done.recv());
  }
  // Shut the ring down: the -1 token goes round once; the last goroutine's
  // send lands on ring[0], which we drain.
  ring[0].send(-1);
  ring[0].recv();
}
BENCHMARK(BM_ChanThreadRing)
    ->Name("ChanThreadRing")
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

// ---- ChanSkynet -----------------------------------------------------------

void skynet(gort::chan<std::int64_t> parent, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    parent.send(num);
    return;
  }
  auto c = gort::make_chan<std::int64_t>();
  std::int64_t step = size / 10;
  for (int i = 0; i < 10; ++i) {
    gort::go([c, n = num + i * step, step] { skynet(c, n, step); });
  }
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += c.recv();
  parent.send(sum);
}

void BM_ChanSkynet(benchmark::State& state) {
  Procs procs(state.range(0));
  for (auto _ : state) {
    auto c = gort::make_chan<std::int64_t>();
    gort::go([c] { skynet(c, 0, 1'000'000); });
    std::int64_t sum = c.recv();
    if (sum != 499999500000) state.SkipWithError("wrong skynet sum");
  }
}
BENCHMARK(BM_ChanSkynet)
    ->Name("ChanSkynet")
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- OS-thread baselines ---------------------------------------------------

// OsChan is a bounded blocking queue on std::mutex + std::condition_variable
// (cap 0 behaves as a rendezvous: the sender waits until its value is taken).
class OsChan {
 public:
  explicit OsChan(std::size_t cap) : cap_(cap) {}
  void send(int v) {
    std::unique_lock<std::mutex> l(mu_);
    if (cap_ == 0) {
      not_full_.wait(l, [&] { return q_.empty(); });
      q_.push_back(v);
      std::uint64_t my = ++sent_;
      not_empty_.notify_one();
      taken_cv_.wait(l, [&] { return taken_ >= my; });
      return;
    }
    not_full_.wait(l, [&] { return q_.size() < cap_; });
    q_.push_back(v);
    not_empty_.notify_one();
  }
  int recv() {
    std::unique_lock<std::mutex> l(mu_);
    not_empty_.wait(l, [&] { return !q_.empty(); });
    int v = q_.front();
    q_.pop_front();
    if (cap_ == 0) {
      ++taken_;
      taken_cv_.notify_one();
    }
    not_full_.notify_one();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_, taken_cv_;
  std::deque<int> q_;
  std::size_t cap_;
  std::uint64_t sent_ = 0, taken_ = 0;
};

void BM_OsChanPingPong(benchmark::State& state) {
  OsChan ping(0), pong(0);
  std::thread t([&] {
    for (;;) {
      int v = ping.recv();
      if (v < 0) break;
      pong.send(v);
    }
  });
  int v = 0;
  {
    gort::syscall_guard g;  // this goroutine blocks its thread in the kernel
    while (state.KeepRunningBatch(2)) {
      ping.send(v);
      v = pong.recv() + 1;
    }
    ping.send(-1);
    t.join();
  }
}
BENCHMARK(BM_OsChanPingPong)->Name("OsChanPingPong")->UseRealTime();

void BM_OsChanBuffered(benchmark::State& state) {
  gort::syscall_guard g;  // this goroutine blocks its thread in join()
  const std::int64_t n = state.max_iterations;  // one iteration = one element
  while (state.KeepRunningBatch(n)) {
    OsChan c(128);
    std::int64_t sum = 0;
    std::thread prod([&] {
      for (std::int64_t i = 0; i < n; ++i) c.send(static_cast<int>(i));
    });
    std::thread cons([&] {
      for (std::int64_t i = 0; i < n; ++i) sum += c.recv();
    });
    prod.join();
    cons.join();
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_OsChanBuffered)->Name("OsChanBuffered")->UseRealTime();

}  // namespace
