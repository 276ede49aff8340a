// gort/gc.h — the garbage-collected heap: objects made with gort::make,
// pointers between them (gort::gc::ptr), roots, finalizers, runtime.GC,
// GOGC / GOMEMLIMIT, and the GC's statistics (Go's runtime.MemStats and
// runtime/metrics).
//
//   struct Node {
//     gort::gc::ptr<Node> left, right;   // GC pointers: stores run the barrier
//     int value = 0;
//   };
//   gort::gc::ptr<Node> n = gort::make<Node>();
//   n->left = gort::make<Node>();
//
// The rules (the C++ version of "the heap is Go's"):
//  * An object made by gort::make lives while it is reachable from a root:
//    a goroutine's stack or saved registers (scanned conservatively: any
//    word that points into an object, interior pointers included, keeps it),
//    a gc::root / gc::global handle, a range added with add_root, a channel
//    buffer, a goroutine's closure, or another reachable GC object.
//  * Inside a GC object, pointers to GC objects must be gc::ptr<T> (or a
//    type built from it: gort::slice, gort::map). The object's pointer
//    layout is captured the first time its type is constructed by make:
//    every gc::ptr whose constructor runs inside the object's bytes is a
//    pointer slot (so members, nested structs and arrays of gc::ptr are all
//    found). Raw T* members are NOT traced.
//  * Memory the GC does not manage (malloc, std::vector, another thread's
//    stack) is not scanned: hold GC objects from there with gc::root<T>.
//  * GC objects have no destructors: T must be trivially destructible
//    (checked at compile time). Use set_finalizer for clean-up.
//
// Implementation: runtime/src/gc/ (mgc.cc has the design essay).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <typeinfo>
#include <type_traits>
#include <utility>

// The scheduler's "no asynchronous preemption here" counter (see
// sched/runtime2.h). A pointer store raises it around its barrier check and
// the store itself: a goroutine preempted between the two and suspended
// while a mark starts or ends would make a store the collector never sees.
extern "C" {
extern __thread int gort_tls_nopreempt __attribute__((tls_model("initial-exec")));
}

namespace gort::gc {

// Layout is a GC type's shape: its size and which of its 8-byte words may
// hold GC pointers (bit i of mask[i / 64] set: word i is a pointer slot).
struct Layout {
  std::size_t size = 0;        // bytes per element
  std::size_t ptrwords = 0;    // words in the pointer prefix (0: noscan)
  const std::uint64_t* mask = nullptr;  // ceil(ptrwords / 64) words
  const char* name = nullptr;  // for error messages (typeid name)
};

namespace detail {

// g_wb_enabled is the write barrier's switch: true from the start of mark
// (sweep termination) to mark termination, and all the time under
// GODEBUG=gccheckptr=1. Flipped with the world stopped.
extern std::atomic<bool> g_wb_enabled;
// g_probing counts make() calls capturing a layout right now (usually 0).
extern std::atomic<int> g_probing;

// wb_slow shades the old and the new value of a pointer store into slot
// (the hybrid barrier: Yuasa deletion + Dijkstra insertion), buffered per P;
// under GODEBUG=gccheckptr=1 it also checks the store (mcheckptr.cc).
void wb_slow(const void* slot, const void* old_value, const void* new_value) noexcept;
// note_ptr_slot records `slot` if a layout probe covering it is active on
// this goroutine.
void note_ptr_slot(const void* slot) noexcept;

inline void write_barrier(const void* slot, const void* old_value, const void* new_value) noexcept {
  if (__builtin_expect(g_wb_enabled.load(std::memory_order_relaxed), false)) wb_slow(slot, old_value, new_value);
}

inline void nopreempt_enter() noexcept {
#if defined(__x86_64__)
  asm volatile("addl $1, %%fs:gort_tls_nopreempt@tpoff" ::: "memory", "cc");
#else
  gort_tls_nopreempt++;
  asm volatile("" ::: "memory");
#endif
}
inline void nopreempt_exit() noexcept {
#if defined(__x86_64__)
  asm volatile("subl $1, %%fs:gort_tls_nopreempt@tpoff" ::: "memory", "cc");
#else
  asm volatile("" ::: "memory");
  gort_tls_nopreempt--;
#endif
}

// store_ptr is a barriered pointer store: check, shade and store as one
// step that asynchronous preemption cannot split.
template <class T>
inline void store_ptr(T** slot, T* v) noexcept {
  nopreempt_enter();
  write_barrier(slot, *slot, v);
  *slot = v;
  nopreempt_exit();
}
// shade_range greys every heap object a word of [p, p + bytes) points to,
// while a mark runs (a no-op otherwise). Call it after a bulk copy (memcpy)
// of memory that may hold GC pointers into GC memory: the copy runs no
// write barrier. Forwards to the collector's gc::shade_range (mgc.h).
void shade_range(const void* p, std::size_t bytes) noexcept;
inline void shade_copied(const void* p, std::size_t bytes) noexcept {
  if (__builtin_expect(g_wb_enabled.load(std::memory_order_relaxed), false)) shade_range(p, bytes);
}
inline void note_slot(const void* slot) noexcept {
  if (__builtin_expect(g_probing.load(std::memory_order_relaxed) != 0, false)) note_ptr_slot(slot);
}

// Probe: while alive on a goroutine, records the gc::ptr slots constructed
// in [base, base + size).
class Probe {
 public:
  Probe(void* base, std::size_t size) noexcept;
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;
  // finish builds the layout from what was recorded (leaked: types live
  // forever). Returns nullptr for a pointer-free type.
  const Layout* finish(const char* name) noexcept;
  void note(const void* slot) noexcept;

