// gc_bench.cc — the garbage collector's benchmarks (issue 6; claims 303 and
// 304) on libgort's collector (gort/gc.h). Go twins: benches/go/gc (same
// names, key=value for key:value, same metric keys); the Boehm baseline is
// benches/baselines/gc_boehm.cc (binary gort_bench_gc_boehm, impl "boehm").
//
//   BinaryTrees/depth:D  the Benchmarks Game's binary-trees at max depth D
//                        (stretch tree D+1, long-lived tree D, then 2^(D-d+4)
//                        trees of each depth d = 4, 6, ... D), sequential: one
//                        mutator goroutine. One op = the whole program.
//                        Metrics checksum, gc_cycles_per_op.
//   GCBench              Boehm–Ellis GCBench (stretch tree 18, long-lived tree
//                        16, 500,000 doubles, top-down and bottom-up trees of
//                        depth 4..16). One op = the program.
//   GCChurn/live_mib:L/procs:2   steady state: L MiB live (chains of four
//                        64-byte objects, one per slot of a GC pointer array)
//                        that two goroutines replace slot by slot at
//                        GOMAXPROCS=2 for 1 s (L=16, quick suite) or 5 s
//                        (L=256). ns/op = wall time per chain replaced (both
//                        goroutines together; manual time, one iteration).
//   GCGoalSweep/gogc:G/procs:2   G in 25, 50, 100, 200, 400: the same churn
//                        with 64 MiB live and 1 GiB allocated in total.
//   WriteBarrier/barrier:off|on  one gc::ptr store into a heap slot. off:
//                        GOGC off and no cycle (the barrier's flag test
//                        only). on: 64 MiB pointer-dense live heap, a forced
//                        cycle marking it while the stores run (the store
//                        rounds start once gc::detail::g_wb_enabled is set;
//                        rounds_in_mark is the share of rounds that ended
//                        with it still set, cycles the cycles used).
//   ReadMemStats/heap_mib:256, MetricsRead/heap_mib:256   gc::read_mem_stats
//                        (stops the world) vs gc::read_metrics (lock-free),
//                        with 256 MiB live in 64 KiB pointer-free blocks.
//
// GCChurn / GCGoalSweep metrics, from gc::read_metrics deltas over the
// window and gc::cycle_records of the cycles that ended inside it:
//   sweep_term_p50_ns/_p99_ns/_max_ns, mark_term_p50_ns/_p99_ns/_max_ns
//       the two stop-the-world phases: the per-phase pause histograms' delta
//       (every stop, mark-termination attempts that restarted the mark
//       included; bucket midpoints, within 10%; max exact when the window set
//       a new maximum); sweep_term_pauses / mark_term_pauses count them
//   cycles, gc_cpu_fraction (gc_cpu_ns / total_cpu_ns, Go's definition),
//   assist_share (assist_cpu_ns / gc_cpu_ns), peak_heap_per_goal (max over
//   cycles of heap at mark termination / goal), peak_heap_bytes, goal_bytes
//   and live_bytes (medians; live = marked), goal_per_live,
//   mark_mb_per_cpu_s (bytes marked / (assist + worker CPU), MB = 1e6),
//   steps_per_s, alloc_bytes_per_s, window_s, procs.
//
// Real time throughout: bodies are goroutines that may move between Ms.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "gort/gc.h"
#include "gort/gort.h"

