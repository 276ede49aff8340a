// gc_boehm.cc — the Boehm–Demers–Weiser collector (Debian's libgc, bdwgc
// 8.2) as the baseline of the GC benchmarks (issue 6; claims 303, 304):
// binary gort_bench_gc_boehm, impl "boehm", the same names and metric keys as
// benches/gc_bench.cc and its Go twin benches/go/gc.
//
// Its own process and its own main(): no libgort runtime runs beside it (two
// collectors in one process would stop each other's threads), and Google
// Benchmark runs on the main thread, whose stack Boehm scans. The harness's
// --gort_* flags are accepted and ignored (no M hooks: no pinning or per-M
// counters for this binary).
//
//   BinaryTrees/depth:D/impl:boehm   the Benchmarks Game's binary-trees, nodes
//                        from GC_MALLOC (two pointers, 16 bytes), sequential.
//   GCBench/impl:boehm   Boehm–Ellis GCBench (the collector's own benchmark,
//                        rewritten here): nodes GC_MALLOC, the 500,000-double
//                        array GC_MALLOC_ATOMIC.
//   GCChurn/live_mib:L/procs:2/impl:boehm   the churn of gc_bench.cc: chains
//                        of four 64-byte objects (GC_MALLOC) hung off a
//                        GC_MALLOC'd slot array, replaced by two mutator
//                        threads (GC_pthread_create) for 1 s (L=16) or 5 s
//                        (L=256). ns/op = wall time per chain replaced.
//
// Boehm is not incremental here (the default): every collection stops the
// world once (its parallel markers, GC_MARKERS of them, mark inside that
// stop; the registry sets GC_MARKERS=2 for GCChurn, like GOMAXPROCS=2) and
// sweeps lazily in the allocating threads. A pause is timed from
// GC_EVENT_PRE_STOP_WORLD to GC_EVENT_POST_START_WORLD
// (GC_set_on_collection_event). Metrics: p50_ns, p99_ns, max_ns of those
// pauses (the report's "stop (Boehm)" phase, pause_ns), cycles (GC_get_gc_no
// delta), gc_cpu_fraction = summed pauses / window (the share of the
// mutators' time spent stopped; with both CPUs marking during a stop it is
// also the CPU share), peak_heap_bytes (GC_get_heap_size after the window),
// parallel_mark (1 when Boehm marks with several threads), steps_per_s,
// alloc_bytes_per_s, window_s, procs (mutator threads).
#define GC_THREADS 1
#include <gc/gc.h>
#include <pthread.h>
#include <unistd.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ---- pause log (filled by the collecting thread, lock held) ----------------

constexpr std::size_t kMaxPauses = 1 << 16;
std::int64_t g_pause_start[kMaxPauses];
std::int64_t g_pause_ns[kMaxPauses];
std::atomic<std::size_t> g_npauses{0};
std::int64_t g_stop_begin = 0;

// Per-collection trace lines (GODEBUG=gctrace=1, as the harness sets for the
// GC benchmarks; parsed by harness/src/bench_output.cc, parse_gc_trace), one
// per collection at GC_EVENT_END, on stderr:
//   boehm gc N @Ts: S ms stop, A->B MB in use, H MB heap
// N counts collections in this process, T is seconds since main started, S
// the collection's stop-the-world time (summed stops between
// GC_EVENT_START and GC_EVENT_END), A and B the heap in use at its start and
// end (GC_get_heap_size - GC_get_free_bytes: the free bytes are a lower
// bound, unswept garbage counts as in use, so B is not the live heap: the
// public API has no marked-bytes count; with GC_PRINT_STATS=1, as the
// registry sets, Boehm's own "In-use heap: ..." line before ours gives it),
// H GC_get_heap_size. The getters
// are the unsynchronized ones Boehm documents as callable from a callback
// holding the allocator lock. Beside them the markers "gort-bench run" and
// "gort-bench window begin|end" (trace_marker).
bool g_trace = false;
std::int64_t g_trace_t0 = 0;
std::uint64_t g_trace_n = 0;
std::int64_t g_trace_stop_ns = 0;
double g_trace_before_mb = 0;

