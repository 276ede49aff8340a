// gort/swiss_map.h — the Swiss-table variant of Go's map (Go 1.24's
// design, re-derived for C++ templates), behind gort::map's API.
//
//   auto m = gort::make_swiss_map<std::int64_t, int>();
//   m[3] = 4;  m.set(5, 6);  int* v = m.find(3);  m.erase(5);
//   for (auto [k, v] : m) ...
//
// Design. A map is a handle to a shared header (Go maps are reference
// values; the default-constructed map is nil: reads see nothing, delete is a
// no-op, a write panics "assignment to entry in nil map"). The header holds
// a directory of 2^global_depth table pointers indexed by the hash's top
// bits; a table with local depth d owns the 2^(global_depth-d) consecutive
// entries that share its d-bit prefix.
//
// A table is an open-addressed array of groups. A group is 8 slots {K, V}
// and an 8-byte control word, one byte per slot: 0x80 empty, 0xFE deleted
// (a tombstone), 0b0hhhhhhh full with H2 = the hash's low 7 bits. A probe
// starts at group H1 & mask (H1 = hash >> 7) and visits groups in
// triangular steps (every group once, the group count being a power of
// two); in each group one SWAR step on the control word finds the slots
// whose byte equals H2 (false positives are possible and weeded out by the
// key compare) and whether the group has an empty slot, which ends a probe.
// An insert takes the first deleted or empty slot on the probe sequence. A
// delete leaves a tombstone unless the group still has an empty slot (then
// no probe can have passed through it, and the slot becomes empty again).
//
// Growth is per table. A table may fill 7/8 of its slots (growth_left
// counts the empty slots that may still be taken: tombstones do not give
// any back). When an insert finds growth_left == 0, the table is rebuilt:
// at the same size when at least a third of its slots are tombstones,
// doubled while it has at most kMaxTableSlots slots, else split into two
// tables by the next hash bit (doubling the directory if the table's local
// depth equals the global depth). So no insert rehashes more than one
// table of at most 1024 slots: the worst single insert is bounded however
// large the map grows (Go ≤1.23's incremental evacuation bounds it too, by
// another route; gort::map).
//
// Iteration starts at a random table and a random slot offset in each
// table. An iterator keeps the tables it has yet to visit alive (it lists
// them in a GC array; each table counts the iterators yet to visit it).
// When a table is replaced (grown, split, cleared) while an iterator still
// has it to visit, the entries are copied, not moved, and
// the iterator walks the old table, looking each key up in the current map:
// keys deleted since are skipped and updated values are seen, as Go
// requires; entries added during iteration may or may not be visited.
//
// Memory: GC-MANAGED (gort/lang_alloc.h). The header, its directory, the
// tables and their group arrays are GC blocks; nothing is reference-counted
// or freed explicitly: a replaced table is dropped from the directory and
// the collector frees it once no iterator lists it. The handle is a gc::ptr
// to the header (traced inside GC objects, trivially destructible); every
// pointer stored between the blocks runs the write barrier. Group arrays
// are noscan when K and V hold no pointers (lang::noscan_v; groups have no
// internal links), else scanned conservatively. Keys and values that are
// not trivially destructible (std::string) are destroyed by a finalizer on
// the group array once it is unreachable (erase destroys its entry at
// once). GC pointers in keys and values must be gc::ptr members. Hash and Eq
// must be trivially destructible. Unlike gort::map there is no concurrent-
// misuse detector yet.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

#include "gort/hash.h"
#include "gort/lang_alloc.h"
#include "gort/panic.h"