 private:
  std::uintptr_t base_, size_;
  std::uint64_t inline_mask_[4] = {};
  std::uint64_t* mask_;  // inline_mask_ or malloc'd for big types
  std::size_t maxword_ = 0;
  Probe* prev_ = nullptr;
  bool any_ = false;
};

// alloc returns n zeroed elements of `layout` (nullptr layout: pointer-free)
// from the GC heap with their pointer bits set; conservative_scan instead
// makes every word of the block a possible pointer (layout unknown yet).
void* alloc(const Layout* layout, std::size_t elem_size, std::size_t n, bool conservative_scan);

// type_layout<T> is T's captured layout: kUnknown until first probed.
inline const Layout* const kUnknownLayout = reinterpret_cast<const Layout*>(std::uintptr_t{1});
template <class T>
inline std::atomic<const Layout*> type_layout{kUnknownLayout};

template <class T, class... A>
T* make_n(std::size_t n, A&&... a) {
  static_assert(std::is_trivially_destructible_v<T>,
                "gort::make<T>: GC objects are never destroyed, so T must be trivially destructible "
                "(hold std::string/std::vector members elsewhere, or use a finalizer)");
  static_assert(alignof(T) <= 16, "gort::make<T>: alignment above 16 bytes is not supported");
  const Layout* l = type_layout<T>.load(std::memory_order_acquire);
  if (__builtin_expect(l != kUnknownLayout, true)) {
    T* p = static_cast<T*>(alloc(l, sizeof(T), n, false));
    for (std::size_t i = 0; i < n; i++) ::new (static_cast<void*>(p + i)) T(a...);
    return p;
  }
  // First construction of T: capture its layout from the gc::ptr
  // constructors that run inside the first element.
  T* p = static_cast<T*>(alloc(nullptr, sizeof(T), n, true));
  {
    Probe probe(p, sizeof(T));
    ::new (static_cast<void*>(p)) T(a...);
    l = probe.finish(typeid(T).name());
  }
  const Layout* expected = kUnknownLayout;
  type_layout<T>.compare_exchange_strong(expected, l, std::memory_order_acq_rel);
  // This first block stays conservatively scanned (all words): rewriting
  // its bits now could race with the span's owner writing a neighbour's.
  for (std::size_t i = 1; i < n; i++) ::new (static_cast<void*>(p + i)) T(a...);
  return p;
}

}  // namespace detail

// ptr<T> is a pointer to a GC object (or to memory inside one). Every store
// into a ptr runs the write barrier while a collection is marking; reading
// costs nothing. Trivially destructible, so it may live inside GC objects.
template <class T>
class ptr {
 public:
  ptr() noexcept { detail::note_slot(this); }
  ptr(std::nullptr_t) noexcept { detail::note_slot(this); }  // NOLINT: implicit like a pointer
  // from_raw adopts p (which must be nullptr or point into a GC object).
  static ptr from_raw(T* p) noexcept { return ptr(p, 0); }
  ptr(const ptr& o) noexcept {
    detail::note_slot(this);
    detail::store_ptr(&p_, o.p_);
  }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  ptr(const ptr<U>& o) noexcept {  // NOLINT: implicit upcast
    detail::note_slot(this);
    detail::store_ptr(&p_, static_cast<T*>(o.get()));
  }
  ptr& operator=(const ptr& o) noexcept {
    detail::store_ptr(&p_, o.p_);
    return *this;
  }
  ptr& operator=(std::nullptr_t) noexcept {
    detail::store_ptr(&p_, static_cast<T*>(nullptr));
    return *this;
  }
  ~ptr() = default;