namespace {

namespace gc = gort::gc;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

double median(const std::vector<double>& v) { return quantile(v, 0.5); }

// trace_marker prints one of the harness's marker lines ("gort-bench run",
// "gort-bench window begin|end"; harness/src/bench_output.cc,
// parse_gc_trace) on stderr among gctrace's lines, when GODEBUG has
// gctrace=1: they tell Google Benchmark's calibration runs and the setup
// before a measured window from the cycles measured.
void trace_marker(const char* line) {
  static const bool on = [] {
    const char* g = std::getenv("GODEBUG");
    return g != nullptr && std::strstr(g, "gctrace=1") != nullptr;
  }();
  if (!on) return;
  ssize_t w = ::write(2, line, std::strlen(line));
  (void)w;
}

// ProcsScope sets GOMAXPROCS for a benchmark and restores it.
struct ProcsScope {
  explicit ProcsScope(int n) : prev(gort::set_max_procs(n)) {}
  ~ProcsScope() { gort::set_max_procs(prev); }
  int prev;
};

// GCPercentScope sets GOGC (negative: off) and restores it.
struct GCPercentScope {
  explicit GCPercentScope(int p) : prev(gort::debug::set_gc_percent(p)) {}
  ~GCPercentScope() { gort::debug::set_gc_percent(prev); }
  int prev;
};

// ---- BinaryTrees ------------------------------------------------------------

struct Node {
  gc::ptr<Node> left, right;
};

gc::ptr<Node> bottom_up(int depth) {
  gc::ptr<Node> n = gort::make<Node>();
  if (depth > 0) {
    n->left = bottom_up(depth - 1);
    n->right = bottom_up(depth - 1);
  }
  return n;
}

long check(const Node* n) { return !n->left ? 1 : 1 + check(n->left.get()) + check(n->right.get()); }

long binary_trees(int max_depth) {
  constexpr int kMin = 4;
  max_depth = std::max(max_depth, kMin + 2);
  long sum = check(bottom_up(max_depth + 1).get());
  gc::ptr<Node> long_lived = bottom_up(max_depth);
  for (int d = kMin; d <= max_depth; d += 2) {
    const long iters = 1L << (max_depth - d + kMin);
    long c = 0;
    for (long i = 0; i < iters; ++i) c += check(bottom_up(d).get());
    sum += c;
  }
  sum += check(long_lived.get());
  benchmark::DoNotOptimize(long_lived);
  return sum;
}

void BM_BinaryTrees(benchmark::State& state, int depth) {
  trace_marker("gort-bench run\n");
  gc::collect();
  const std::uint64_t c0 = gc::read_metrics().cycles;
  long sum = 0;
  trace_marker("gort-bench window begin\n");
  for (auto _ : state) sum = binary_trees(depth);
  trace_marker("gort-bench window end\n");
  state.counters["gc_cycles_per_op"] =
      static_cast<double>(gc::read_metrics().cycles - c0) / static_cast<double>(state.iterations());
  state.counters["checksum"] = static_cast<double>(sum);
}

// ---- GCBench (Boehm–Ellis) ---------------------------------------------------

struct GNode {
  gc::ptr<GNode> left, right;
  std::int32_t i = 0, j = 0;
};

constexpr int kStretchDepth = 18, kLongLivedDepth = 16, kArraySize = 500000, kMinTree = 4, kMaxTree = 16;

int tree_size(int i) { return (1 << (i + 1)) - 1; }
int num_iters(int i) { return 2 * tree_size(kStretchDepth) / tree_size(i); }

void populate(int depth, const gc::ptr<GNode>& n) {
  if (depth <= 0) return;
  --depth;
  n->left = gort::make<GNode>();
  n->right = gort::make<GNode>();
  populate(depth, n->left);
  populate(depth, n->right);
}

gc::ptr<GNode> make_tree(int depth) {
  gc::ptr<GNode> n = gort::make<GNode>();
  if (depth > 0) {
    n->left = make_tree(depth - 1);
    n->right = make_tree(depth - 1);
  }
  return n;
}

bool gc_bench() {
  gc::ptr<GNode> temp = make_tree(kStretchDepth);
  benchmark::DoNotOptimize(temp);
  temp = nullptr;
  gc::ptr<GNode> long_lived = gort::make<GNode>();
  populate(kLongLivedDepth, long_lived);
  gc::ptr<double> array = gort::make_array<double>(kArraySize);
  for (int i = 1; i < kArraySize / 2; ++i) array[i] = 1.0 / i;
  for (int d = kMinTree; d <= kMaxTree; d += 2) {
    const int iters = num_iters(d);
    for (int i = 0; i < iters; ++i) {
      temp = gort::make<GNode>();
      populate(d, temp);
    }
    for (int i = 0; i < iters; ++i) temp = make_tree(d);
  }
  benchmark::DoNotOptimize(temp);
  const bool ok = long_lived->left && array[1000] == 1.0 / 1000;
  benchmark::DoNotOptimize(long_lived);
  return ok;
}

void BM_GCBench(benchmark::State& state) {
  trace_marker("gort-bench run\n");
  gc::collect();
  const std::uint64_t c0 = gc::read_metrics().cycles;
  trace_marker("gort-bench window begin\n");
  for (auto _ : state) {
    if (!gc_bench()) state.SkipWithError("GCBench: long-lived data lost");
  }
  trace_marker("gort-bench window end\n");
  state.counters["gc_cycles_per_op"] =
      static_cast<double>(gc::read_metrics().cycles - c0) / static_cast<double>(state.iterations());
}

// ---- churn (GCChurn, GCGoalSweep) ----------------------------------------------

struct Obj {
  gc::ptr<Obj> next, other;
  std::uint64_t pad[6] = {};
};
static_assert(sizeof(Obj) == 64);
constexpr int kChainLen = 4;
constexpr std::size_t kChainBytes = kChainLen * sizeof(Obj);
using Slot = gc::ptr<Obj>;

gc::ptr<Obj> new_chain(std::uint64_t seed) {
  gc::ptr<Obj> head;
  for (int i = 0; i < kChainLen; ++i) {
    gc::ptr<Obj> o = gort::make<Obj>();
    o->next = head;
    if (head) o->other = head->next;
    o->pad[0] = seed;
    head = o;
  }
  return head;
}

gc::ptr<Slot> make_live(std::size_t live_bytes, std::size_t* nslots) {
  *nslots = live_bytes / kChainBytes;
  gc::ptr<Slot> slots = gort::make_array<Slot>(*nslots);
  for (std::size_t i = 0; i < *nslots; ++i) slots[i] = new_chain(i);
  return slots;
}

struct ChurnResult {
  double secs = 0;
  std::int64_t steps = 0;
  gc::Metrics m0, m1;
  std::vector<gc::CycleRecord> cycles;  // those that started inside the window
};

// churn runs two goroutines replacing chains for `seconds` (or until
// `bytes` are allocated, when > 0) and collects the window's cycle records.
ChurnResult churn(const gc::ptr<Slot>& slots, std::size_t nslots, double seconds, std::int64_t bytes) {
  constexpr int kWorkers = 2;
  ChurnResult r;
  const std::size_t per = nslots / kWorkers;
  const std::int64_t per_worker = bytes > 0 ? bytes / static_cast<std::int64_t>(kChainBytes) / kWorkers : 0;
  std::int64_t steps[kWorkers] = {};
  r.m0 = gc::read_metrics();
  trace_marker("gort-bench window begin\n");
  const std::int64_t t0 = now_ns();
  const std::int64_t deadline = t0 + static_cast<std::int64_t>(seconds * 1e9);
  gort::sync::wait_group wg;
  wg.add(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    gort::go([&, w] {
      std::uint64_t x = static_cast<std::uint64_t>(w) * 0x9E3779B97F4A7C15ull + 1;
      const std::size_t base = static_cast<std::size_t>(w) * per;
      std::int64_t n = 0;
      for (;;) {
        for (int k = 0; k < 256; ++k) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          slots[base + x % per] = new_chain(x);
        }
        n += 256;
        if (per_worker > 0 ? n >= per_worker : now_ns() >= deadline) break;
      }
      steps[w] = n;
      wg.done();
    });
  }
  wg.wait();
  const std::int64_t t1 = now_ns();
  r.m1 = gc::read_metrics();
  trace_marker("gort-bench window end\n");
  r.secs = static_cast<double>(t1 - t0) / 1e9;
  for (std::int64_t s : steps) r.steps += s;
  // The cycles of the window: numbered after the last one finished before it.
  std::vector<gc::CycleRecord> all(4096);
  all.resize(gc::cycle_records(all.data(), all.size(), 0));
  for (const gc::CycleRecord& c : all)
    if (c.cycle > r.m0.cycles && c.cycle <= r.m1.cycles) r.cycles.push_back(c);
  return r;
}

