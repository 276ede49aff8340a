// mcheckptr.cc — GODEBUG=gccheckptr=1: a checking mode for the two mistakes
// a C++ program can make with GC pointers that the collector cannot see on
// its own (the role Go's invalidptr check and its old wbshadow mode played).
//
//  1. A bad pointer: a gc::ptr holding something that is not null and not
//     inside an allocated GC object (a malloc'd or stack address, a freed
//     object adopted with ptr::from_raw, an integer). Every barriered store
//     checks its new value; the verifier checks every reachable slot.
//  2. A store that bypassed the write barrier: a raw T* write or a memcpy
//     into a GC object's pointer slot without gc::shade_copied. During a mark
//     such a store can hide an object from the collector (freed while still
//     reachable). The mode keeps a shadow heap: every barriered store into a
//     heap slot also writes its value into the slot's shadow word, every
//     announced bulk copy copies its words there, and every new scan object
//     gets a zeroed shadow. At each mark termination, with the world
//     stopped, every pointer slot of every marked typed object must equal
//     its shadow; a slot that differs was written behind the barrier's back.
//
// The mode works in any build: it keeps the barrier's slow path on all the
// time (g_wb_enabled stays true; wb_slow shades only while marking), so the
// fast path is the same single flag test as always and costs nothing when
// the mode is off. With it on, every pointer store takes the slow path and
// every scan allocation a lock: a debugging mode, not a production one.
//
// What is checked: objects made by gort::make / make_array after the mode
// started (typed: their layout says where the pointers are). Conservative
// objects (untyped scan allocations, the first block of each type) are
// skipped: their non-pointer words are written with plain stores.
// A store from a thread with no P is checked but may race with the verifier.
//
// Shadow memory: a table indexed like the arena index, each entry a lazily
// mapped 64 MiB shadow of its arena (virtual; pages appear where written).
// Lock: g_types_lock, a leaf (taken on allocation and by the verifier).
#include "gc/mcheckptr.h"

#include <sys/mman.h>

#include <cstdio>
#include <unordered_map>

#include "debug/fatal.h"
#include "debug/knobs.h"
#include "gc/mgcstate.h"
#include "mem/arena.h"
#include "mem/malloc.h"
#include "mem/span.h"
#include "sched/lock.h"

namespace gort::gc {

std::atomic<bool> g_checkptr{false};

namespace {

// kConservative marks an untyped object in the type map.
const Layout* const kConservative = reinterpret_cast<const Layout*>(std::uintptr_t{1});

std::atomic<std::uintptr_t*>* g_shadow_table = nullptr;  // [kArenaIndexSize]
sched::Lock g_types_lock;
std::unordered_map<std::uintptr_t, const Layout*>* g_types = nullptr;  // object base -> layout

void* map_or_die(std::size_t bytes, const char* what) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) debug::fatalf("gccheckptr: cannot map %s (%zu bytes)", what, bytes);
  return p;
}

// shadow_word returns the shadow of heap word a, mapping its arena's shadow
// when `create`; nullptr when a is not in an arena (or not mapped yet).
std::uintptr_t* shadow_word(std::uintptr_t a, bool create) {
  if ((a >> mem::kAddressBits) != 0 || !mem::in_arena(reinterpret_cast<const void*>(a))) return nullptr;
  std::atomic<std::uintptr_t*>& e = g_shadow_table[a >> mem::kArenaShift];
  std::uintptr_t* sh = e.load(std::memory_order_acquire);
  if (sh == nullptr) {
    if (!create) return nullptr;
    auto* fresh = static_cast<std::uintptr_t*>(map_or_die(mem::kArenaBytes, "an arena's shadow"));
    if (!e.compare_exchange_strong(sh, fresh, std::memory_order_acq_rel)) {
      ::munmap(fresh, mem::kArenaBytes);  // another thread mapped it first
    } else {
      sh = fresh;
    }
  }
  return sh + ((a & (mem::kArenaBytes - 1)) >> 3);
}

}  // namespace

// A store may race with the sweep of the target's span, which rewrites its
// alloc bits (a live object's bit keeps its value): the bits and freeindex
// are read with atomic loads, outside TSan's instrumentation (the sweeper
// writes them with plain stores).
__attribute__((no_sanitize("thread"))) const char* bad_pointer_reason(std::uintptr_t v) noexcept {
  if (v == 0 || mem::is_zerobase(reinterpret_cast<const void*>(v))) return nullptr;
  if (!mem::in_arena(reinterpret_cast<const void*>(v))) return "it points outside the GC heap";
  mem::Span* s = mem::span_of(reinterpret_cast<const void*>(v));
  if (s == nullptr || s->state.load(std::memory_order_acquire) != mem::SpanState::kInUse)
    return "it points into heap pages that hold no objects (a free span: the object was freed)";
  if (v < s->base || v >= s->limit) return "it points past the last object of its span";
  const std::size_t i = s->object_index(v);
  const std::uint32_t fi = __atomic_load_n(&s->freeindex, __ATOMIC_RELAXED);
  const std::uint64_t* ab = __atomic_load_n(&s->alloc_bits, __ATOMIC_RELAXED);
  const std::uint64_t bits = __atomic_load_n(&ab[i >> 6], __ATOMIC_RELAXED);
  if (i >= fi && ((bits >> (i & 63)) & 1) == 0)
    return "it points into a free object slot (the object was freed, or never allocated)";
  return nullptr;
}

