// mcheckptr_test.cc — GODEBUG=gccheckptr=1 (gc/mcheckptr.cc): a correct
// program (barriered stores, slices and maps of gc::ptr, cycles running)
// passes every cycle's shadow comparison; a raw store or memcpy into a GC
// object's pointer slot, and a gc::ptr made from a non-heap address, each
// end the program with a fatal error that names what was wrong.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

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

// in_child runs body in gort::run in a forked child with GODEBUG set and
// returns the child's exit status and what it wrote to stderr.
template <class F>
int in_child(const char* godebug, F body, std::string* err) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const int pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    setenv("GODEBUG", godebug, 1);
    gort::run(body, gort::Options{.max_procs = 2});
    _exit(0);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) err->append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(CheckPtr, CorrectProgramPassesEveryCycle) {
#if defined(GORT_TSAN)
  GTEST_SKIP() << "TSan cannot start threads in a child forked from a multi-threaded process";
#endif
  gort::testing::Watchdog wd("CheckPtr.CorrectProgramPassesEveryCycle", std::chrono::seconds(120));
  std::string err;
  const int st = in_child("gccheckptr=1,gccheckmark=1,gctrace=1", [] {
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
  }, &err);
  EXPECT_EQ(st, 0) << err.substr(0, 2000);
  EXPECT_NE(err.find("pointer slots match their shadow"), std::string::npos)
      << "the verifier never ran (gctrace prints its summary): " << err.substr(0, 2000);
  EXPECT_EQ(err.find("gccheckptr: pointer slot"), std::string::npos) << err.substr(0, 2000);
}

TEST(CheckPtr, MemcpyIntoAPointerSlotIsFatal) {
#if defined(GORT_TSAN)
  GTEST_SKIP() << "TSan cannot start threads in a child forked from a multi-threaded process";
#endif
  std::string err;
  const int st = in_child("gccheckptr=1", [] {
    gort::make<Node>(0);  // the type's first block captures its layout (scanned conservatively: not checked)
    auto a = gort::make<Node>(1);
    auto b = gort::make<Node>(2);
    gort::gc::root<Node> ka(a), kb(b);
    Node* raw = b.get();
    // A store the barrier never sees: the shadow still says null.
    std::memcpy(static_cast<void*>(&a->right), &raw, sizeof raw);
    gort::gc::collect();
  }, &err);
  EXPECT_EQ(st, 2) << err;
  EXPECT_NE(err.find("written without the write barrier"), std::string::npos) << err;
  EXPECT_NE(err.find("offset 8 of the"), std::string::npos) << "the message names the slot's offset: " << err;
}

TEST(CheckPtr, NonHeapPointerInAGcPtrIsFatal) {
#if defined(GORT_TSAN)
  GTEST_SKIP() << "TSan cannot start threads in a child forked from a multi-threaded process";
#endif
  std::string err;
  static Node not_gc;  // a static, not a GC object
  const int st = in_child("gccheckptr=1", [] {
    auto a = gort::make<Node>(1);
    a->left = ptr<Node>::from_raw(&not_gc);
  }, &err);
  EXPECT_EQ(st, 2) << err;
  EXPECT_NE(err.find("bad pointer stored into a gc::ptr"), std::string::npos) << err;
  EXPECT_NE(err.find("outside the GC heap"), std::string::npos) << err;
}

TEST(CheckPtr, OffByDefault) {
#if defined(GORT_TSAN)
  GTEST_SKIP() << "TSan cannot start threads in a child forked from a multi-threaded process";
#endif
  // Without the mode the same bypass goes unnoticed (nothing else looks).
  std::string err;
  const int st = in_child("", [] {
    gort::make<Node>(0);
    auto a = gort::make<Node>(1);
    auto b = gort::make<Node>(2);
    gort::gc::root<Node> ka(a), kb(b);
    Node* raw = b.get();
    std::memcpy(static_cast<void*>(&a->right), &raw, sizeof raw);
    gort::gc::collect();
  }, &err);
  EXPECT_EQ(st, 0) << err;
}

}  // namespace