// window_pauses is one phase's pause histogram over the window (m1 - m0):
// every stop of that phase, mark-termination attempts that found more work
// and restarted the mark included (a cycle record keeps only the last).
// Quantiles are bucket midpoints (quarter powers of two: within 10%); the
// max is exact when the window set a new maximum, else the upper edge of
// the highest bucket used.
struct WindowPauses {
  gc::PhaseHistogram h;
  double max_ns = 0;
};

WindowPauses window_pauses(const gc::Metrics& m0, const gc::Metrics& m1, gc::Phase phase) {
  const gc::PhaseHistogram& a = m0.pause[static_cast<int>(phase)];
  const gc::PhaseHistogram& b = m1.pause[static_cast<int>(phase)];
  WindowPauses w;
  w.h.count = b.count - a.count;
  w.h.total_ns = b.total_ns - a.total_ns;
  int top = -1;
  for (int i = 0; i < gc::kPauseBuckets; ++i) {
    w.h.buckets[i] = b.buckets[i] - a.buckets[i];
    if (w.h.buckets[i] != 0) top = i;
  }
  if (b.max_ns > a.max_ns) w.max_ns = static_cast<double>(b.max_ns);
  else if (top >= 0) w.max_ns = std::min(std::exp2((top + 1) / 4.0), static_cast<double>(b.max_ns));
  w.h.max_ns = static_cast<std::uint64_t>(w.max_ns);
  return w;
}

