// iface.cc — the itab cache and interface conversion failures (model at the
// top of runtime/include/gort/iface.h).
//
// The cache is an open-addressing table of itab pointers keyed by
// (interface, type). Lookups are lock-free: they load the current table
// (acquire) and probe it; an entry, once published (release), never
// changes. Inserts take itab_lock, re-probe, and publish; when the table is
// 3/4 full a table twice as big is filled and swapped in. Old tables are
// never freed: a reader may still be probing one (Go does the same), and
// they total less than the final table.
//
// Invariants: every entry of every table is nullptr or a complete itab;
// the (inter, type) pair appears at most once in the current table.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "gort/iface.h"
#include "lang/panic.h"

namespace gort::lang {
namespace {

struct itab_table {
  std::size_t size;  // power of two
  std::size_t count;
  std::atomic<const itab*> entries[1];  // really `size`
};

itab_table* new_table(std::size_t size) {
  std::size_t bytes = sizeof(itab_table) + (size - 1) * sizeof(std::atomic<const itab*>);
  auto* t = static_cast<itab_table*>(std::calloc(1, bytes));
  if (t == nullptr) std::abort();
  t->size = size;
  return t;
}

std::mutex itab_lock;                                    // guards inserts and table growth
std::atomic<itab_table*> g_table{new_table(512)};

inline std::size_t itab_hash(const interface_desc* inter, const type_desc* t) {
  auto a = reinterpret_cast<std::uintptr_t>(inter), b = reinterpret_cast<std::uintptr_t>(t);
  std::uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
  return static_cast<std::size_t>(h ^ (h >> 29));
}

const itab* find(itab_table* t, const interface_desc* inter, const type_desc* ty) {
  std::size_t mask = t->size - 1;
  for (std::size_t i = itab_hash(inter, ty) & mask, step = 1;; i = (i + step++) & mask) {
    const itab* e = t->entries[i].load(std::memory_order_acquire);
    if (e == nullptr) return nullptr;
    if (e->inter == inter && e->type == ty) return e;
  }
}

void add(itab_table* t, const itab* m) {
  std::size_t mask = t->size - 1;
  for (std::size_t i = itab_hash(m->inter, m->type) & mask, step = 1;; i = (i + step++) & mask) {
    if (t->entries[i].load(std::memory_order_relaxed) == nullptr) {
      t->entries[i].store(m, std::memory_order_release);
      t->count++;
      return;
    }
  }
}

// make_itab builds the itab, resolving each interface method in t's method
// set by name and signature.
const itab* make_itab(const interface_desc* inter, const type_desc* ty) {
  std::size_t n = inter->methods.empty() ? 1 : inter->methods.size();
  auto* m = static_cast<itab*>(std::calloc(1, sizeof(itab) + (n - 1) * sizeof(void (*)())));
  if (m == nullptr) std::abort();
  m->inter = inter;
  m->type = ty;
  for (std::size_t i = 0; i < inter->methods.size(); i++) {
    const method_desc* md = find_method(ty, inter->methods[i].name.c_str());
    if (md == nullptr || *md->sig != *inter->methods[i].sig) {
      m->fun[0] = nullptr;
      m->missing = inter->methods[i].name.c_str();
      return m;
    }
    m->fun[i] = md->fn;
  }
  if (inter->methods.empty()) m->fun[0] = reinterpret_cast<void (*)()>(&make_itab);  // non-null: ok
  return m;
}

}  // namespace

const itab* find_itab(const interface_desc* inter, const type_desc* ty) {
  const itab* m = find(g_table.load(std::memory_order_acquire), inter, ty);
  if (m != nullptr) return m;
  std::lock_guard<std::mutex> g(itab_lock);
  itab_table* t = g_table.load(std::memory_order_relaxed);
  m = find(t, inter, ty);
  if (m == nullptr) {
    m = make_itab(inter, ty);
    if ((t->count + 1) * 4 > t->size * 3) {
      itab_table* bigger = new_table(t->size * 2);
      for (std::size_t i = 0; i < t->size; i++) {
        if (const itab* e = t->entries[i].load(std::memory_order_relaxed)) add(bigger, e);
      }
      g_table.store(bigger, std::memory_order_release);
      t = bigger;  // the old table stays allocated for concurrent readers
    }
    add(t, m);
  }
  return m;
}

void panic_missing_method(const itab* m) {
  std::string msg = "interface conversion: " + m->type->name + " is not " + m->inter->name +
                    ": missing method " + m->missing;
  throw gort::panic_error(gort::panic_error::kind::runtime_error, msg, __builtin_return_address(0));
}

const itab* getitab(const interface_desc* inter, const type_desc* ty, bool can_fail) {
  const itab* m = find_itab(inter, ty);
  if (m->fun[0] != nullptr) return m;
  if (can_fail) return nullptr;
  std::string msg = "interface conversion: " + ty->name + " is not " + inter->name + ": missing method " +
                    m->missing;
  throw gort::panic_error(gort::panic_error::kind::runtime_error, msg, __builtin_return_address(0));
}

std::size_t itab_cache_size() noexcept {
  std::lock_guard<std::mutex> g(itab_lock);
  return g_table.load(std::memory_order_relaxed)->count;
}

void panic_type_assert(const type_desc* have, const type_desc* want, const char* iface_name) {
  std::string msg = std::string("interface conversion: ") + iface_name + " is " +
                    (have ? have->name : std::string("nil")) + ", not " + want->name;
  throw gort::panic_error(gort::panic_error::kind::runtime_error, msg, __builtin_return_address(0));
}

}  // namespace gort::lang

namespace gort {

bool operator==(const any& a, const any& b) {
  if (a.type() != b.type()) return false;
  if (a.type() == nullptr) return true;
  if (a.type()->ops.equal == nullptr) {
    std::string msg = "runtime error: comparing uncomparable type " + a.type()->name;
    throw gort::panic_error(gort::panic_error::kind::runtime_error, msg, __builtin_return_address(0));
  }
  return a.type()->ops.equal(a.value_ptr(), b.value_ptr());
}

}  // namespace gort