namespace gort {

namespace swiss_detail {
inline constexpr int kSlots = 8;
inline constexpr std::uint8_t kEmpty = 0x80;
inline constexpr std::uint8_t kDeleted = 0xFE;
inline constexpr std::uint64_t kLsb = 0x0101010101010101ull;
inline constexpr std::uint64_t kMsb = 0x8080808080808080ull;
inline constexpr std::size_t kMaxTableSlots = 1024;

// match_h2: a bit 7 set in each byte equal to h2 (may report a false
// positive just after a true one; callers compare keys anyway).
inline std::uint64_t match_h2(std::uint64_t ctrl, std::uint8_t h2) {
  std::uint64_t x = ctrl ^ (kLsb * h2);
  return (x - kLsb) & ~x & kMsb;
}
// match_empty: bytes equal to kEmpty (bit 7 set, bit 6 clear).
inline std::uint64_t match_empty(std::uint64_t ctrl) { return ctrl & ~(ctrl << 1) & kMsb; }
// match_free: empty or deleted bytes (bit 7 set).
inline std::uint64_t match_free(std::uint64_t ctrl) { return ctrl & kMsb; }
// match_full: full bytes (bit 7 clear).
inline std::uint64_t match_full(std::uint64_t ctrl) { return ~ctrl & kMsb; }
inline int first(std::uint64_t bits) { return __builtin_ctzll(bits) >> 3; }
inline std::uint64_t drop_first(std::uint64_t bits) { return bits & (bits - 1); }
}  // namespace swiss_detail

// swiss_stats is a snapshot of a Swiss map's shape.
struct swiss_stats {
  std::size_t count = 0;
  std::size_t tables = 0;
  unsigned global_depth = 0;
  std::size_t slots = 0;       // total over the tables
  std::size_t tombstones = 0;
  std::uint64_t rehashes = 0;  // table rebuilds (grow, split, same-size) over the map's life
};

template <class K, class V, class Hash = hasher<K>, class Eq = std::equal_to<K>>
class swiss_map {
  static constexpr int N = swiss_detail::kSlots;
  struct slot {
    K k;
    V v;
  };
  struct group {
    std::uint64_t ctrl;
    alignas(slot) unsigned char sbuf[N * sizeof(slot)];
    slot* at(int i) { return std::launder(reinterpret_cast<slot*>(sbuf) + i); }
    std::uint8_t byte(int i) const { return static_cast<std::uint8_t>(ctrl >> (8 * i)); }
    void set(int i, std::uint8_t b) {
      ctrl = (ctrl & ~(std::uint64_t{0xff} << (8 * i))) | (std::uint64_t{b} << (8 * i));
    }
  };
  static_assert(alignof(group) <= 16, "gort::swiss_map: key or value over-aligned");

  struct table {
    std::atomic<std::intptr_t> iters{0};  // iterators yet to visit this table
    std::size_t ngroups = 0;  // power of two
    std::size_t used = 0;
    std::size_t tombstones = 0;
    std::size_t growth_left = 0;
    unsigned local_depth = 0;
    bool retired = false;  // replaced in the directory; only iterators hold it
    gc::ptr<group> groups;
    std::size_t slots() const { return ngroups * N; }
  };

  struct header {
    std::size_t count = 0;
    std::uint64_t seed = 0;
    unsigned global_depth = 0;
    gc::ptr<table*> dir;  // 2^global_depth entries (a GC block, scanned)
    std::size_t dir_size() const { return std::size_t{1} << global_depth; }
    std::uint64_t rehashes = 0;
    [[no_unique_address]] Hash hash;
    [[no_unique_address]] Eq eq;
  };
  static_assert(std::is_trivially_destructible_v<Hash> && std::is_trivially_destructible_v<Eq>,
                "gort::swiss_map: Hash and Eq must be trivially destructible (the header is a GC object)");
  static constexpr bool kScan = !lang::noscan_v<K> || !lang::noscan_v<V>;
  static constexpr bool kFinalize = !std::is_trivially_destructible_v<K> || !std::is_trivially_destructible_v<V>;

 public:
  using key_type = K;
  using mapped_type = V;