void report_churn(benchmark::State& state, const ChurnResult& r) {
  std::vector<double> goal, live;
  double peak = 0, peak_per_goal = 0, marked = 0, mark_cpu = 0;
  for (const gc::CycleRecord& c : r.cycles) {
    goal.push_back(static_cast<double>(c.heap_goal));
    live.push_back(static_cast<double>(c.heap_marked));
    peak = std::max(peak, static_cast<double>(c.heap_at_mark_term));
    if (c.heap_goal > 0)
      peak_per_goal = std::max(peak_per_goal, static_cast<double>(c.heap_at_mark_term) / static_cast<double>(c.heap_goal));
    marked += static_cast<double>(c.heap_marked);
    mark_cpu += static_cast<double>(c.assist_ns + c.worker_ns);
  }
  auto& k = state.counters;
  k["cycles"] = static_cast<double>(r.cycles.size());
  for (auto [stem, phase] : {std::pair{"sweep_term", gc::Phase::kSweepTermination},
                             std::pair{"mark_term", gc::Phase::kMarkTermination}}) {
    const WindowPauses w = window_pauses(r.m0, r.m1, phase);
    if (w.h.count == 0) continue;
    const std::string s(stem);
    k[s + "_p50_ns"] = w.h.quantile(0.5);
    k[s + "_p99_ns"] = w.h.quantile(0.99);
    k[s + "_max_ns"] = w.max_ns;
    k[s + "_pauses"] = static_cast<double>(w.h.count);
  }
  if (!r.cycles.empty()) {
    k["peak_heap_per_goal"] = peak_per_goal;
    k["peak_heap_bytes"] = peak;
    k["goal_bytes"] = median(goal);
    k["live_bytes"] = median(live);
    if (median(live) > 0) k["goal_per_live"] = median(goal) / median(live);
    if (mark_cpu > 0) k["mark_mb_per_cpu_s"] = marked / 1e6 / (mark_cpu / 1e9);
  }
  const double gc_cpu = static_cast<double>(r.m1.gc_cpu_ns - r.m0.gc_cpu_ns);
  const double total_cpu = static_cast<double>(r.m1.total_cpu_ns - r.m0.total_cpu_ns);
  if (total_cpu > 0) k["gc_cpu_fraction"] = gc_cpu / total_cpu;
  if (gc_cpu > 0) k["assist_share"] = static_cast<double>(r.m1.assist_cpu_ns - r.m0.assist_cpu_ns) / gc_cpu;
  if (r.secs > 0) {
    k["steps_per_s"] = static_cast<double>(r.steps) / r.secs;
    k["alloc_bytes_per_s"] = static_cast<double>(r.steps) * kChainBytes / r.secs;
  }
  k["window_s"] = r.secs;
  k["procs"] = gort::max_procs();
}

