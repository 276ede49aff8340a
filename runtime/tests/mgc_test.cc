// mgc_test.cc — the garbage collector: reachability from every kind of
// root, finalizers, a concurrent graph-rewiring stress under checkmark and
// poison, pacing against GOGC and GOMEMLIMIT, and the fatal errors.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <vector>

#include "gort/gc.h"
#include "gort/gort.h"
#include "test_util.h"

namespace {

using gort::gc::ptr;

constexpr std::uint64_t kMagic = 0x5eed5eed5eed5eedull;

struct Node {
  ptr<Node> left, right;
  std::uint64_t magic = kMagic;
  std::uint64_t id = 0;
  explicit Node(std::uint64_t i = 0) : id(i) {}
};

struct Leaf {  // pointer-free: a noscan object
  std::uint64_t a = kMagic, b = 0;
};

using gort::testing::Env;

// One finalizer counter per test (an object a conservative scan kept
// alive in one test may be finalized during a later one).
template <int N>
std::atomic<int> fin_count{0};
template <int N>
void count_fin(Node* n) {
  EXPECT_EQ(n->magic, kMagic) << "finalizer saw a corrupted object";
  fin_count<N>.fetch_add(1);
}

// churn allocates garbage so cycles have something to free.
void churn(int n) {
  for (int i = 0; i < n; i++) {
    auto g = gort::make<Node>(i);
    gort::make<Leaf>();
    (void)g;
  }
}

ptr<Node> build_tree(int depth, std::uint64_t* next_id) {
  auto n = gort::make<Node>((*next_id)++);
  if (depth > 0) {
    n->left = build_tree(depth - 1, next_id);
    n->right = build_tree(depth - 1, next_id);
  }
  return n;
}

std::uint64_t check_tree(Node* n) {
  if (n == nullptr) return 0;
  EXPECT_EQ(n->magic, kMagic) << "reachable node " << n->id << " was freed or overwritten";
  if (n->magic != kMagic) return 0;
  return 1 + check_tree(n->left.get()) + check_tree(n->right.get());
}

TEST(Gc, UnreachableObjectsAreFreedAndFinalizedOnce) {
  gort::testing::Watchdog wd("UnreachableObjectsAreFreedAndFinalizedOnce");
  gort::run([] {
    const std::uint64_t run0 = gort::gc::read_metrics().finalizers_run;
    // Made on a goroutine that then exits: no stale copy of the pointers
    // survives on a stack the collector scans (it is conservative).
    auto made = gort::make_chan<int>();
    gort::go([made] {
      for (int i = 0; i < 100; i++) {
        auto n = gort::make<Node>(i);
        gort::gc::set_finalizer(n, &count_fin<1>);
      }
      made.send(1);
    });
    made.recv();
    gort::sleep_ns(1'000'000);
    // The finalizers run on their goroutine after the cycle that finds the
    // objects unreachable; more cycles must not run them again.
    for (int c = 0; c < 10 && fin_count<1>.load() < 100; c++) {
      gort::gc::collect();
      gort::sleep_ns(2'000'000);
    }
    EXPECT_EQ(fin_count<1>.load(), 100);
    for (int c = 0; c < 3; c++) gort::gc::collect();
    gort::sleep_ns(2'000'000);
    EXPECT_EQ(fin_count<1>.load(), 100) << "a finalizer ran twice";
    const auto m = gort::gc::read_metrics();
    EXPECT_GE(m.cycles, 4u);
    EXPECT_GE(m.finalizers_run - run0, 100u);
  });
}

TEST(Gc, ReachableGraphSurvivesAndUnreachableHeapShrinks) {
  gort::testing::Watchdog wd("ReachableGraphSurvivesAndUnreachableHeapShrinks");
  gort::run([] {
    // Built, checked and dropped on goroutines of their own, so no stale
    // copy of a pointer into the tree lingers on main's stack (stacks are
    // scanned conservatively).
    // 64 separate trees, so that one stale word somewhere (the scan is
    // conservative) can keep one tree, not the whole assertion, alive.
    constexpr int kTrees = 64;
    auto* roots = new gort::gc::root<Node>[kTrees];
    auto done = gort::make_chan<std::uint64_t>();
    gort::go([roots, done] {
      std::uint64_t id = 0;
      for (int i = 0; i < kTrees; i++) roots[i] = build_tree(7, &id);  // 255 nodes each
      done.send(0);
    });
    done.recv();
    churn(200000);
    gort::gc::collect();
    gort::go([roots, done] {
      std::uint64_t n = 0;
      for (int i = 0; i < kTrees; i++) n += check_tree(roots[i].get());
      done.send(n);
    });
    EXPECT_EQ(done.recv(), kTrees * 255u);
    const auto before = gort::gc::read_mem_stats();
    delete[] roots;
    gort::gc::collect();
    gort::gc::collect();
    const auto after = gort::gc::read_mem_stats();
    EXPECT_GE(after.frees, before.frees + kTrees * 255 * 8 / 10) << "the dropped trees were not freed";
    EXPECT_LT(after.heap_alloc, before.heap_alloc);
  });
}

TEST(Gc, ParkedGoroutineStackIsARoot) {
  gort::testing::Watchdog wd("ParkedGoroutineStackIsARoot");
  gort::run([] {
    auto go_on = gort::make_chan<int>();
    auto done = gort::make_chan<std::uint64_t>();
    gort::go([go_on, done]() mutable {
      std::uint64_t id = 0;
      Node* raw = build_tree(8, &id).get();  // only a raw pointer on this stack
      gort::gc::set_finalizer(ptr<Node>::from_raw(raw), &count_fin<3>);
      go_on.recv();  // parked here while the cycles run
      done.send(check_tree(raw));
    });
    gort::sleep_ns(1'000'000);
    for (int i = 0; i < 3; i++) {
      churn(50000);
      gort::gc::collect();
    }
    go_on.send(1);
    EXPECT_EQ(done.recv(), 511u);
    gort::sleep_ns(2'000'000);
    EXPECT_EQ(fin_count<3>.load(), 0) << "an object held by a parked goroutine was finalized";
  });
}

// The spinner keeps its only pointer in a register across a tight loop;
// the collector must stop it (asynchronous preemption saves its registers
// on its stack) to scan it.
TEST(Gc, RunningGoroutineRegistersAreRoots) {
#if defined(GORT_TSAN)
  GTEST_SKIP() << "needs asynchronous preemption, which TSan builds turn off: a goroutine in a loop "
                  "without calls can then never be stopped for its stack scan (as in Go before 1.14)";
#endif
  gort::testing::Watchdog wd("RunningGoroutineRegistersAreRoots");
  gort::run(
      [] {
        std::atomic<bool> stop{false}, started{false};
        std::atomic<std::uint64_t> result{0};
        gort::go([&] {
          Node* p = gort::make<Node>(7).get();
          gort::gc::set_finalizer(ptr<Node>::from_raw(p), &count_fin<4>);
          started = true;
          std::uint64_t sum = 0;
          while (!stop.load(std::memory_order_relaxed)) {
            asm volatile("" : "+r"(p));  // keep p in a register, opaque
            sum += p->magic == kMagic ? 1 : 0;
          }
          result = p->magic == kMagic ? p->id : 0;
          (void)sum;
        });
        while (!started) gort::gosched();
        for (int i = 0; i < 3; i++) {
          churn(50000);
          gort::gc::collect();
        }
        stop = true;
        while (result.load() == 0) gort::gosched();
        EXPECT_EQ(result.load(), 7u);
        gort::sleep_ns(2'000'000);
        EXPECT_EQ(fin_count<4>.load(), 0) << "an object held in a running goroutine's register was finalized";
      },
      gort::Options{.max_procs = 2});
}

gort::gc::global<ptr<Node>> g_global;

TEST(Gc, GlobalsAndRootHandlesAreRoots) {
  gort::testing::Watchdog wd("GlobalsAndRootHandlesAreRoots");
  gort::run([] {
    std::uint64_t id = 0;
    *g_global = build_tree(6, &id);
    auto* held = new gort::gc::root<Node>(build_tree(6, &id));  // only in malloc memory
    churn(100000);
    gort::gc::collect();
    gort::gc::collect();
    EXPECT_EQ(check_tree(g_global->get()), 127u);
    EXPECT_EQ(check_tree(held->get()), 127u);
    delete held;
    *g_global = nullptr;
  });
}

TEST(Gc, ChannelBufferIsARoot) {
  gort::testing::Watchdog wd("ChannelBufferIsARoot");
  gort::run([] {
    auto c = gort::make_chan<Node*>(4);
    {
      std::uint64_t id = 0;
      c.send(build_tree(5, &id).get());
    }
    churn(100000);
    gort::gc::collect();
    gort::gc::collect();
    Node* n = c.recv();
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(check_tree(n), 63u);
  });
}

// A mutator that keeps rewiring a shared graph on several goroutines while
// cycles run back to back, with checkmark (every cycle re-marks with the
// world stopped and dies if anything reachable was not marked) and poison
// (freed memory is overwritten, so a wrongly freed node shows as a bad
// magic number when a mutator walks it).
TEST(Gc, ConcurrentRewiringUnderCheckmark) {
  gort::testing::Watchdog wd("ConcurrentRewiringUnderCheckmark", std::chrono::seconds(240));
  Env e("GODEBUG", getenv("GC_TEST_GODEBUG") ? getenv("GC_TEST_GODEBUG") : "gccheckmark=1,gcpoison=1,gccheckptr=1");
  gort::run(
      [] {
        constexpr int kSlots = 256;
        constexpr int kMutators = 3;
        auto table = gort::make_array<ptr<Node>>(kSlots);
        gort::gc::root<ptr<Node>> keep(table);
        for (int i = 0; i < kSlots; i++) table[i] = gort::make<Node>(i);
        std::atomic<bool> stop{false};
        std::atomic<std::uint64_t> bad{0}, ops{0};
        // The mutators share the graph, so they take turns on it (racing on
        // it would be a data race, in Go as here); what runs concurrently
        // with them is the collector.
        gort::sync::mutex graph;
        gort::sync::wait_group wg;
        wg.add(kMutators);
        for (int m = 0; m < kMutators; m++) {
          gort::go([&, m] {
            std::mt19937_64 rng(m + 1);
            std::uint64_t next = 1'000'000ull * (m + 1);
            while (!stop.load(std::memory_order_relaxed)) {
              const int a = static_cast<int>(rng() % kSlots), b = static_cast<int>(rng() % kSlots);
              gort::sync::lock_guard lk(graph);
              Node* na = table[a].get();
              switch (rng() % 4) {
                case 0:  // replace a slot with a fresh subtree
                  table[a] = build_tree(3, &next);
                  break;
                case 1:  // link: a's child points at b's node (cycles allowed)
                  na->left = table[b];
                  break;
                case 2:  // move a subtree between slots, dropping the old
                  table[b] = na->right ? na->right : table[a];
                  na->right = nullptr;
                  break;
                default: {  // walk a few levels and check every node
                  Node* n = na;
                  for (int d = 0; d < 6 && n != nullptr; d++) {
                    if (n->magic != kMagic) bad.fetch_add(1);
                    n = (rng() & 1) ? n->left.get() : n->right.get();
                  }
                }
              }
              ops.fetch_add(1, std::memory_order_relaxed);
              if ((ops.load(std::memory_order_relaxed) & 255) == 0) gort::gosched();
            }
            wg.done();
          });
        }
        const std::uint64_t c0 = gort::gc::read_metrics().cycles;
        for (int i = 0; i < 150; i++) gort::gc::collect();
        stop = true;
        wg.wait();
        EXPECT_EQ(bad.load(), 0u) << "a mutator reached a freed node";
        EXPECT_GE(gort::gc::read_metrics().cycles - c0, 150u);
        EXPECT_GT(ops.load(), 10000u);
        // Everything unreachable is eventually freed: drop the table.
        keep = ptr<ptr<Node>>();
        table = nullptr;
        gort::gc::collect();
        gort::gc::collect();
        const auto s = gort::gc::read_mem_stats();
        EXPECT_LT(s.heap_alloc, 8u << 20) << "unreachable graph not freed";
      },
      gort::Options{.max_procs = 2});
}

// GOGC: the heap at the end of a mark stays within 10% of the cycle's goal
// while a steady live set is churned — in the typical (median) cycle, and
// no cycle overshoots by half (the start of a cycle waits for the
// controller to be scheduled, which a loaded machine can delay).
void check_pacing(int gogc) {
#if defined(GORT_TSAN) || defined(GORT_ASAN)
  GTEST_SKIP() << "pacing compares marking speed with allocation speed, which sanitizer instrumentation "
                  "distorts (and TSan builds have no asynchronous preemption); checked in the release build";
#endif
  gort::testing::Watchdog wd("check_pacing");
  gort::run(
      [gogc] {
        gort::debug::set_gc_percent(gogc);
        std::uint64_t id = 0;
        auto live = build_tree(15, &id);  // ~1.5 MiB live in 32-byte nodes
        const std::uint64_t c0 = gort::gc::read_metrics().cycles;
        const int rounds = 40 * std::max(1, gogc / 100);  // enough cycles at any GOGC
        for (int round = 0; round < rounds; round++) churn(20000);
        gort::gc::CycleRecord recs[256];
        const std::size_t n = gort::gc::cycle_records(recs, 256, c0 + 2);
        ASSERT_GE(n, 3u) << "GOGC=" << gogc << ": too few cycles";
        std::vector<double> ratio;
        std::string detail;
        for (std::size_t i = 0; i < n; i++) {
          if (recs[i].forced) continue;
          ratio.push_back(static_cast<double>(recs[i].heap_at_mark_term) / static_cast<double>(recs[i].heap_goal));
          detail += " [trigger " + std::to_string(recs[i].heap_trigger >> 10) + " KiB, end " +
                    std::to_string(recs[i].heap_at_mark_term >> 10) + ", goal " + std::to_string(recs[i].heap_goal >> 10) +
                    ", mark " + std::to_string(recs[i].mark_ns / 1000) + " us]";
        }
        std::sort(ratio.begin(), ratio.end());
        ASSERT_FALSE(ratio.empty());
        EXPECT_LE(ratio[ratio.size() / 2], 1.10) << "GOGC=" << gogc << ": median heap/goal at mark end:" << detail;
        EXPECT_LE(ratio.back(), 1.5) << "GOGC=" << gogc << ": worst heap/goal at mark end:" << detail;
        EXPECT_EQ(check_tree(live.get()), 65535u);
      },
      gort::Options{.max_procs = 2});
}

TEST(Gc, PacingGogc50) { check_pacing(50); }
TEST(Gc, PacingGogc100) { check_pacing(100); }
TEST(Gc, PacingGogc200) { check_pacing(200); }

TEST(Gc, GogcOffMeansNoCycles) {
  gort::run([] {
    gort::debug::set_gc_percent(-1);
    const std::uint64_t c0 = gort::gc::read_metrics().cycles;
    churn(300000);
    EXPECT_EQ(gort::gc::read_metrics().cycles, c0);
    gort::debug::set_gc_percent(100);
  });
}

TEST(Gc, SetGcPercentReturnsPrevious) {
  gort::run([] {
    EXPECT_EQ(gort::debug::set_gc_percent(50), 100);
    EXPECT_EQ(gort::debug::set_gc_percent(100), 50);
    EXPECT_EQ(gort::debug::set_memory_limit(-1), INT64_MAX);
    EXPECT_EQ(gort::debug::set_memory_limit(64 << 20), INT64_MAX);
    EXPECT_EQ(gort::debug::set_memory_limit(INT64_MAX), 64 << 20);
  });
}

// A stop-the-world collection (GODEBUG=gcstoptheworld=1) keeps the same graph.
TEST(Gc, StopTheWorldModeMarksTheSame) {
  Env e("GODEBUG", "gcstoptheworld=1,gccheckmark=1");
  gort::run([] {
    std::uint64_t id = 0;
    auto t = build_tree(10, &id);
    churn(100000);
    gort::gc::collect();
    EXPECT_EQ(check_tree(t.get()), 2047u);
  });
}

TEST(Gc, MetricsAndMemStatsAgreeOnCycles) {
  gort::run([] {
    gort::gc::collect();
    gort::gc::collect();
    const auto m = gort::gc::read_metrics();
    const auto s = gort::gc::read_mem_stats();
    EXPECT_EQ(m.cycles, s.num_gc);
    EXPECT_GE(s.num_forced_gc, 2u);
    const auto& st = m.pause[0];
    EXPECT_GE(st.count, 2u);
    EXPECT_GT(st.max_ns, 0u);
    EXPECT_LE(st.quantile(0.5), static_cast<double>(st.max_ns));
    EXPECT_GT(s.pause_total_ns, 0u);
  });
}

TEST(Gc, FinalizerOnInteriorPointerIsFatal) {
#if defined(GORT_TSAN)
  GTEST_SKIP() << "TSan cannot start threads in a child forked from a multi-threaded process";
#endif
  int pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gort::run([] {
      auto n = gort::make<Node>(1);
      gort::gc::set_finalizer_raw(&n->magic, [](void*) {});
    });
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 2);
}

}  // namespace
