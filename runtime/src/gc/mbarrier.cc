// mbarrier.cc — the write barrier and its per-P buffers (Go's mbarrier.go
// and mwbbuf.go), typed allocation with layout capture, and the roots the
// program registers (gc::root handles, add_root ranges) plus the channel
// buffers the runtime registers.
//
// The barrier is Go 1.8's hybrid barrier: a pointer store *slot = new
// shades both the value it overwrites (Yuasa: what was reachable at the
// start of mark stays so, even when moved onto an already-scanned stack)
// and the new value (Dijkstra: a pointer taken from an unscanned stack and
// stored into the heap is not hidden). Stacks are not barriered; each is
// scanned once per cycle and is black after that. Shading is deferred: the
// two values go into the running P's buffer (512 entries) and are greyed
// in a batch when it fills, when a worker starts on that P, or at mark
// termination — so the barrier's cost during mark is two stores and a
// compare, and outside mark one predictable branch (g_wb_enabled).
//
// Lock order: roots_lock and chans_lock are leaves (chans_lock is taken
// before a channel's own lock when scanning buffers).
#include <cstdlib>
#include <cstring>
#include <new>

#include "chan/chan.h"
#include "debug/fatal.h"
#include "gc/mcheckptr.h"
#include "gc/mgcstate.h"
#include "gort/mem.h"
#include "mem/malloc.h"
#include "mem/span.h"
#include "sched/runtime2.h"