void BM_GCChurn(benchmark::State& state, int live_mib, double seconds) {
  trace_marker("gort-bench run\n");
  ProcsScope procs(2);
  std::size_t nslots = 0;
  gc::ptr<Slot> slots = make_live(static_cast<std::size_t>(live_mib) << 20, &nslots);
  gc::root<Slot> keep(slots);
  gc::collect();
  ChurnResult r;
  for (auto _ : state) {
    r = churn(slots, nslots, seconds, 0);
    state.SetIterationTime(r.steps > 0 ? r.secs / static_cast<double>(r.steps) : 0);  // ns/op per chain
  }
  report_churn(state, r);
}

void BM_GCGoalSweep(benchmark::State& state, int gogc) {
  trace_marker("gort-bench run\n");
  ProcsScope procs(2);
  GCPercentScope pct(gogc);
  std::size_t nslots = 0;
  gc::ptr<Slot> slots = make_live(std::size_t{64} << 20, &nslots);
  gc::root<Slot> keep(slots);
  gc::collect();
  ChurnResult r;
  for (auto _ : state) {
    r = churn(slots, nslots, 0, std::int64_t{1} << 30);
    state.SetIterationTime(r.steps > 0 ? r.secs / static_cast<double>(r.steps) : 0);
  }
  report_churn(state, r);
  state.counters["gogc"] = gogc;
}

// ---- WriteBarrier ------------------------------------------------------------------

constexpr std::size_t kWbSlots = 1 << 12;  // destination slots: 32 KiB, in cache
constexpr std::int64_t kWbRound = 2048;    // stores between (untimed) checks

void BM_WriteBarrier(benchmark::State& state, bool on) {
  GCPercentScope off(-1);  // only the cycles forced below run
  gc::ptr<Slot> live;
  std::size_t nlive = 0;
  if (on) live = make_live(std::size_t{64} << 20, &nlive);
  gc::root<Slot> keep_live(live);
  gc::collect();
  gc::ptr<Slot> dst = gort::make_array<Slot>(kWbSlots);
  gc::ptr<Slot> src = gort::make_array<Slot>(kWbSlots);
  for (std::size_t i = 0; i < kWbSlots; ++i) src[i] = gort::make<Obj>();
  gc::root<Slot> keep_dst(dst), keep_src(src);

  std::atomic<bool> collecting{false};
  auto start_cycle = [&collecting] {
    collecting.store(true);
    gort::go([&collecting] {
      gc::collect();
      collecting.store(false);
    });
    // Marking has begun once sweep termination turned the barrier on.
    while (!gc::detail::g_wb_enabled.load(std::memory_order_acquire)) gort::gosched();
  };
  auto finish_cycle = [&collecting] {
    while (collecting.load()) gort::gosched();
  };
  if (on) start_cycle();
  // Rounds of kWbRound stores, each timed with the steady clock (manual
  // time, as the Go twin times its rounds with time.Now: Google Benchmark's
  // PauseTiming reads the thread CPU clock, a system call, per round).
  std::int64_t i = 0, rounds = 0, rounds_in_mark = 0, cycles = on ? 1 : 0;
  while (state.KeepRunningBatch(kWbRound)) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t k = 0; k < kWbRound; ++k, ++i)
      dst[static_cast<std::size_t>(i) & (kWbSlots - 1)] = src[static_cast<std::size_t>(i * 7) & (kWbSlots - 1)];
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    ++rounds;
    if (on) {
      if (gc::detail::g_wb_enabled.load(std::memory_order_acquire)) {
        ++rounds_in_mark;
      } else {  // mark ended during this round: run the next cycle
        finish_cycle();
        start_cycle();
        ++cycles;
      }
    }
  }
  if (on) finish_cycle();
  state.counters["rounds"] = static_cast<double>(rounds);
  if (on) {
    state.counters["rounds_in_mark"] = rounds > 0 ? static_cast<double>(rounds_in_mark) / static_cast<double>(rounds) : 0;
    state.counters["cycles"] = static_cast<double>(cycles);
  }
}

