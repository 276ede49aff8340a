// mcheckptr_test.cc — GODEBUG=gccheckptr=1 (gc/mcheckptr.cc): a correct
// program (barriered stores, slices and maps of gc::ptr, cycles running)
// passes every cycle's shadow comparison; a raw store or memcpy into a GC
// object's pointer slot, and a gc::ptr made from a non-heap address, each
// end the program with a fatal error that names what was wrong.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>

#include "gort/gc.h"
#include "gort/gort.h"
#include "gort/map.h"
#include "gort/slice.h"
#include "test_util.h"

namespace {

using gort::gc::ptr;

struct Node {
  ptr<Node> left, right;
  std::uint64_t id = 0;
  explicit Node(std::uint64_t i = 0) : id(i) {}
};

struct Holder {
  gort::slice<ptr<Node>> nodes;
  gort::map<std::int64_t, ptr<Node>> byid;
  ptr<Node> head;
};

// expect_child runs body in gort::run in a child process with GODEBUG set
// and expects its exit status and a stderr matching `pattern`. The child is
// a fresh exec of this test binary (gtest's "threadsafe" death-test style),
// so it works under TSan too, where a bare fork of a threaded process cannot
// start threads.
template <class F>
void expect_child(const char* godebug, F body, int status, const char* pattern) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("GODEBUG", godebug, 1);
        gort::run(body, gort::Options{.max_procs = 2});
        _exit(0);
      },
      ::testing::ExitedWithCode(status), pattern);
}

TEST(CheckPtr, CorrectProgramPassesEveryCycle) {
  gort::testing::Watchdog wd("CheckPtr.CorrectProgramPassesEveryCycle", std::chrono::seconds(120));
  // Exit 0 means no fatal error; gctrace prints the verifier's summary.
  expect_child("gccheckptr=1,gccheckmark=1,gctrace=1", [] {
    auto h = gort::make<Holder>();
    gort::gc::root<Holder> keep(h);
    h->byid = gort::make_map<std::int64_t, ptr<Node>>();
    gort::sync::wait_group wg;
    wg.add(2);
    for (int g = 0; g < 2; g++) {
      gort::go([&, g] {
        ptr<Node> prev;
        for (int i = 0; i < 20000; i++) {
          auto n = gort::make<Node>(i);
          n->left = prev;  // barriered stores into heap slots
          if (i % 64 != 0) prev = n;  // chains of 64, the rest garbage
          else prev = nullptr;
          if (g == 0 && i % 7 == 0) {
            h->head = n;
            h->nodes.append(n);  // growth copies announce themselves
            h->byid[i] = n;
          }
          if (i % 1000 == 0) gort::gosched();
        }
        wg.done();
      });
    }
    for (int c = 0; c < 20; c++) gort::gc::collect();
    wg.wait();
    gort::gc::collect();
  }, 0, "pointer slots match their shadow");
}

TEST(CheckPtr, MemcpyIntoAPointerSlotIsFatal) {
  expect_child("gccheckptr=1", [] {
    gort::make<Node>(0);  // the type's first block captures its layout (scanned conservatively: not checked)
    auto a = gort::make<Node>(1);
    auto b = gort::make<Node>(2);
    gort::gc::root<Node> ka(a), kb(b);
    Node* raw = b.get();
    // A store the barrier never sees: the shadow still says null.
    std::memcpy(static_cast<void*>(&a->right), &raw, sizeof raw);
    gort::gc::collect();
  }, 2, "offset 8 of the .* written without the write barrier");
}

TEST(CheckPtr, NonHeapPointerInAGcPtrIsFatal) {
  static Node not_gc;  // a static, not a GC object
  expect_child("gccheckptr=1", [] {
    auto a = gort::make<Node>(1);
    a->left = ptr<Node>::from_raw(&not_gc);
  }, 2, "bad pointer stored into a gc::ptr.*outside the GC heap");
}

TEST(CheckPtr, OffByDefault) {
  // Without the mode the same bypass goes unnoticed (nothing else looks).
  expect_child("", [] {
    gort::make<Node>(0);
    auto a = gort::make<Node>(1);
    auto b = gort::make<Node>(2);
    gort::gc::root<Node> ka(a), kb(b);
    Node* raw = b.get();
    std::memcpy(static_cast<void*>(&a->right), &raw, sizeof raw);
    gort::gc::collect();
  }, 0, "");
}

}  // namespace