namespace gort::gc {

namespace detail {

std::atomic<bool> g_wb_enabled{false};
std::atomic<int> g_probing{0};

void wb_slow(const void* slot, const void* old_value, const void* new_value) noexcept {
  if (checkptr_on()) {
    checkptr_store(slot, new_value);
    if (!marking()) return;  // the mode keeps the slow path on outside mark too
  }
  if (old_value == nullptr && new_value == nullptr) return;
  sched::NoPreempt np;
  const int pid = sched::current_p_id();
  if (pid < 0) {
    // A thread without a P: grey directly into the shared fallback Work.
    sched::LockGuard g(g_state.fallback_lock);
    if (old_value != nullptr) grey_ptr(old_value, &g_state.fallback_work);
    if (new_value != nullptr) grey_ptr(new_value, &g_state.fallback_work);
    return;
  }
  PState& ps = g_state.p[pid];
  if (ps.wbn + 2 > kWbBufEntries) wb_flush(ps, ps.work);
  if (old_value != nullptr) ps.wb[ps.wbn++] = old_value;
  if (new_value != nullptr) ps.wb[ps.wbn++] = new_value;
}

// ---- layout capture ----------------------------------------------------------

namespace {
// The probe active on each goroutine: found through the G's lang slot would
// couple us to lang/; a small table keyed by G is enough (probes are rare:
// the first make<T> of each type).
struct ProbeSlot {
  const void* g;
  Probe* probe;
};
sched::Lock g_probe_lock;
ProbeSlot g_probes[64];

const void* probe_owner() {
  if (sched::G* gp = sched::getg()) return gp;
  static thread_local int tls_anchor;
  return &tls_anchor;
}
}  // namespace

Probe::Probe(void* base, std::size_t size) noexcept
    : base_(reinterpret_cast<std::uintptr_t>(base)), size_(size), mask_(inline_mask_) {
  const std::size_t words = (size + 7) / 8;
  if (words > 64 * 4) {
    mask_ = static_cast<std::uint64_t*>(std::calloc((words + 63) / 64, sizeof(std::uint64_t)));
    if (mask_ == nullptr) gort::debug::fatal("gc: out of memory capturing a type layout");
  }
  const void* owner = probe_owner();
  sched::LockGuard g(g_probe_lock);
  for (auto& s : g_probes) {
    if (s.g == owner) {  // nested make<U> inside T's constructor
      prev_ = s.probe;
      s.probe = this;
      g_probing.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  for (auto& s : g_probes) {
    if (s.g == nullptr) {
      s.g = owner;
      s.probe = this;
      g_probing.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  gort::debug::fatal("gc: more than 64 goroutines capturing type layouts at once");
}

Probe::~Probe() {
  const void* owner = probe_owner();
  {
    sched::LockGuard g(g_probe_lock);
    for (auto& s : g_probes) {
      if (s.g == owner && s.probe == this) {
        s.probe = prev_;
        if (prev_ == nullptr) s.g = nullptr;
        break;
      }
    }
  }
  g_probing.fetch_sub(1, std::memory_order_relaxed);
  if (mask_ != inline_mask_) std::free(mask_);
}

void Probe::note(const void* slot) noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(slot);
  if (a < base_ || a >= base_ + size_) return;
  if ((a - base_) % 8 != 0) gort::debug::fatal("gc: a gc::ptr inside a GC object is not 8-byte aligned");
  const std::size_t w = (a - base_) / 8;
  mask_[w / 64] |= std::uint64_t{1} << (w % 64);
  if (w + 1 > maxword_) maxword_ = w + 1;
  any_ = true;
}

const Layout* Probe::finish(const char* name) noexcept {
  if (!any_) return nullptr;
  auto* l = new Layout();
  auto* m = new std::uint64_t[(maxword_ + 63) / 64];
  std::memcpy(m, mask_, (maxword_ + 63) / 64 * sizeof(std::uint64_t));
  l->size = size_;
  l->ptrwords = maxword_;
  l->mask = m;
  l->name = name;
  return l;
}

void note_ptr_slot(const void* slot) noexcept {
  const void* owner = probe_owner();
  Probe* p = nullptr;
  {
    sched::LockGuard g(g_probe_lock);
    for (auto& s : g_probes) {
      if (s.g == owner) {
        p = s.probe;
        break;
      }
    }
  }
  // Walk the nesting: the innermost probe covering the slot records it.
  if (p != nullptr) p->note(slot);
}

void* alloc(const Layout* layout, std::size_t elem_size, std::size_t n, bool conservative_scan) {
  return mem::alloc_typed(elem_size, n, layout, conservative_scan);
}

}  // namespace detail

void wb_flush(PState& ps, Work& w) noexcept {
  for (std::size_t i = 0; i < ps.wbn; i++) grey_ptr(ps.wb[i], &w);
  ps.wbn = 0;
}

// ---- root handles ------------------------------------------------------------

struct RootList {
  // scan visits every root handle's target and every registered range.
  static void scan(Visitor v, void* ctx);
  sched::Lock lock;
  root_base* head = nullptr;
  struct Range {
    std::uintptr_t lo, hi;
  };
  Range* ranges = nullptr;
  std::size_t nranges = 0, cap = 0;
  std::atomic<std::uint64_t> range_bytes{0};
};
static RootList g_roots;

root_base::root_base() noexcept {
  sched::LockGuard g(g_roots.lock);
  next_ = g_roots.head;
  if (next_ != nullptr) next_->prev_ = this;
  g_roots.head = this;
}

root_base::~root_base() {
  sched::LockGuard g(g_roots.lock);
  if (prev_ != nullptr) prev_->next_ = next_;
  else g_roots.head = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
}

void root_base::store(const void* v) noexcept {
  // A root scanned already is black: the same barrier as a heap store,
  // with the check and the store in one non-preemptible step.
  detail::nopreempt_enter();
  detail::write_barrier(&p_, p_.load(std::memory_order_relaxed), v);
  p_.store(v, std::memory_order_relaxed);
  detail::nopreempt_exit();
}

void add_root(const void* p, std::size_t bytes) {
  sched::LockGuard g(g_roots.lock);
  if (g_roots.nranges == g_roots.cap) {
    const std::size_t nc = g_roots.cap == 0 ? 16 : g_roots.cap * 2;
    auto* nr = static_cast<RootList::Range*>(std::realloc(g_roots.ranges, nc * sizeof(RootList::Range)));
    if (nr == nullptr) gort::debug::fatal("gc: out of memory registering a root");
    g_roots.ranges = nr;
    g_roots.cap = nc;
  }
  const auto lo = reinterpret_cast<std::uintptr_t>(p);
  g_roots.ranges[g_roots.nranges++] = {lo, lo + bytes};
  g_roots.range_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void remove_root(const void* p) {
  sched::LockGuard g(g_roots.lock);
  const auto lo = reinterpret_cast<std::uintptr_t>(p);
  for (std::size_t i = 0; i < g_roots.nranges; i++) {
    if (g_roots.ranges[i].lo == lo) {
      g_roots.range_bytes.fetch_sub(g_roots.ranges[i].hi - g_roots.ranges[i].lo, std::memory_order_relaxed);
      g_roots.ranges[i] = g_roots.ranges[--g_roots.nranges];
      return;
    }
  }
  gort::debug::fatalf("gc::remove_root: %p was never added as a root", p);
}

std::uint64_t globals_bytes() noexcept { return g_roots.range_bytes.load(std::memory_order_relaxed); }

void scan_root_handles(Visitor v, void* ctx) { RootList::scan(v, ctx); }

void RootList::scan(Visitor v, void* ctx) {
  sched::LockGuard g(g_roots.lock);
  for (root_base* r = g_roots.head; r != nullptr; r = r->next_) {
    const void* p = r->p_.load(std::memory_order_relaxed);
    if (p != nullptr) v(reinterpret_cast<std::uintptr_t>(p), ctx);
  }
  for (std::size_t i = 0; i < g_roots.nranges; i++) visit_range_fn(g_roots.ranges[i].lo, g_roots.ranges[i].hi, v, ctx);
}

// ---- channel buffers -----------------------------------------------------------

namespace {
sched::Lock g_chans_lock;
chan_detail::Hchan* g_chans = nullptr;  // linked through Hchan::gc_next/gc_prev
}  // namespace

void register_channel(chan_detail::Hchan* c) {
  sched::LockGuard g(g_chans_lock);
  c->gc_next = g_chans;
  c->gc_prev = nullptr;
  if (g_chans != nullptr) g_chans->gc_prev = c;
  g_chans = c;
}

void unregister_channel(chan_detail::Hchan* c) {
  sched::LockGuard g(g_chans_lock);
  if (c->gc_prev != nullptr) c->gc_prev->gc_next = c->gc_next;
  else g_chans = c->gc_next;
  if (c->gc_next != nullptr) c->gc_next->gc_prev = c->gc_prev;
}

void scan_channel_buffers(Visitor v, void* ctx) {
  sched::LockGuard g(g_chans_lock);
  for (chan_detail::Hchan* c = g_chans; c != nullptr; c = c->gc_next) {
    sched::LockGuard cl(c->lock);
    const std::uint32_t n = c->qcount.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0, x = c->recvx; i < n; ++i) {
      const auto s = reinterpret_cast<std::uintptr_t>(c->slot(x));
      visit_range_fn(s, s + c->elemsize, v, ctx);
      if (++x == c->dataqsiz) x = 0;
    }
  }
}

}  // namespace gort::gc