  swiss_map() noexcept = default;
  // Copies share the header (Go maps are references); a moved-from map is nil.
  swiss_map(const swiss_map& o) noexcept = default;
  swiss_map(swiss_map&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  swiss_map& operator=(swiss_map o) noexcept {
    h_ = o.h_;
    return *this;
  }
  ~swiss_map() = default;  // trivial: maps may live inside GC objects

  // make returns an empty, non-nil map with room for about `hint` entries.
  static swiss_map make(std::size_t hint = 0) {
    swiss_map m;
    header* h = ::new (lang::lang_alloc(sizeof(header), true)) header;
    m.h_ = gc::ptr<header>::from_raw(h);
    h->seed = fastrand64();
    std::size_t per = swiss_detail::kMaxTableSlots * 7 / 8;
    unsigned depth = 0;
    while ((hint >> depth) > per) depth++;
    std::size_t each = hint >> depth;
    std::size_t ng = 1;
    while (ng * N * 7 / 8 < each) ng *= 2;
    h->global_depth = depth;
    h->dir = new_dir(h->dir_size());
    for (std::size_t j = 0; j < h->dir_size(); j++) set_dir(h, j, new_table(ng, depth));
    return m;
  }

  bool is_nil() const noexcept { return !h_; }
  std::size_t size() const noexcept { return h_ ? h_->count : 0; }
  bool empty() const noexcept { return size() == 0; }

  // find returns a pointer to k's value or nullptr; valid until the next write.
  V* find(const K& k) const {
    header* h = h_.get();
    if (h == nullptr || h->count == 0) return nullptr;
    std::uint64_t hash = h->hash(k, h->seed);
    slot* s = find_in(h, table_of(h, hash), k, hash);
    return s ? &s->v : nullptr;
  }
  bool contains(const K& k) const { return find(k) != nullptr; }
  V get(const K& k) const {
    V* v = find(k);
    return v ? *v : V{};
  }
  V& operator[](const K& k) { return *assign(k); }
  void set(const K& k, V v) { *assign(k) = std::move(v); }

  // erase deletes k; returns whether it was present (a no-op on nil).
  bool erase(const K& k) {
    header* h = h_.get();
    if (h == nullptr || h->count == 0) return false;
    std::uint64_t hash = h->hash(k, h->seed);
    table* t = table_of(h, hash);
    std::size_t mask = t->ngroups - 1;
    std::uint8_t h2 = hash & 0x7f;
    for (std::size_t pos = (hash >> 7) & mask, step = 1;; pos = (pos + step++) & mask) {
      group& g = t->groups[pos];
      for (std::uint64_t m = swiss_detail::match_h2(g.ctrl, h2); m; m = swiss_detail::drop_first(m)) {
        int i = swiss_detail::first(m);
        if (g.byte(i) != h2 || !h->eq(g.at(i)->k, k)) continue;
        g.at(i)->~slot();
        if (swiss_detail::match_empty(g.ctrl)) {
          g.set(i, swiss_detail::kEmpty);
          t->growth_left++;
        } else {
          g.set(i, swiss_detail::kDeleted);
          t->tombstones++;
        }
        t->used--;
        h->count--;
        if (h->count == 0) h->seed = fastrand64();  // as gort::map: a fresh seed when empty
        return true;
      }
      if (swiss_detail::match_empty(g.ctrl) || step > t->ngroups) return false;
    }
  }

  // clear removes every entry (Go 1.21's clear(m)).
  void clear() {
    header* h = h_.get();
    if (h == nullptr) return;
    for (std::size_t i = 0; i < h->dir_size();) {
      table* t = h->dir[i];
      std::size_t span = std::size_t{1} << (h->global_depth - t->local_depth);
      table* fresh = new_table(t->ngroups, t->local_depth);
      for (std::size_t j = i; j < i + span; j++) set_dir(h, j, fresh);
      retire(t);
      i += span;
    }
    h->count = 0;
    h->seed = fastrand64();
  }

  swiss_stats stats() const {
    swiss_stats s;
    header* h = h_.get();
    if (h == nullptr) return s;
    s.count = h->count;
    s.global_depth = h->global_depth;
    s.rehashes = h->rehashes;
    for_each_table(h, [&](table* t) {
      s.tables++;
      s.slots += t->slots();
      s.tombstones += t->tombstones;
    });
    return s;
  }

  class sentinel {};
  class iterator {
   public:
    iterator(iterator&& o) noexcept
        : m_(std::move(o.m_)),
          tables_(o.tables_),
          ntables_(std::exchange(o.ntables_, 0)),
          ti_(o.ti_),
          j_(o.j_),
          off_(o.off_),
          k_(std::exchange(o.k_, nullptr)),
          v_(o.v_) {}
    iterator(const iterator&) = delete;
    iterator& operator=(const iterator&) = delete;
    ~iterator() {
      for (std::size_t i = ti_; i < ntables_; i++) unref(tables_[i]);
    }
    std::pair<const K&, V&> operator*() const { return {*k_, *v_}; }
    iterator& operator++() {
      next();
      return *this;
    }
    bool operator!=(sentinel) const { return k_ != nullptr; }
    bool operator==(sentinel) const { return k_ == nullptr; }

   private:
    friend class swiss_map;
    explicit iterator(const swiss_map& m) : m_(m) {
      header* h = m_.h_.get();
      if (h == nullptr || h->count == 0) return;
      std::size_t n = 0;
      for_each_table(h, [&](table*) { n++; });
      // The list is a GC block, so the tables it names stay alive while
      // this iterator (on a goroutine stack) does.
      tables_ = gc::ptr<table*>::from_raw(static_cast<table**>(lang::lang_alloc(n * sizeof(table*), true)));
      std::uint64_t r = fastrand64();
      // A random rotation of the table order and a random slot offset.
      std::size_t rot = r % n, i = 0;
      for_each_table(h, [&](table* t) {
        t->iters.fetch_add(1, std::memory_order_relaxed);
        gc::detail::store_ptr(&tables_[(i++ + n - rot) % n], t);
      });
      ntables_ = n;
      off_ = static_cast<std::size_t>(r >> 32);
      next();
    }
    void next() {
      k_ = nullptr;
      while (ti_ < ntables_) {
        table* t = tables_[ti_];
        std::size_t n = t->slots();
        while (j_ < n) {
          std::size_t s = (j_ + off_) & (n - 1);
          j_++;
          group& g = t->groups[s / N];
          int i = static_cast<int>(s % N);
          if (g.byte(i) & 0x80) continue;
          slot* sl = g.at(i);
          if (!t->retired) {
            k_ = &sl->k;
            v_ = &sl->v;
            return;
          }
          // The table was replaced since the iterator started: the key's
          // current entry, if it still has one, is in the live map.
          header* h = m_.h_.get();
          std::uint64_t hash = h->hash(sl->k, h->seed);
          if (slot* cur = find_in(h, table_of(h, hash), sl->k, hash)) {
            k_ = &cur->k;
            v_ = &cur->v;
            return;
          }
        }
        unref(t);
        ti_++;
        j_ = 0;
      }
    }

    swiss_map m_;
    gc::ptr<table*> tables_;
    std::size_t ntables_ = 0;
    std::size_t ti_ = 0;
    std::size_t j_ = 0;
    std::size_t off_ = 0;
    const K* k_ = nullptr;
    V* v_ = nullptr;
  };

  iterator begin() const { return iterator(*this); }
  sentinel end() const { return {}; }

 private:
  static table* table_of(header* h, std::uint64_t hash) {
    return h->global_depth == 0 ? h->dir[0] : h->dir[hash >> (64 - h->global_depth)];
  }

  static gc::ptr<table*> new_dir(std::size_t n) {
    return gc::ptr<table*>::from_raw(static_cast<table**>(lang::lang_alloc(n * sizeof(table*), true)));
  }
  static void set_dir(header* h, std::size_t j, table* t) { gc::detail::store_ptr(&h->dir[j], t); }

  static table* new_table(std::size_t ngroups, unsigned depth) {
    auto* t = ::new (lang::lang_alloc(sizeof(table), true)) table;
    t->ngroups = ngroups;
    t->local_depth = depth;
    t->growth_left = ngroups * N * 7 / 8;
    auto* groups = static_cast<group*>(lang::lang_alloc(ngroups * sizeof(group), kScan));
    std::size_t init = ngroups;
    if constexpr (kFinalize) {
      // The finalizer walks every group of the block (size-class slack
      // included), so all of them must read as empty.
      init = lang::lang_usable(groups) / sizeof(group);
      lang::lang_finalize(groups, &finalize_groups);
    }
    for (std::size_t i = 0; i < init; i++) groups[i].ctrl = swiss_detail::kLsb * swiss_detail::kEmpty;
    t->groups = gc::ptr<group>::from_raw(groups);
    return t;
  }
  // finalize_groups destroys the entries still in a dead group array (a
  // table moved away from keeps its moved-from entries, destroyed here).
  static void finalize_groups(void* block) {
    auto* groups = static_cast<group*>(block);
    const std::size_t n = lang::lang_usable(block) / sizeof(group);
    for (std::size_t i = 0; i < n; i++) {
      group& g = groups[i];
      for (std::uint64_t m = swiss_detail::match_full(g.ctrl); m; m = swiss_detail::drop_first(m))
        g.at(swiss_detail::first(m))->~slot();
    }
  }
  static void unref(table* t) { t->iters.fetch_sub(1, std::memory_order_acq_rel); }
  // retire marks a table the directory no longer lists (only iterators may
  // still hold it; the collector frees it after them).
  static void retire(table* t) { t->retired = true; }
  template <class F>
  static void for_each_table(header* h, F&& f) {
    for (std::size_t i = 0; i < h->dir_size();) {
      table* t = h->dir[i];
      std::size_t span = std::size_t{1} << (h->global_depth - t->local_depth);
      f(t);
      i += span;
    }
  }

  static slot* find_in(header* h, table* t, const K& k, std::uint64_t hash) {
    std::size_t mask = t->ngroups - 1;
    std::uint8_t h2 = hash & 0x7f;
    for (std::size_t pos = (hash >> 7) & mask, step = 1;; pos = (pos + step++) & mask) {
      group& g = t->groups[pos];
      for (std::uint64_t m = swiss_detail::match_h2(g.ctrl, h2); m; m = swiss_detail::drop_first(m)) {
        int i = swiss_detail::first(m);
        if (g.byte(i) == h2 && h->eq(g.at(i)->k, k)) return g.at(i);
      }
      if (swiss_detail::match_empty(g.ctrl) || step > t->ngroups) return nullptr;
    }
  }

  // place puts a new entry (its slot not yet constructed) into t, which has
  // room and does not hold k; returns the slot.
  static slot* place(table* t, std::uint64_t hash) {
    std::size_t mask = t->ngroups - 1;
    for (std::size_t pos = (hash >> 7) & mask, step = 1;; pos = (pos + step++) & mask) {
      group& g = t->groups[pos];
      if (std::uint64_t m = swiss_detail::match_free(g.ctrl)) {
        int i = swiss_detail::first(m);
        if (g.byte(i) == swiss_detail::kDeleted) {
          t->tombstones--;
        } else {
          t->growth_left--;
        }
        g.set(i, static_cast<std::uint8_t>(hash & 0x7f));
        t->used++;
        return g.at(i);
      }
    }
  }

  V* assign(const K& k) {
    header* h = h_.get();
    if (h == nullptr) lang::panic_runtime_error("assignment to entry in nil map");
    std::uint64_t hash = h->hash(k, h->seed);
    for (;;) {
      table* t = table_of(h, hash);
      if (slot* s = find_in(h, t, k, hash)) return &s->v;
      // Absent: reuse a tombstone on k's probe sequence, or take an empty
      // slot while the table has growth left; else rebuild and retry.
      if (t->growth_left == 0 && !has_tombstone_on_path(t, hash)) {
        rebuild(h, t);
        continue;
      }
      slot* s = place(t, hash);
      try {
        ::new (static_cast<void*>(&s->k)) K(k);
        try {
          ::new (static_cast<void*>(&s->v)) V();
        } catch (...) {
          s->k.~K();
          throw;
        }
      } catch (...) {
        unplace(t, s);
        throw;
      }
      h->count++;
      return &s->v;
    }
  }
  // has_tombstone_on_path: place() would take a tombstone (not an empty
  // slot) for this hash.
  static bool has_tombstone_on_path(table* t, std::uint64_t hash) {
    if (t->tombstones == 0) return false;
    std::size_t mask = t->ngroups - 1;
    for (std::size_t pos = (hash >> 7) & mask, step = 1;; pos = (pos + step++) & mask) {
      group& g = t->groups[pos];
      if (std::uint64_t m = swiss_detail::match_free(g.ctrl))
        return g.byte(swiss_detail::first(m)) == swiss_detail::kDeleted;
    }
  }
  static void unplace(table* t, slot* s) {
    for (std::size_t i = 0; i < t->ngroups; i++) {
      group& g = t->groups[i];
      for (int j = 0; j < N; j++) {
        if (g.at(j) == s) {
          g.set(j, swiss_detail::kDeleted);
          t->tombstones++;
          t->used--;
          return;
        }
      }
    }
  }

  // rebuild replaces a full table: same size (many tombstones), doubled, or
  // split in two by the next hash bit.
  void rebuild(header* h, table* t) {
    h->rehashes++;
    bool copy = t->iters.load(std::memory_order_acquire) > 0;  // an iterator walks it
    std::size_t first = dir_first(h, t);
    std::size_t span = std::size_t{1} << (h->global_depth - t->local_depth);
    if (t->tombstones * 3 >= t->slots() || t->slots() < swiss_detail::kMaxTableSlots) {
      std::size_t ng = t->tombstones * 3 >= t->slots() ? t->ngroups : t->ngroups * 2;
      table* nt = new_table(ng, t->local_depth);
      move_all(h, t, copy, [&](std::uint64_t) { return nt; });
      for (std::size_t j = first; j < first + span; j++) set_dir(h, j, nt);
    } else {
      if (t->local_depth == h->global_depth) {
        const std::size_t old = h->dir_size();
        gc::ptr<table*> d = new_dir(old * 2);
        for (std::size_t j = 0; j < old; j++) {
          gc::detail::store_ptr(&d[2 * j], h->dir[j]);
          gc::detail::store_ptr(&d[2 * j + 1], h->dir[j]);
        }
        h->dir = d;
        h->global_depth++;
        first *= 2;
        span *= 2;
      }
      unsigned bit = 63 - t->local_depth;  // the next hash bit below the prefix
      table* lo = new_table(t->ngroups, t->local_depth + 1);
      table* hi = new_table(t->ngroups, t->local_depth + 1);
      move_all(h, t, copy, [&](std::uint64_t hash) { return (hash >> bit) & 1 ? hi : lo; });
      for (std::size_t j = first; j < first + span / 2; j++) set_dir(h, j, lo);
      for (std::size_t j = first + span / 2; j < first + span; j++) set_dir(h, j, hi);
    }
    retire(t);
  }
  static std::size_t dir_first(header* h, table* t) {
    for (std::size_t j = 0; j < h->dir_size(); j++)
      if (h->dir[j] == t) return j;
    return 0;
  }
  template <class Pick>
  static void move_all(header* h, table* t, bool copy, Pick pick) {
    for (std::size_t i = 0; i < t->ngroups; i++) {
      group& g = t->groups[i];
      for (std::uint64_t m = swiss_detail::match_full(g.ctrl); m; m = swiss_detail::drop_first(m)) {
        slot* s = g.at(swiss_detail::first(m));
        std::uint64_t hash = h->hash(s->k, h->seed);
        slot* d = place(pick(hash), hash);
        if (copy) {
          ::new (static_cast<void*>(d)) slot(*s);
        } else {
          ::new (static_cast<void*>(d)) slot(std::move(*s));
        }
      }
    }
  }

  gc::ptr<header> h_;
};

template <class K, class V, class Hash = hasher<K>, class Eq = std::equal_to<K>>
swiss_map<K, V, Hash, Eq> make_swiss_map(std::size_t hint = 0) {
  return swiss_map<K, V, Hash, Eq>::make(hint);
}

template <class K, class V, class H, class E>
std::size_t len(const swiss_map<K, V, H, E>& m) noexcept {
  return m.size();
}

}  // namespace gort