  T* get() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  T* operator->() const noexcept { return p_; }
  T& operator[](std::size_t i) const noexcept { return p_[i]; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  friend bool operator==(const ptr& a, const ptr& b) noexcept { return a.p_ == b.p_; }
  friend bool operator==(const ptr& a, std::nullptr_t) noexcept { return a.p_ == nullptr; }

 private:
  ptr(T* p, int) noexcept {
    detail::note_slot(this);
    detail::store_ptr(&p_, p);
  }
  T* p_ = nullptr;
};
static_assert(std::is_trivially_destructible_v<ptr<int>>);

// root<T> is a pointer that is itself a root: it keeps its target alive
// from anywhere (malloc memory, a std::vector, a foreign thread), like a
// persistent handle. Registering costs a lock; use ptr inside GC objects.
class root_base {
 protected:
  root_base() noexcept;
  ~root_base();
  root_base(const root_base&) = delete;
  root_base& operator=(const root_base&) = delete;
  void store(const void* v) noexcept;
  std::atomic<const void*> p_{nullptr};

 private:
  friend struct RootList;
  root_base* prev_ = nullptr;
  root_base* next_ = nullptr;
};

template <class T>
class root : root_base {
 public:
  root() noexcept = default;
  root(const ptr<T>& p) noexcept { store(p.get()); }  // NOLINT: implicit
  root(const root& o) noexcept : root_base() { store(o.get()); }
  root& operator=(const root& o) noexcept {
    store(o.get());
    return *this;
  }
  root& operator=(const ptr<T>& p) noexcept {
    store(p.get());
    return *this;
  }
  T* get() const noexcept { return static_cast<T*>(const_cast<void*>(p_.load(std::memory_order_relaxed))); }
  T* operator->() const noexcept { return get(); }
  T& operator*() const noexcept { return *get(); }
  ptr<T> as_ptr() const noexcept { return ptr<T>::from_raw(get()); }
  explicit operator bool() const noexcept { return get() != nullptr; }
};

// add_root / remove_root register [p, p + bytes) as a root range, scanned
// conservatively at every cycle (Go's registered globals). gc::global<T>
// is the typed form for a variable with static storage.
void add_root(const void* p, std::size_t bytes);
void remove_root(const void* p);

template <class T>
class global {
 public:
  global() { add_root(&value_, sizeof(T)); }
  ~global() { remove_root(&value_); }
  global(const global&) = delete;
  global& operator=(const global&) = delete;
  T& operator*() noexcept { return value_; }
  T* operator->() noexcept { return &value_; }
  T& get() noexcept { return value_; }