double in_use_mb() {
  const double heap = static_cast<double>(GC_get_heap_size()), free = static_cast<double>(GC_get_free_bytes());
  return std::max(0.0, heap - free) / (1 << 20);
}

void trace_marker(const char* line) {
  if (!g_trace) return;
  ssize_t w = ::write(2, line, std::strlen(line));
  (void)w;
}

void on_gc_event(GC_EventType e) {
  if (e == GC_EVENT_PRE_STOP_WORLD) {
    g_stop_begin = now_ns();
  } else if (e == GC_EVENT_POST_START_WORLD && g_stop_begin != 0) {
    const std::size_t i = g_npauses.load(std::memory_order_relaxed);
    const std::int64_t ns = now_ns() - g_stop_begin;
    if (i < kMaxPauses) {
      g_pause_start[i] = g_stop_begin;
      g_pause_ns[i] = ns;
      g_npauses.store(i + 1, std::memory_order_release);
    }
    g_trace_stop_ns += ns;
    g_stop_begin = 0;
  } else if (g_trace && e == GC_EVENT_START) {
    g_trace_stop_ns = 0;
    g_trace_before_mb = in_use_mb();
  } else if (g_trace && e == GC_EVENT_END) {
    char line[256];
    const int n = std::snprintf(line, sizeof line, "boehm gc %llu @%.3fs: %.3f ms stop, %.3f->%.3f MB in use, %.3f MB heap\n",
                                static_cast<unsigned long long>(++g_trace_n),
                                static_cast<double>(now_ns() - g_trace_t0) / 1e9,
                                static_cast<double>(g_trace_stop_ns) / 1e6, g_trace_before_mb, in_use_mb(),
                                static_cast<double>(GC_get_heap_size()) / (1 << 20));
    if (n > 0) {
      ssize_t w = ::write(2, line, static_cast<std::size_t>(std::min<int>(n, sizeof line - 1)));
      (void)w;
    }
  }
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

// ---- BinaryTrees -------------------------------------------------------------

struct Node {
  Node* left;
  Node* right;
};

Node* bottom_up(int depth) {
  Node* n = static_cast<Node*>(GC_MALLOC(sizeof(Node)));
  if (depth > 0) {
    n->left = bottom_up(depth - 1);
    n->right = bottom_up(depth - 1);
  }
  return n;
}

long check(const Node* n) { return n->left == nullptr ? 1 : 1 + check(n->left) + check(n->right); }

long binary_trees(int max_depth) {
  constexpr int kMin = 4;
  max_depth = std::max(max_depth, kMin + 2);
  long sum = check(bottom_up(max_depth + 1));
  Node* long_lived = bottom_up(max_depth);
  for (int d = kMin; d <= max_depth; d += 2) {
    const long iters = 1L << (max_depth - d + kMin);
    long c = 0;
    for (long i = 0; i < iters; ++i) c += check(bottom_up(d));
    sum += c;
  }
  return sum + check(long_lived);
}

void BM_BinaryTrees(benchmark::State& state, int depth) {
  trace_marker("gort-bench run\n");
  GC_gcollect();
  const GC_word c0 = GC_get_gc_no();
  long sum = 0;
  trace_marker("gort-bench window begin\n");
  for (auto _ : state) sum = binary_trees(depth);
  trace_marker("gort-bench window end\n");
  state.counters["gc_cycles_per_op"] =
      static_cast<double>(GC_get_gc_no() - c0) / static_cast<double>(state.iterations());
  state.counters["checksum"] = static_cast<double>(sum);
}

// ---- GCBench -------------------------------------------------------------------

struct GNode {
  GNode* left;
  GNode* right;
  std::int32_t i, j;
};

constexpr int kStretchDepth = 18, kLongLivedDepth = 16, kArraySize = 500000, kMinTree = 4, kMaxTree = 16;

int tree_size(int i) { return (1 << (i + 1)) - 1; }
int num_iters(int i) { return 2 * tree_size(kStretchDepth) / tree_size(i); }

GNode* new_gnode() { return static_cast<GNode*>(GC_MALLOC(sizeof(GNode))); }

void populate(int depth, GNode* n) {
  if (depth <= 0) return;
  --depth;
  n->left = new_gnode();
  n->right = new_gnode();
  populate(depth, n->left);
  populate(depth, n->right);
}

GNode* make_tree(int depth) {
  GNode* n = new_gnode();
  if (depth > 0) {
    n->left = make_tree(depth - 1);
    n->right = make_tree(depth - 1);
  }
  return n;
}

GNode* volatile g_sink;

bool gc_bench() {
  g_sink = make_tree(kStretchDepth);
  g_sink = nullptr;
  GNode* long_lived = new_gnode();
  populate(kLongLivedDepth, long_lived);
  auto* array = static_cast<double*>(GC_MALLOC_ATOMIC(sizeof(double) * kArraySize));
  std::memset(array, 0, sizeof(double) * kArraySize);
  for (int i = 1; i < kArraySize / 2; ++i) array[i] = 1.0 / i;
  for (int d = kMinTree; d <= kMaxTree; d += 2) {
    const int iters = num_iters(d);
    for (int i = 0; i < iters; ++i) {
      GNode* t = new_gnode();
      populate(d, t);
      g_sink = t;
    }
    for (int i = 0; i < iters; ++i) g_sink = make_tree(d);
  }
  g_sink = nullptr;
  const bool ok = long_lived->left != nullptr && array[1000] == 1.0 / 1000;
  benchmark::DoNotOptimize(long_lived);
  return ok;
}

void BM_GCBench(benchmark::State& state) {
  trace_marker("gort-bench run\n");
  GC_gcollect();
  const GC_word c0 = GC_get_gc_no();
  trace_marker("gort-bench window begin\n");
  for (auto _ : state) {
    if (!gc_bench()) state.SkipWithError("GCBench: long-lived data lost");
  }
  trace_marker("gort-bench window end\n");
  state.counters["gc_cycles_per_op"] =
      static_cast<double>(GC_get_gc_no() - c0) / static_cast<double>(state.iterations());
}

// ---- GCChurn ----------------------------------------------------------------------

struct Obj {
  Obj* next;
  Obj* other;
  std::uint64_t pad[6];
};
static_assert(sizeof(Obj) == 64);
constexpr int kChainLen = 4;
constexpr std::size_t kChainBytes = kChainLen * sizeof(Obj);

Obj* new_chain(std::uint64_t seed) {
  Obj* head = nullptr;
  for (int i = 0; i < kChainLen; ++i) {
    auto* o = static_cast<Obj*>(GC_MALLOC(sizeof(Obj)));
    o->next = head;
    if (head != nullptr) o->other = head->next;
    o->pad[0] = seed;
    head = o;
  }
  return head;
}

struct ChurnWorker {
  Obj** slots;
  std::size_t base, per;
  std::int64_t deadline_ns;
  std::uint64_t seed;
  std::int64_t steps = 0;
};

void* churn_worker(void* arg) {
  auto* w = static_cast<ChurnWorker*>(arg);
  std::uint64_t x = w->seed;
  std::int64_t n = 0;
  do {
    for (int k = 0; k < 256; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w->slots[w->base + x % w->per] = new_chain(x);
    }
    n += 256;
  } while (now_ns() < w->deadline_ns);
  w->steps = n;
  return nullptr;
}

void BM_GCChurn(benchmark::State& state, int live_mib, double seconds) {
  trace_marker("gort-bench run\n");
  constexpr int kWorkers = 2;
  const std::size_t nslots = (static_cast<std::size_t>(live_mib) << 20) / kChainBytes;
  auto** slots = static_cast<Obj**>(GC_MALLOC(nslots * sizeof(Obj*)));
  for (std::size_t i = 0; i < nslots; ++i) slots[i] = new_chain(i);
  GC_gcollect();
  double ns_per_step = 0, secs = 0;
  std::int64_t steps = 0;
  std::vector<double> pauses;
  GC_word cycles = 0;
  for (auto _ : state) {
    const std::size_t p0 = g_npauses.load(std::memory_order_acquire);
    const GC_word c0 = GC_get_gc_no();
    trace_marker("gort-bench window begin\n");
    const std::int64_t t0 = now_ns();
    ChurnWorker ws[kWorkers];
    pthread_t th[kWorkers];
    for (int w = 0; w < kWorkers; ++w) {
      ws[w].slots = slots;
      ws[w].per = nslots / kWorkers;
      ws[w].base = static_cast<std::size_t>(w) * ws[w].per;
      ws[w].deadline_ns = t0 + static_cast<std::int64_t>(seconds * 1e9);
      ws[w].seed = static_cast<std::uint64_t>(w) * 0x9E3779B97F4A7C15ull + 1;
      pthread_create(&th[w], nullptr, churn_worker, &ws[w]);  // GC_pthread_create (GC_THREADS)
    }
    steps = 0;
    for (int w = 0; w < kWorkers; ++w) {
      pthread_join(th[w], nullptr);
      steps += ws[w].steps;
    }
    const std::int64_t t1 = now_ns();
    trace_marker("gort-bench window end\n");
    secs = static_cast<double>(t1 - t0) / 1e9;
    cycles = GC_get_gc_no() - c0;
    const std::size_t p1 = g_npauses.load(std::memory_order_acquire);
    pauses.clear();
    for (std::size_t i = p0; i < p1; ++i)
      if (g_pause_start[i] >= t0 && g_pause_start[i] < t1) pauses.push_back(static_cast<double>(g_pause_ns[i]));
    ns_per_step = steps > 0 ? static_cast<double>(t1 - t0) / static_cast<double>(steps) : 0;
    state.SetIterationTime(ns_per_step / 1e9);  // manual time: ns/op = ns per chain replaced
  }
  double total = 0;
  for (double p : pauses) total += p;
  state.counters["p50_ns"] = quantile(pauses, 0.5);
  state.counters["p99_ns"] = quantile(pauses, 0.99);
  state.counters["max_ns"] = quantile(pauses, 1.0);
  state.counters["pauses"] = static_cast<double>(pauses.size());
  state.counters["cycles"] = static_cast<double>(cycles);
  state.counters["gc_cpu_fraction"] = secs > 0 ? total / (secs * 1e9) : 0;
  state.counters["peak_heap_bytes"] = static_cast<double>(GC_get_heap_size());
  state.counters["parallel_mark"] = GC_get_parallel() != 0 ? 1 : 0;
  state.counters["steps_per_s"] = secs > 0 ? static_cast<double>(steps) / secs : 0;
  state.counters["alloc_bytes_per_s"] = secs > 0 ? static_cast<double>(steps) * kChainBytes / secs : 0;
  state.counters["window_s"] = secs;
  state.counters["procs"] = kWorkers;
  benchmark::DoNotOptimize(slots);
}

void register_all() {
  for (int d : {14, 16, 17, 18, 19, 20, 21}) {
    benchmark::RegisterBenchmark(("BinaryTrees/depth:" + std::to_string(d) + "/impl:boehm").c_str(),
                                 [d](benchmark::State& st) { BM_BinaryTrees(st, d); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("GCBench/impl:boehm", BM_GCBench)->UseRealTime()->Unit(benchmark::kMillisecond);
  for (auto [live, secs] : {std::pair{16, 1.0}, std::pair{256, 5.0}}) {
    benchmark::RegisterBenchmark(("GCChurn/live_mib:" + std::to_string(live) + "/procs:2/impl:boehm").c_str(),
                                 [live, secs](benchmark::State& st) { BM_GCChurn(st, live, secs); })
        ->UseManualTime()
        ->Iterations(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // The harness passes --gort_pin/--gort_counters/--gort_mmap_out to every
  // benchmark binary; this one has no libgort Ms to pin or count.
  int out = 1;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--gort_", 7) != 0) argv[out++] = argv[i];
  argc = out;
  argv[argc] = nullptr;
  {
    const char* g = std::getenv("GODEBUG");
    g_trace = g != nullptr && std::strstr(g, "gctrace=1") != nullptr;
    g_trace_t0 = now_ns();
  }
  GC_INIT();
  // Parallel markers start with the first extra thread; start them now so
  // the single-threaded programs (BinaryTrees, GCBench) mark in parallel
  // too, as Go's and gort's collectors use the other CPU.
  GC_start_mark_threads();
  GC_set_on_collection_event(on_gc_event);
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
