// lang_gc_test.cc — slices and maps on the GC heap (gort/lang_alloc.h):
// reachable only from a GC object they survive collections (checked by
// GODEBUG=gccheckmark=1: every cycle re-marks with the world stopped and
// dies if a reachable block was left unmarked; LANGGC_DEBUG overrides the
// GODEBUG value, e.g. gccheckmark=1,gcpoison=1), while goroutines append
// and rebuild during marks;
// unreachable ones are freed; slices and maps of gc::ptr keep their
// targets alive; elements with destructors are destroyed by the collector
// (finalizers), not leaked.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "gort/gc.h"
#include "gort/gort.h"
#include "gort/map.h"
#include "gort/slice.h"
#include "gort/swiss_map.h"
#include "test_util.h"

namespace {

using gort::gc::ptr;

constexpr std::uint64_t kMagic = 0x5eed5eed5eed5eedull;

struct Node {
  std::uint64_t magic = kMagic;
  std::uint64_t id = 0;
  explicit Node(std::uint64_t i = 0) : id(i) {}
};

// Holder is a GC object whose only pointers are a slice and maps: layout
// capture must find the handles' data pointers.
struct Holder {
  gort::slice<std::int64_t> ints;
  gort::slice<ptr<Node>> nodes;
  gort::map<std::int64_t, std::int64_t> m;
  gort::map<std::int64_t, ptr<Node>> mnodes;
  gort::swiss_map<std::int64_t, std::int64_t> sm;
  gort::swiss_map<std::int64_t, ptr<Node>> smnodes;
  std::uint64_t magic = kMagic;
};
static_assert(std::is_trivially_destructible_v<gort::slice<std::string>>);
static_assert(std::is_trivially_destructible_v<gort::map<std::string, std::string>>);
static_assert(std::is_trivially_destructible_v<gort::swiss_map<std::string, std::string>>);
static_assert(gort::lang::noscan_v<std::int64_t> && !gort::lang::noscan_v<ptr<Node>> &&
              !gort::lang::noscan_v<Node*>);

using gort::testing::Env;

// churn allocates garbage (reusing what a wrong sweep freed) so cycles run.
void churn(int n) {
  for (int i = 0; i < n; i++) {
    auto g = gort::make<Node>(~std::uint64_t{0});
    (void)g;
    (void)gort::mem::alloc(64, false);
  }
}

// fill grows everything in h from a goroutine (so no stale pointer into the
// containers stays on main's stack), while the heap churns and GOGC is low:
// appends, map growth and Swiss-table rebuilds run during marks.
void fill(const ptr<Holder>& h, std::int64_t n) {
  auto done = gort::make_chan<int>();
  auto stop = std::make_shared<std::atomic<bool>>(false);
  gort::go([stop, done] {
    while (!stop->load()) churn(256);
    done.send(1);
  });
  gort::go([h, n, stop, done] {
    h->ints = gort::slice<std::int64_t>();
    h->m = gort::make_map<std::int64_t, std::int64_t>();
    h->mnodes = gort::make_map<std::int64_t, ptr<Node>>();
    h->sm = gort::make_swiss_map<std::int64_t, std::int64_t>();
    h->smnodes = gort::make_swiss_map<std::int64_t, ptr<Node>>();
    for (std::int64_t i = 0; i < n; i++) {
      h->ints.append(i);
      h->nodes.append(gort::make<Node>(static_cast<std::uint64_t>(i)));
      h->m[i] = i * 3;
      h->mnodes[i] = gort::make<Node>(static_cast<std::uint64_t>(i) + 1000000);
      h->sm[i] = i * 5;
      h->smnodes[i] = gort::make<Node>(static_cast<std::uint64_t>(i) + 2000000);
      if (i % 4096 == 0) gort::gosched();
    }
    stop->store(true);
    done.send(1);
  });
  done.recv();
  done.recv();
}

void check(const ptr<Holder>& h, std::int64_t n) {
  ASSERT_EQ(h->magic, kMagic);
  ASSERT_EQ(h->ints.len(), static_cast<std::size_t>(n));
  ASSERT_EQ(h->nodes.len(), static_cast<std::size_t>(n));
  ASSERT_EQ(h->m.size(), static_cast<std::size_t>(n));
  ASSERT_EQ(h->mnodes.size(), static_cast<std::size_t>(n));
  ASSERT_EQ(h->sm.size(), static_cast<std::size_t>(n));
  ASSERT_EQ(h->smnodes.size(), static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; i++) {
    ASSERT_EQ(h->ints[i], i);
    ASSERT_EQ(h->nodes[i]->magic, kMagic);
    ASSERT_EQ(h->nodes[i]->id, static_cast<std::uint64_t>(i));
    ASSERT_EQ(h->m.get(i), i * 3);
    ptr<Node>* mn = h->mnodes.find(i);
    ASSERT_NE(mn, nullptr);
    ASSERT_EQ((*mn)->magic, kMagic);
    ASSERT_EQ((*mn)->id, static_cast<std::uint64_t>(i) + 1000000);
    ASSERT_EQ(h->sm.get(i), i * 5);
    ptr<Node>* sn = h->smnodes.find(i);
    ASSERT_NE(sn, nullptr);
    ASSERT_EQ((*sn)->magic, kMagic);
    ASSERT_EQ((*sn)->id, static_cast<std::uint64_t>(i) + 2000000);
  }
}

TEST(LangGC, ContainersReachableOnlyFromAGcObjectSurvive) {
#if defined(GORT_TSAN)
  GTEST_SKIP() << "its goroutines allocate in loops with no safe point; without asynchronous preemption "
                  "(off under TSan) a mark cannot stop them for their stack scans in reasonable time";
#endif
  Env env("GODEBUG", getenv("LANGGC_DEBUG") ? getenv("LANGGC_DEBUG") : "gccheckmark=1");
  gort::testing::Watchdog wd("LangGC.ContainersReachableOnlyFromAGcObjectSurvive", std::chrono::seconds(120));
  gort::run([] {
    const int old = gort::debug::set_gc_percent(10);
    const std::uint64_t c0 = gort::gc::read_metrics().cycles;
    gort::gc::root<Holder> root(gort::make<Holder>());
    constexpr std::int64_t kN = 30000;
    fill(root.as_ptr(), kN);
    for (int c = 0; c < 3; c++) {
      churn(20000);
      gort::gc::collect();
    }
    check(root.as_ptr(), kN);
    // Collections ran while the goroutines grew the containers (at least the
    // three forced ones; more triggered by allocation when the build is not
    // slowed by a sanitizer).
    EXPECT_GE(gort::gc::read_metrics().cycles - c0, 3u);
    // A sub-slice (an interior pointer) keeps the whole array.
    gort::slice<ptr<Node>> tail = root->nodes.sub(kN - 10);
    root->nodes = gort::slice<ptr<Node>>();
    for (int c = 0; c < 2; c++) {
      churn(20000);
      gort::gc::collect();
    }
    for (std::int64_t i = 0; i < 10; i++) {
      EXPECT_EQ(tail[i]->magic, kMagic);
      EXPECT_EQ(tail[i]->id, static_cast<std::uint64_t>(kN - 10 + i));
    }
    gort::debug::set_gc_percent(old);
    return 0;
  });
}

// Iterators keep the arrays they walk alive across rebuilds and collections.
TEST(LangGC, IteratorsKeepOldTablesAlive) {
  Env env("GODEBUG", getenv("LANGGC_DEBUG") ? getenv("LANGGC_DEBUG") : "gccheckmark=1");
  gort::run([] {
    auto m = gort::make_map<std::int64_t, ptr<Node>>();
    auto sm = gort::make_swiss_map<std::int64_t, ptr<Node>>();
    for (std::int64_t i = 0; i < 500; i++) {
      m[i] = gort::make<Node>(static_cast<std::uint64_t>(i));
      sm[i] = gort::make<Node>(static_cast<std::uint64_t>(i));
    }
    std::int64_t seen = 0;
    for (auto&& kv : m) {
      if (seen++ == 0) {
        for (std::int64_t i = 500; i < 5000; i++) m[i] = gort::make<Node>(static_cast<std::uint64_t>(i));
        churn(10000);
        gort::gc::collect();
      }
      EXPECT_EQ(kv.second->magic, kMagic);
      EXPECT_EQ(kv.second->id, static_cast<std::uint64_t>(kv.first));
    }
    EXPECT_GE(seen, 500);
    seen = 0;
    for (auto&& kv : sm) {
      if (seen++ == 0) {
        for (std::int64_t i = 500; i < 5000; i++) sm[i] = gort::make<Node>(static_cast<std::uint64_t>(i));
        churn(10000);
        gort::gc::collect();
      }
      EXPECT_EQ(kv.second->magic, kMagic);
      EXPECT_EQ(kv.second->id, static_cast<std::uint64_t>(kv.first));
    }
    EXPECT_GE(seen, 500);
    return 0;
  });
}

TEST(LangGC, UnreachableContainersAreFreed) {
  gort::run([] {
    gort::gc::collect();
    gort::gc::collect();
    const gort::gc::MemStats before = gort::gc::read_mem_stats();
    // Made and dropped on a goroutine that exits: no stale copy of a
    // pointer into them survives on a scanned stack.
    auto done = gort::make_chan<std::uint64_t>();
    gort::go([done] {
      gort::slice<std::int64_t> s;
      for (std::int64_t i = 0; i < (1 << 20); i++) s.append(i);  // 8 MiB + the arrays it outgrew
      auto m = gort::make_map<std::int64_t, std::int64_t>();
      auto sm = gort::make_swiss_map<std::int64_t, std::int64_t>();
      for (std::int64_t i = 0; i < 100000; i++) {
        m[i] = i;
        sm[i] = i;
      }
      done.send(gort::gc::read_mem_stats().heap_alloc);
    });
    const std::uint64_t peak = done.recv();
    EXPECT_GE(peak, before.heap_alloc + (8u << 20));
    gort::gc::collect();
    gort::gc::collect();
    const gort::gc::MemStats after = gort::gc::read_mem_stats();
    EXPECT_LT(after.heap_alloc, before.heap_alloc + (2u << 20))
        << "before " << before.heap_alloc << " peak " << peak << " after " << after.heap_alloc;
    EXPECT_GT(after.frees, before.frees + 100) << "the containers' blocks were not freed";
    return 0;
  });
}

// Elements with destructors: the collector destroys what an unreachable
// array still holds (finalizers), so nothing leaks; live ones are intact.
TEST(LangGC, ElementsWithDestructorsAreDestroyedByTheCollector) {
  gort::run([] {
    auto p = std::make_shared<int>(7);
    std::shared_ptr<int>* pp = &p;
    auto done = gort::make_chan<int>();
    gort::go([pp, done] {
      const std::shared_ptr<int>& p = *pp;
      gort::slice<std::shared_ptr<int>> s;
      for (int i = 0; i < 1000; i++) s.append(p);  // growth copies: the old arrays hold copies too
      auto m = gort::make_map<std::int64_t, std::shared_ptr<int>>();
      auto sm = gort::make_swiss_map<std::int64_t, std::shared_ptr<int>>();
      for (std::int64_t i = 0; i < 1000; i++) {
        m[i] = p;
        sm[i] = p;
      }
      gort::slice<std::string> strs;
      for (int i = 0; i < 100; i++) strs.append(std::string(100, 'a' + i % 26));
      EXPECT_EQ(strs[99], std::string(100, 'a' + 99 % 26));
      EXPECT_GE(p.use_count(), 3001);  // growth copies: old arrays hold copies until collected
      done.send(1);
    });
    done.recv();
    for (int c = 0; c < 20 && p.use_count() > 1; c++) {
      gort::gc::collect();
      gort::sleep_ns(2'000'000);
    }
    // Stacks are scanned conservatively: a stale word may keep one block
    // alive a while longer, so "nearly all of the 3000+ copies" is the claim.
    EXPECT_LT(p.use_count(), 300) << "elements of unreachable arrays were not destroyed";
    return 0;
  });
}

}  // namespace
