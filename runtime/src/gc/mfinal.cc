// mfinal.cc — finalizers (Go's mfinal.go and the finalizer "specials").
//
// A finalizer record (object, function) keeps the object's *referents*
// alive (they are greyed as a root each cycle) but not the object: when a
// mark ends with the object unmarked, mark termination marks it (so this
// sweep keeps it), removes the record and queues (object, function); the
// finalizer goroutine runs the function once. The queue is a root until
// then. If nothing resurrects the object, the next cycle frees it.
// Lock: fin_lock (leaf), guards the records and the queue.
#include <unordered_map>
#include <utility>
#include <vector>

#include "debug/fatal.h"
#include "gc/mgcstate.h"
#include "mem/arena.h"
#include "mem/span.h"

namespace gort::gc {

namespace {

struct Finalizers {
  sched::Lock lock;
  std::unordered_map<std::uintptr_t, void (*)(void*)> records;
  std::vector<std::pair<std::uintptr_t, void (*)(void*)>> queue;
  Parker parker;
  std::atomic<std::uint64_t> run{0};
};
Finalizers* g_fin = new Finalizers();  // leaked: finalizer state outlives every run()

}  // namespace

void set_finalizer_raw(const void* obj, void (*fn)(void* obj)) {
  if (obj == nullptr) debug::fatal("gc::set_finalizer: nil object");
  std::uintptr_t base;
  mem::Span* s;
  if (!mem::find_object(obj, &base, &s) || s->is_free(s->object_index(reinterpret_cast<std::uintptr_t>(obj)))) {
    debug::fatalf("gc::set_finalizer: pointer %p is not to a GC object (gort::make)", obj);
  }
  if (base != reinterpret_cast<std::uintptr_t>(obj)) {
    debug::fatalf("gc::set_finalizer: pointer %p is not the start of its GC object (which begins at %p)", obj,
                  reinterpret_cast<void*>(base));
  }
  {
    sched::LockGuard g(g_fin->lock);
    if (fn == nullptr) {
      g_fin->records.erase(base);
      return;
    }
    auto [it, inserted] = g_fin->records.emplace(base, fn);
    if (!inserted) debug::fatalf("gc::set_finalizer: object %p already has a finalizer", obj);
  }
  // During mark the record's root job may have run already: grey the
  // object's referents now so resurrection at mark termination is sound.
  if (marking()) {
    Work w;
    scan_object_contents(base, w);
    w.dispose();
  }
}

void scan_finalizer_roots(Visitor v, void* ctx) {
  sched::LockGuard g(g_fin->lock);
  for (const auto& [obj, fn] : g_fin->records) visit_object_fn(obj, v, ctx);
  for (const auto& [obj, fn] : g_fin->queue) v(obj, ctx);
}

std::size_t queue_unreachable_finalizers() {
  sched::LockGuard g(g_fin->lock);
  std::size_t n = 0;
  for (auto it = g_fin->records.begin(); it != g_fin->records.end();) {
    mem::Span* s = mem::span_of(reinterpret_cast<const void*>(it->first));
    const std::size_t idx = s->object_index(it->first);
    if (s->is_marked(idx)) {
      ++it;
      continue;
    }
    s->set_marked(idx);  // survives this sweep; its referents were greyed as roots
    g_fin->queue.emplace_back(it->first, it->second);
    it = g_fin->records.erase(it);
    n++;
  }
  return n;
}

void wake_finalizer_goroutine() {
  bool any;
  {
    sched::LockGuard g(g_fin->lock);
    any = !g_fin->queue.empty();
  }
  if (any) g_fin->parker.wake();
}

void finalizer_goroutine() {
  for (;;) {
    g_fin->parker.wait(sched::WaitReason::kFinalizerWait);
    for (;;) {
      std::pair<std::uintptr_t, void (*)(void*)> job;
      {
        sched::LockGuard g(g_fin->lock);
        if (g_fin->queue.empty()) break;
        job = g_fin->queue.front();
        // Keep the entry (a root) until the function has run: remove after.
      }
      job.second(reinterpret_cast<void*>(job.first));
      {
        sched::LockGuard g(g_fin->lock);
        if (!g_fin->queue.empty() && g_fin->queue.front() == job) g_fin->queue.erase(g_fin->queue.begin());
      }
      g_fin->run.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

std::uint64_t finalizers_run() noexcept { return g_fin->run.load(std::memory_order_relaxed); }

void finalizers_reset() {
  // A new run(): the parked goroutine is gone with the old runtime.
  g_fin->parker.reset();
}

}  // namespace gort::gc