 private:
  T value_{};
};

// collect runs a full collection and waits until its sweep is done
// (runtime.GC). From a goroutine or any other thread while the runtime runs.
void collect();

// set_finalizer arranges for fn(obj) to run on the finalizer goroutine
// once obj is unreachable (then obj is freed at the following cycle, unless
// fn made it reachable again). One finalizer per object; nullptr clears.
// obj must be the start of a GC object (Go's rule); anything else is fatal.
void set_finalizer_raw(const void* obj, void (*fn)(void* obj));
template <class T>
void set_finalizer(const ptr<T>& obj, void (*fn)(T* obj)) {
  set_finalizer_raw(obj.get(), reinterpret_cast<void (*)(void*)>(fn));
}

// is_heap_object reports whether p points into a live GC object.
bool is_heap_object(const void* p) noexcept;

// MemStats is Go's runtime.MemStats (the fields the suite uses). Reading it
// stops the world, as Go's does (claim 304 measures what that costs).
struct MemStats {
  std::uint64_t alloc;          // bytes of allocated heap objects (HeapAlloc)
  std::uint64_t total_alloc;    // cumulative bytes allocated
  std::uint64_t sys;            // bytes obtained from the OS (heap + stacks + metadata)
  std::uint64_t mallocs, frees; // cumulative object counts
  std::uint64_t heap_alloc, heap_sys, heap_idle, heap_inuse, heap_released, heap_objects;
  std::uint64_t stack_inuse;    // bytes of goroutine stacks
  std::uint64_t next_gc;        // heap goal of the next cycle
  std::uint64_t last_gc_ns;     // wall-clock ns (Unix epoch) when the last cycle finished
  std::uint64_t pause_total_ns;
  std::uint64_t pause_ns[256];  // circular buffer of recent STW pauses (both of each cycle, summed)
  std::uint64_t pause_end[256];
  std::uint32_t num_gc, num_forced_gc;
  double gc_cpu_fraction;
};
MemStats read_mem_stats();

// Metrics is the lock-free read (Go's runtime/metrics): no world stop.
// Pause histogram buckets: bucket i counts pauses in [2^(i/4), 2^((i+1)/4)) ns.
inline constexpr int kPauseBuckets = 128;
struct PhaseHistogram {
  std::uint64_t count = 0;
  std::uint64_t total_ns = 0;
  std::uint64_t max_ns = 0;
  std::uint64_t buckets[kPauseBuckets] = {};
  // quantile estimates q in [0, 1] from the buckets (bucket midpoint, ns).
  double quantile(double q) const noexcept;
};
enum class Phase : int { kSweepTermination = 0, kMarkTermination = 1, kCount = 2 };
struct Metrics {
  std::uint64_t cycles = 0;          // completed cycles
  std::uint64_t forced_cycles = 0;
  std::uint64_t heap_live = 0;       // bytes (allocator's heap_live)
  std::uint64_t heap_goal = 0;
  std::uint64_t heap_marked_last = 0;  // live bytes found by the last mark
  std::uint64_t total_memory = 0;    // what GOMEMLIMIT limits: heap + stacks + metadata
  std::uint64_t stack_bytes = 0;
  std::uint64_t globals_bytes = 0;   // registered root ranges
  std::uint64_t gc_cpu_ns = 0;       // all GC work: workers, assists, STW
  std::uint64_t assist_cpu_ns = 0;
  std::uint64_t dedicated_cpu_ns = 0, fractional_cpu_ns = 0, idle_cpu_ns = 0;
  std::uint64_t total_cpu_ns = 0;    // wall time x GOMAXPROCS since start (Go's definition)
  double gc_cpu_fraction = 0;        // gc_cpu_ns / total_cpu_ns
  std::uint64_t limiter_engaged_ns = 0;  // time the GC CPU limiter capped GC work
  std::uint64_t marked_bytes_total = 0;  // cumulative bytes scanned
  std::uint64_t finalizers_run = 0;
  int gogc = 100;
  std::int64_t memory_limit = 0;
  PhaseHistogram pause[static_cast<int>(Phase::kCount)];
};
Metrics read_metrics();

// CycleRecord describes one finished cycle (a ring of the last 4096 is
// kept; cycle_records copies the ones with cycle >= since, oldest first).
struct CycleRecord {
  std::uint64_t cycle;
  std::int64_t start_ns, end_ns;          // monotonic
  std::uint64_t sweep_term_ns, mark_ns, mark_term_ns;  // STW, concurrent (wall), STW
  std::uint64_t heap_trigger, heap_at_mark_term, heap_marked, heap_goal, next_goal;
  std::uint64_t assist_ns, worker_ns;     // CPU spent marking
  std::uint64_t scanned_bytes;
  int procs;
  bool forced;
};
std::size_t cycle_records(CycleRecord* out, std::size_t max, std::uint64_t since = 0);

}  // namespace gort::gc

namespace gort {

// make<T>(args...) allocates a T in the GC heap, constructs it with args and
// returns a gc::ptr to it (Go's new(T) / &T{...}).
template <class T, class... A>
gc::ptr<T> make(A&&... a) {
  return gc::ptr<T>::from_raw(gc::detail::make_n<T>(1, std::forward<A>(a)...));
}
// make_array<T>(n) allocates n value-initialised Ts in one GC object and
// returns a pointer to the first (Go's make([]T, n) backing array).
template <class T>
gc::ptr<T> make_array(std::size_t n) {
  return gc::ptr<T>::from_raw(gc::detail::make_n<T>(n));
}

namespace debug {
// set_gc_percent sets GOGC (negative: off) and returns the previous value.
int set_gc_percent(int percent);
// set_memory_limit sets GOMEMLIMIT in bytes (negative: just read) and
// returns the previous value (INT64_MAX: no limit).
std::int64_t set_memory_limit(std::int64_t bytes);
// free_os_memory collects and returns free memory to the OS.
void free_os_memory();
}  // namespace debug

}  // namespace gort