// ---- ReadMemStats vs MetricsRead -------------------------------------------------------

// heap_256 makes 256 MiB live: 64 KiB pointer-free blocks (as the Go twin;
// what the heap holds does not change what the two reads do).
gc::ptr<gc::ptr<std::uint64_t>> heap_256() {
  constexpr std::size_t kBlock = std::size_t{64} << 10;
  constexpr std::size_t kBlocks = (std::size_t{256} << 20) / kBlock;
  gc::ptr<gc::ptr<std::uint64_t>> blocks = gort::make_array<gc::ptr<std::uint64_t>>(kBlocks);
  for (std::size_t i = 0; i < kBlocks; ++i) blocks[i] = gort::make_array<std::uint64_t>(kBlock / 8);
  gc::collect();
  return blocks;
}

void BM_ReadMemStats(benchmark::State& state) {
  gc::root<gc::ptr<std::uint64_t>> keep(heap_256());
  gc::MemStats ms{};
  for (auto _ : state) {
    ms = gc::read_mem_stats();
    benchmark::DoNotOptimize(ms);
  }
  state.counters["heap_alloc_bytes"] = static_cast<double>(ms.heap_alloc);
}

void BM_MetricsRead(benchmark::State& state) {
  gc::root<gc::ptr<std::uint64_t>> keep(heap_256());
  gc::Metrics m{};
  for (auto _ : state) {
    m = gc::read_metrics();
    benchmark::DoNotOptimize(m);
  }
  state.counters["heap_live_bytes"] = static_cast<double>(m.heap_live);
}

// ---- registration ----------------------------------------------------------------------

int register_all() {
  for (int d : {14, 16, 17, 18, 19, 20, 21}) {
    benchmark::RegisterBenchmark(("BinaryTrees/depth:" + std::to_string(d)).c_str(),
                                 [d](benchmark::State& st) { BM_BinaryTrees(st, d); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("GCBench", BM_GCBench)->UseRealTime()->Unit(benchmark::kMillisecond);
  for (auto [live, secs] : {std::pair{16, 1.0}, std::pair{256, 5.0}}) {
    benchmark::RegisterBenchmark(("GCChurn/live_mib:" + std::to_string(live) + "/procs:2").c_str(),
                                 [live, secs](benchmark::State& st) { BM_GCChurn(st, live, secs); })
        ->UseManualTime()
        ->Iterations(1);
  }
  for (int g : {25, 50, 100, 200, 400}) {
    benchmark::RegisterBenchmark(("GCGoalSweep/gogc:" + std::to_string(g) + "/procs:2").c_str(),
                                 [g](benchmark::State& st) { BM_GCGoalSweep(st, g); })
        ->UseManualTime()
        ->Iterations(1);
  }
  for (bool on : {false, true}) {
    benchmark::RegisterBenchmark(on ? "WriteBarrier/barrier:on" : "WriteBarrier/barrier:off",
                                 [on](benchmark::State& st) { BM_WriteBarrier(st, on); })
        ->UseManualTime()
        ->Iterations(1000 * kWbRound);
  }
  benchmark::RegisterBenchmark("ReadMemStats/heap_mib:256", BM_ReadMemStats)->UseRealTime();
  benchmark::RegisterBenchmark("MetricsRead/heap_mib:256", BM_MetricsRead)->UseRealTime();
  return 0;
}

const int registered = register_all();

}  // namespace