void checkptr_start(bool on) {
  if (on) {
    if (g_shadow_table == nullptr) {
      g_shadow_table = static_cast<std::atomic<std::uintptr_t*>*>(
          map_or_die(sizeof(std::atomic<std::uintptr_t*>) * mem::kArenaIndexSize, "the shadow table"));
    }
    sched::LockGuard g(g_types_lock);
    if (g_types == nullptr) g_types = new std::unordered_map<std::uintptr_t, const Layout*>();
    g_types->clear();  // an earlier run's objects are not checked
  }
  g_checkptr.store(on, std::memory_order_release);
}

void checkptr_store(const void* slot, const void* v) noexcept {
  const auto val = reinterpret_cast<std::uintptr_t>(v);
  if (const char* why = bad_pointer_reason(val)) {
    debug::fatalf(
        "gccheckptr: bad pointer stored into a gc::ptr: slot %p, value %p: %s (a gc::ptr must be null or point "
        "into an object made by gort::make)",
        slot, v, why);
  }
  if (std::uintptr_t* sh = shadow_word(reinterpret_cast<std::uintptr_t>(slot), true)) {
    std::atomic_ref<std::uintptr_t>(*sh).store(val, std::memory_order_relaxed);
  }
}

void checkptr_copied(const void* p, std::size_t bytes) noexcept {
  const auto lo = (reinterpret_cast<std::uintptr_t>(p) + 7) & ~std::uintptr_t{7};
  const auto hi = reinterpret_cast<std::uintptr_t>(p) + bytes;
  for (std::uintptr_t a = lo; a + 8 <= hi; a += 8) {
    std::uintptr_t* sh = shadow_word(a, true);
    if (sh == nullptr) return;  // not heap memory (a stack, a channel buffer)
    std::atomic_ref<std::uintptr_t>(*sh).store(__atomic_load_n(reinterpret_cast<const std::uintptr_t*>(a), __ATOMIC_RELAXED),
                                               std::memory_order_relaxed);
  }
}

void checkptr_alloc(std::uintptr_t base, std::size_t slot_bytes, const Layout* layout, bool conservative) noexcept {
  std::uintptr_t* sh = shadow_word(base, true);
  for (std::size_t i = 0; i < slot_bytes / 8; i++) std::atomic_ref<std::uintptr_t>(sh[i]).store(0, std::memory_order_relaxed);
  sched::LockGuard g(g_types_lock);
  (*g_types)[base] = (conservative || layout == nullptr) ? kConservative : layout;
}

namespace {

struct VerifyCtx {
  std::uintptr_t obj;
  std::size_t size;
  const Layout* layout;
  std::size_t slots = 0;
};

void verify_slot(std::uintptr_t slot, void* c) {
  auto* ctx = static_cast<VerifyCtx*>(c);
  ctx->slots++;
  const std::uintptr_t v = __atomic_load_n(reinterpret_cast<const std::uintptr_t*>(slot), __ATOMIC_RELAXED);
  std::uintptr_t* sh = shadow_word(slot, false);
  const std::uintptr_t want = sh != nullptr ? std::atomic_ref<std::uintptr_t>(*sh).load(std::memory_order_relaxed) : 0;
  if (v != want) {
    debug::fatalf(
        "gccheckptr: pointer slot %#lx (offset %zu of the %zu-byte %s at %#lx) holds %#lx, but the last "
        "barriered store there wrote %#lx: it was written without the write barrier (a raw store or memcpy into "
        "a GC object; assign through gc::ptr, or call gc::shade_copied after a bulk copy)",
        static_cast<unsigned long>(slot), static_cast<std::size_t>(slot - ctx->obj), ctx->size, ctx->layout->name,
        static_cast<unsigned long>(ctx->obj), static_cast<unsigned long>(v), static_cast<unsigned long>(want));
  }
  if (const char* why = bad_pointer_reason(v)) {
    debug::fatalf("gccheckptr: pointer slot %#lx (offset %zu of the %zu-byte %s at %#lx) holds %#lx: %s",
                  static_cast<unsigned long>(slot), static_cast<std::size_t>(slot - ctx->obj), ctx->size,
                  ctx->layout->name, static_cast<unsigned long>(ctx->obj), static_cast<unsigned long>(v), why);
  }
}

}  // namespace

void checkptr_verify() {
  sched::LockGuard g(g_types_lock);
  std::size_t objects = 0, slots = 0;
  for (std::size_t ai = 0; ai < mem::kArenaIndexSize; ai++) {
    mem::HeapArena* ha = mem::g_arena_index[ai].load(std::memory_order_acquire);
    if (ha == nullptr) continue;
    const std::uintptr_t arena_base = static_cast<std::uintptr_t>(ai) << mem::kArenaShift;
    for (std::size_t pg = 0; pg < mem::kPagesPerArena; pg++) {
      mem::Span* s = ha->spans[pg].load(std::memory_order_acquire);
      // Each span once: at its first page.
      if (s == nullptr || s->base != arena_base + pg * mem::kPageSize) continue;
      if (s->state.load(std::memory_order_acquire) != mem::SpanState::kInUse || mem::span_class_noscan(s->spc))
        continue;
      for (std::size_t i = 0; i < s->nelems; i++) {
        if (!s->is_marked(i)) continue;  // unreachable: its contents no longer matter
        const std::uintptr_t obj = s->object_base(i);
        auto it = g_types->find(obj);
        if (it == g_types->end() || it->second == kConservative) continue;
        VerifyCtx ctx{obj, s->elemsize, it->second};
        visit_object_slots_fn(obj, verify_slot, &ctx);
        objects++;
        slots += ctx.slots;
      }
    }
  }
  if (debug::knobs().gctrace) {
    std::fprintf(stderr, "gccheckptr: %zu reachable typed objects, %zu pointer slots match their shadow\n", objects,
                 slots);
  }
}

}  // namespace gort::gc
