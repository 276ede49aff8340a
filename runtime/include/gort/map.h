// gort/map.h — Go's map: a bucketed hash table with incremental growth.
//
// Design (Go ≤ 1.23's hashmap, re-derived for C++ templates):
//
// A map is a handle to an hmap; copies of the handle share it (Go maps are
// reference values). The default-constructed map is nil: reads see nothing,
// delete is a no-op, and a write panics with "assignment to entry in nil
// map". make_map<K,V>(hint) makes a usable one.
//
// The table is an array of 2^B buckets. A bucket holds 8 slots: 8 top-hash
// bytes, then the 8 keys packed together, then the 8 values packed together
// (no padding between a key and its value), then a pointer to an overflow
// bucket. A key's hash picks its bucket from the low B bits and its top-hash
// byte from the high 8 bits, so a probe compares one byte per slot and only
// calls key equality when the byte matches. Top-hash values below kMinTop
// are slot states, not hashes (see kEmptyRest..kEvacYLive).
//
// Growth. When an insert would push the average load past 6.5 entries per
// bucket, the table doubles; when overflow buckets are about as many as
// regular buckets (many deletes left chains long and sparse) it re-makes a
// table of the same size. Either way the old array is kept and evacuated
// INCREMENTALLY: each insert or delete evacuates the old bucket it is about
// to use plus the next not-yet-evacuated one, so no single write pays for a
// whole rehash. On doubling, old bucket i splits into new buckets i ("X")
// and i + 2^(B-1) ("Y") by one more hash bit. Lookups during growth consult
// the old bucket while it is not evacuated.
//
// Iteration starts at a random bucket and a random slot offset, so order
// differs between runs (and between loops). An iterator walks the bucket
// array current when it started; if the map grows under it, it follows
// Go's rules: while its array is the new array of a growth in progress it
// reads not-yet-evacuated old buckets and keeps only keys that belong to the
// bucket it is at; an entry already evacuated from its array is looked up
// again in the current table (so deleted keys vanish and updated values are
// seen). Deleting during iteration is allowed; an entry added during
// iteration may or may not be visited, as in Go.
//
// Seeds. Each map draws a random hash seed (fastrand64) at creation and
// again whenever it becomes empty, so crafted colliding keys cannot be
// prepared in advance (claim 310).
//
// Invariants:
//   - count == number of slots whose top-hash is >= kMinTop in buckets plus
//     the not-yet-evacuated old buckets.
//   - oldbuckets != nullptr iff a growth is in progress; then every old
//     bucket below nevacuate is evacuated (its top[0] is an evac state).
//   - A slot holds a constructed key and value iff its top-hash is >= kMinTop
//     or is kEvacXLive/kEvacYLive (copied, not moved, because iterators were
//     live: they may still read the old key).
//   - An array no longer reachable from the hmap (evacuated, cleared) is
//     simply dropped: the collector frees it once no iterator refers to it.
//   - kWriting is set for the length of every write; a write or read that
//     finds it set reports concurrent map use, fatally, as Go does.
//
// Memory: GC-MANAGED (gort/lang_alloc.h). The hmap, the bucket arrays and
// the overflow buckets are GC blocks; nothing is reference-counted or freed
// explicitly. The handle is a gc::ptr to the hmap (so a map inside a GC
// object is traced, and the handle is trivially destructible); the hmap
// points to its arrays through gc::ptr, and overflow links are stored with
// the barrier. Buckets are scanned conservatively whatever K and V are:
// the overflow link lives in the bucket (Go keeps noscan buckets' overflow
// buckets alive from a side list instead; not done here). An iterator on a
// goroutine stack keeps the array it walks alive by the stack scan.
// Keys and values that are not trivially destructible (std::string) are
// destroyed by a finalizer on each bucket array (with its overflow chains)
// once the array is unreachable; erase destroys its entry at once. GC
// pointers in keys and values must be gc::ptr members (raw pointers are not
// traced). Hash and Eq must be trivially destructible (the hmap is never
// destroyed).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "gort/hash.h"
#include "gort/lang_alloc.h"
#include "gort/panic.h"

namespace gort {

namespace map_detail {
inline constexpr int kBucketCnt = 8;
// Slot states stored in the top-hash byte.
inline constexpr std::uint8_t kEmptyRest = 0;   // empty, and so is every later slot/overflow
inline constexpr std::uint8_t kEmptyOne = 1;    // empty
inline constexpr std::uint8_t kEvacX = 2;       // moved to the X half (old slot destroyed)
inline constexpr std::uint8_t kEvacY = 3;       // moved to the Y half (old slot destroyed)
inline constexpr std::uint8_t kEvacEmpty = 4;   // empty, bucket evacuated
inline constexpr std::uint8_t kEvacXLive = 5;   // copied to X, old key/value kept for iterators
inline constexpr std::uint8_t kEvacYLive = 6;   // copied to Y, old key/value kept for iterators
inline constexpr std::uint8_t kMinTop = 7;      // smallest top-hash of a full slot
// Load factor 6.5 = 13/2 entries per bucket.
inline constexpr std::size_t kLoadNum = 13, kLoadDen = 2;

inline bool is_empty(std::uint8_t t) { return t <= kEmptyOne; }
inline bool is_evac_state(std::uint8_t t) { return t > kEmptyOne && t < kMinTop; }
inline bool holds_object(std::uint8_t t) { return t >= kMinTop || t == kEvacXLive || t == kEvacYLive; }
inline std::uint8_t tophash(std::uint64_t h) {
  auto t = static_cast<std::uint8_t>(h >> 56);
  return t < kMinTop ? static_cast<std::uint8_t>(t + kMinTop) : t;
}
inline bool over_load(std::size_t count, std::uint8_t B) {
  return count > kBucketCnt && count > kLoadNum * ((std::size_t{1} << B) / kLoadDen);
}
inline bool too_many_overflow(std::size_t noverflow, std::uint8_t B) {
  return noverflow >= (std::size_t{1} << (B < 15 ? B : 15));
}
}  // namespace map_detail

// map_stats is a snapshot of a map's internals, for tests and benchmarks.
struct map_stats {
  std::size_t count = 0;
  unsigned B = 0;
  std::size_t noverflow = 0;    // overflow buckets in the current array (approximate for B > 15)
  bool growing = false;
  std::size_t nevacuate = 0;
  std::uint64_t evacuations = 0;  // old buckets evacuated over the map's life
  std::uint64_t grows = 0;        // growths started (doubling + same size)
};

// map<K, V> is Go's map[K]V. See the design comment at the top of this file.
template <class K, class V, class Hash = hasher<K>, class Eq = std::equal_to<K>>
class map {
  static constexpr int N = map_detail::kBucketCnt;

  struct bucket {
    std::uint8_t top[N];
    alignas(K) unsigned char kbuf[N * sizeof(K)];
    alignas(V) unsigned char vbuf[N * sizeof(V)];
    bucket* overflow;
    K* key(int i) { return std::launder(reinterpret_cast<K*>(kbuf) + i); }
    V* val(int i) { return std::launder(reinterpret_cast<V*>(vbuf) + i); }
  };
  static_assert(alignof(bucket) <= 16, "gort::map: key or value over-aligned");

  struct hmap {
    std::size_t count = 0;
    std::uint8_t B = 0;
    bool writing = false;
    bool same_size_grow = false;
    std::size_t noverflow = 0;
    std::uint64_t seed = 0;
    gc::ptr<bucket> buckets;
    gc::ptr<bucket> oldbuckets;
    std::size_t nevacuate = 0;
    std::atomic<std::uint32_t> iters{0};
    std::uint64_t evacuations = 0;
    std::uint64_t grows = 0;
    std::uint64_t clear_seq = 0;  // bumped by clear(): iterators started before it stop
    [[no_unique_address]] Hash hash;
    [[no_unique_address]] Eq eq;
  };
  static_assert(std::is_trivially_destructible_v<Hash> && std::is_trivially_destructible_v<Eq>,
                "gort::map: Hash and Eq must be trivially destructible (the map header is a GC object)");

 public:
  using key_type = K;
  using mapped_type = V;

  // map() is the nil map.
  map() noexcept = default;
  // Copies share the hmap (Go maps are references); a moved-from map is nil.
  map(const map& o) noexcept = default;
  map(map&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  map& operator=(const map& o) noexcept = default;
  map& operator=(map&& o) noexcept {
    if (this != &o) {
      h_ = o.h_;
      o.h_ = nullptr;
    }
    return *this;
  }
  ~map() = default;  // trivial: maps may live inside GC objects

  // make returns an empty, non-nil map with room for about `hint` entries
  // before it grows (Go's make(map[K]V, hint)).
  static map make(std::size_t hint = 0) {
    map m;
    hmap* h = ::new (lang::lang_alloc(sizeof(hmap), true)) hmap;
    m.h_ = gc::ptr<hmap>::from_raw(h);
    h->seed = fastrand64();
    std::uint8_t B = 0;
    while (map_detail::over_load(hint, B)) B++;
    h->B = B;
    if (B > 0) h->buckets = new_array(std::size_t{1} << B);
    return m;
  }

  // is_nil reports whether this is the nil map.
  bool is_nil() const noexcept { return !h_; }
  // size is len(m).
  std::size_t size() const noexcept { return h_ ? h_->count : 0; }
  bool empty() const noexcept { return size() == 0; }

  // find returns a pointer to k's value, or nullptr (v, ok := m[k]). The
  // pointer is valid until the next write to the map.
  V* find(const K& k) const {
    hmap* h = h_.get();
    if (h == nullptr || h->count == 0) return nullptr;
    if (h->writing) fatal_concurrent("concurrent map read and map write");
    std::uint64_t hash = h->hash(k, h->seed);
    std::size_t m = bucket_mask(h->B);
    bucket* b = &h->buckets[hash & m];
    if (h->oldbuckets != nullptr) {
      std::size_t om = h->same_size_grow ? m : m >> 1;
      bucket* ob = &h->oldbuckets[hash & om];
      if (!evacuated(ob)) b = ob;
    }
    std::uint8_t top = map_detail::tophash(hash);
    for (; b != nullptr; b = b->overflow) {
      for (int i = 0; i < N; i++) {
        std::uint8_t t = b->top[i];
        if (t != top) {
          if (t == map_detail::kEmptyRest) return nullptr;
          continue;
        }
        if (h->eq(*b->key(i), k)) return b->val(i);
      }
    }
    return nullptr;
  }

  // contains reports whether k is present.
  bool contains(const K& k) const { return find(k) != nullptr; }

  // get returns k's value, or V{} when absent (Go's m[k] as an rvalue).
  V get(const K& k) const {
    V* v = find(k);
    return v ? *v : V{};
  }

  // operator[] returns k's value slot for writing, inserting a zero value
  // first when k is absent (Go's mapassign). Panics on the nil map. The
  // reference is valid until the next write to the map.
  V& operator[](const K& k) { return *assign(k); }

  // set stores m[k] = v.
  void set(const K& k, V v) { *assign(k) = std::move(v); }

  // erase deletes k (Go's delete(m, k)); returns whether it was present. A
  // no-op on the nil map.
  bool erase(const K& k);

  // clear removes every entry (Go 1.21's clear(m)).
  void clear();

  // stats returns a snapshot of the internals (O(1)).
  map_stats stats() const;
  // max_chain returns the longest bucket chain (1 = no overflow bucket) in
  // the current array; O(buckets).
  std::size_t max_chain() const;

  class sentinel {};
  // iterator walks the map in Go's randomized order; it keeps the map alive.
  class iterator {
   public:
    iterator(iterator&& o) noexcept { *this = std::move(o); }
    iterator& operator=(iterator&& o) noexcept {
      std::swap(m_, o.m_);
      buckets_ = o.buckets_;
      B_ = o.B_;
      start_ = o.start_;
      offset_ = o.offset_;
      wrapped_ = o.wrapped_;
      bucket_ = o.bucket_;
      bptr_ = o.bptr_;
      i_ = o.i_;
      check_ = o.check_;
      k_ = o.k_;
      v_ = o.v_;
      clear_seq_ = o.clear_seq_;
      started_ = std::exchange(o.started_, false);
      return *this;
    }
    iterator(const iterator&) = delete;
    iterator& operator=(const iterator&) = delete;
    ~iterator() {
      if (started_) m_.h_->iters.fetch_sub(1, std::memory_order_release);
    }
    std::pair<const K&, V&> operator*() const { return {*k_, *v_}; }
    iterator& operator++() {
      next();
      return *this;
    }
    bool operator!=(sentinel) const { return k_ != nullptr; }
    bool operator==(sentinel) const { return k_ == nullptr; }

   private:
    friend class map;
    static constexpr std::size_t kNoCheck = ~std::size_t{0};
    iterator() = default;
    explicit iterator(const map& m);
    void next();

    map m_;
    bucket* buckets_ = nullptr;
    std::uint8_t B_ = 0;
    std::size_t start_ = 0;
    std::uint8_t offset_ = 0;
    bool wrapped_ = false;
    std::size_t bucket_ = 0;
    bucket* bptr_ = nullptr;
    int i_ = 0;
    std::size_t check_ = kNoCheck;
    const K* k_ = nullptr;
    V* v_ = nullptr;
    std::uint64_t clear_seq_ = 0;
    bool started_ = false;
  };

  iterator begin() const { return iterator(*this); }
  sentinel end() const { return {}; }

 private:
  static std::size_t bucket_mask(std::uint8_t B) { return (std::size_t{1} << B) - 1; }
  static bool evacuated(const bucket* b) { return map_detail::is_evac_state(b->top[0]); }
  static bool growing(const hmap* h) { return h->oldbuckets != nullptr; }
  static std::size_t noldbuckets(const hmap* h) {
    return h->same_size_grow ? std::size_t{1} << h->B : std::size_t{1} << (h->B - 1);
  }

  [[noreturn]] static void fatal_concurrent(const char* what);

  static constexpr bool kFinalize = !std::is_trivially_destructible_v<K> || !std::is_trivially_destructible_v<V>;
  // new_array returns a zeroed array of n buckets (all kEmptyRest).
  static gc::ptr<bucket> new_array(std::size_t n) {
    auto* arr = static_cast<bucket*>(lang::lang_alloc(n * sizeof(bucket), true));
    if constexpr (kFinalize) {
      // The finalizer walks every bucket the block has room for: zero the
      // size-class slack past the 2^B buckets (alloc zeroes only what was
      // asked for), so it reads as empty buckets with no chain.
      const std::size_t used = n * sizeof(bucket), all = lang::lang_usable(arr);
      if (all > used) std::memset(reinterpret_cast<char*>(arr) + used, 0, all - used);
      lang::lang_finalize(arr, &finalize_array);
    }
    return gc::ptr<bucket>::from_raw(arr);
  }
  static bucket* new_overflow_bucket(hmap* h, bucket* b) {
    auto* ovf = static_cast<bucket*>(lang::lang_alloc(sizeof(bucket), true));
    gc::detail::store_ptr(&b->overflow, ovf);
    h->noverflow++;
    return ovf;
  }
  static void destroy_slots(bucket* b) {
    for (int i = 0; i < N; i++) {
      if (map_detail::holds_object(b->top[i])) {
        if constexpr (!std::is_trivially_destructible_v<K>) b->key(i)->~K();
        if constexpr (!std::is_trivially_destructible_v<V>) b->val(i)->~V();
      }
    }
  }
  // finalize_array destroys what a dead array (and its overflow chains)
  // still holds. Buckets past the array's 2^B (size-class slack, zeroed by
  // new_array) are empty, with no chain.
  static void finalize_array(void* block) {
    auto* arr = static_cast<bucket*>(block);
    const std::size_t n = lang::lang_usable(block) / sizeof(bucket);
    for (std::size_t j = 0; j < n; j++) {
      for (bucket* b = &arr[j]; b != nullptr; b = b->overflow) destroy_slots(b);
    }
  }

  struct write_guard {
    hmap* h;
    explicit write_guard(hmap* hh) : h(hh) {
      if (h->writing) fatal_concurrent("concurrent map writes");
      h->writing = true;
    }
    ~write_guard() { h->writing = false; }
  };

  V* assign(const K& k);
  void hash_grow(hmap* h);
  void grow_work(hmap* h, std::size_t bucket_index);
  void evacuate(hmap* h, std::size_t oldbucket);

  gc::ptr<hmap> h_;
};

// make_map<K,V>(hint) is Go's make(map[K]V, hint).
template <class K, class V, class Hash = hasher<K>, class Eq = std::equal_to<K>>
map<K, V, Hash, Eq> make_map(std::size_t hint = 0) {
  return map<K, V, Hash, Eq>::make(hint);
}

// len(m) as in Go.
template <class K, class V, class H, class E>
std::size_t len(const map<K, V, H, E>& m) noexcept {
  return m.size();
}

namespace map_detail {
[[noreturn]] void fatal_concurrent_map(const char* what);
}

// ---------------------------------------------------------------------------
// Implementation.

template <class K, class V, class H, class E>
void map<K, V, H, E>::fatal_concurrent(const char* what) {
  map_detail::fatal_concurrent_map(what);
}

template <class K, class V, class H, class E>
V* map<K, V, H, E>::assign(const K& k) {
  using namespace map_detail;
  hmap* h = h_.get();
  if (h == nullptr) lang::panic_runtime_error("assignment to entry in nil map");
  std::uint64_t hash = h->hash(k, h->seed);
  write_guard guard(h);
  if (h->buckets == nullptr) h->buckets = new_array(1);
  std::uint8_t top = tophash(hash);
again:
  std::size_t bi = hash & bucket_mask(h->B);
  if (growing(h)) grow_work(h, bi);
  bucket* b = &h->buckets[bi];
  bucket* ins_b = nullptr;
  int ins_i = 0;
  for (;;) {
    bool rest_empty = false;
    for (int i = 0; i < N; i++) {
      std::uint8_t t = b->top[i];
      if (t != top) {
        if (is_empty(t) && ins_b == nullptr) {
          ins_b = b;
          ins_i = i;
        }
        if (t == kEmptyRest) {
          rest_empty = true;
          break;
        }
        continue;
      }
      if (h->eq(*b->key(i), k)) return b->val(i);
    }
    if (rest_empty || b->overflow == nullptr) break;
    b = b->overflow;
  }
  // Not found. Grow first if this insert would overload the table (and no
  // growth is already running), then search again in the new layout.
  if (!growing(h) && (over_load(h->count + 1, h->B) || too_many_overflow(h->noverflow, h->B))) {
    hash_grow(h);
    goto again;
  }
  if (ins_b == nullptr) {
    ins_b = new_overflow_bucket(h, b);
    ins_i = 0;
  }
  ::new (ins_b->key(ins_i)) K(k);
  ::new (ins_b->val(ins_i)) V();
  ins_b->top[ins_i] = top;
  h->count++;
  return ins_b->val(ins_i);
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::hash_grow(hmap* h) {
  using namespace map_detail;
  std::uint8_t bigger = over_load(h->count + 1, h->B) ? 1 : 0;
  h->same_size_grow = bigger == 0;
  h->oldbuckets = h->buckets;
  h->B = static_cast<std::uint8_t>(h->B + bigger);
  h->buckets = new_array(std::size_t{1} << h->B);
  h->nevacuate = 0;
  h->noverflow = 0;
  h->grows++;
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::grow_work(hmap* h, std::size_t bi) {
  // Evacuate the old bucket the caller is about to use, then one more, so
  // growth finishes within about 2^B writes.
  std::size_t om = noldbuckets(h) - 1;
  evacuate(h, bi & om);
  if (growing(h)) evacuate(h, h->nevacuate);
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::evacuate(hmap* h, std::size_t oldbucket) {
  using namespace map_detail;
  std::size_t newbit = noldbuckets(h);
  bucket* ob = &h->oldbuckets[oldbucket];
  if (!evacuated(ob)) {
    struct dest {
      bucket* b;
      int i;
    } d[2] = {{&h->buckets[oldbucket], 0}, {nullptr, 0}};
    if (!h->same_size_grow) d[1] = {&h->buckets[oldbucket + newbit], 0};
    const bool live = h->iters.load(std::memory_order_acquire) != 0;
    for (bucket* b = ob; b != nullptr; b = b->overflow) {
      for (int i = 0; i < N; i++) {
        std::uint8_t t = b->top[i];
        if (is_empty(t)) {
          b->top[i] = kEvacEmpty;
          continue;
        }
        int y = 0;
        if (!h->same_size_grow && (h->hash(*b->key(i), h->seed) & newbit) != 0) y = 1;
        dest& dst = d[y];
        if (dst.i == N) {
          dst.b = new_overflow_bucket(h, dst.b);
          dst.i = 0;
        }
        if (live) {
          ::new (dst.b->key(dst.i)) K(*b->key(i));
          ::new (dst.b->val(dst.i)) V(*b->val(i));
          b->top[i] = static_cast<std::uint8_t>(kEvacXLive + y);
        } else {
          ::new (dst.b->key(dst.i)) K(std::move(*b->key(i)));
          ::new (dst.b->val(dst.i)) V(std::move(*b->val(i)));
          if constexpr (!std::is_trivially_destructible_v<K>) b->key(i)->~K();
          if constexpr (!std::is_trivially_destructible_v<V>) b->val(i)->~V();
          b->top[i] = static_cast<std::uint8_t>(kEvacX + y);
        }
        dst.b->top[dst.i] = t;
        dst.i++;
      }
    }
    h->evacuations++;
  }
  if (oldbucket == h->nevacuate) {
    // Advance the mark past buckets already evacuated out of order (bounded
    // work per call), and finish the growth when all are done.
    h->nevacuate++;
    std::size_t stop = h->nevacuate + 1024;
    if (stop > newbit) stop = newbit;
    while (h->nevacuate != stop && evacuated(&h->oldbuckets[h->nevacuate])) h->nevacuate++;
    if (h->nevacuate == newbit) {
      h->oldbuckets = nullptr;  // the collector frees it once no iterator walks it
      h->same_size_grow = false;
    }
  }
}

template <class K, class V, class H, class E>
bool map<K, V, H, E>::erase(const K& k) {
  using namespace map_detail;
  hmap* h = h_.get();
  if (h == nullptr || h->count == 0) return false;
  std::uint64_t hash = h->hash(k, h->seed);
  write_guard guard(h);
  std::size_t bi = hash & bucket_mask(h->B);
  if (growing(h)) grow_work(h, bi);
  bucket* const first = &h->buckets[bi];
  std::uint8_t top = tophash(hash);
  for (bucket* b = first; b != nullptr; b = b->overflow) {
    for (int i = 0; i < N; i++) {
      std::uint8_t t = b->top[i];
      if (t != top) {
        if (t == kEmptyRest) return false;
        continue;
      }
      if (!h->eq(*b->key(i), k)) continue;
      if constexpr (!std::is_trivially_destructible_v<K>) b->key(i)->~K();
      if constexpr (!std::is_trivially_destructible_v<V>) b->val(i)->~V();
      b->top[i] = kEmptyOne;
      // If everything after this slot is empty, turn the trailing run of
      // kEmptyOne into kEmptyRest so probes stop early.
      bool last = (i == N - 1) ? (b->overflow == nullptr || b->overflow->top[0] == kEmptyRest)
                               : b->top[i + 1] == kEmptyRest;
      if (last) {
        for (;;) {
          b->top[i] = kEmptyRest;
          if (i == 0) {
            if (b == first) break;
            bucket* c = first;
            while (c->overflow != b) c = c->overflow;
            b = c;
            i = N - 1;
          } else {
            i--;
          }
          if (b->top[i] != kEmptyOne) break;
        }
      }
      if (--h->count == 0) h->seed = fastrand64();
      return true;
    }
  }
  return false;
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::clear() {
  hmap* h = h_.get();
  if (h == nullptr) return;
  write_guard guard(h);
  h->oldbuckets = nullptr;  // the old arrays are garbage unless an iterator walks them
  h->same_size_grow = false;
  h->buckets = new_array(std::size_t{1} << h->B);
  h->count = 0;
  h->noverflow = 0;
  h->nevacuate = 0;
  h->clear_seq++;
  h->seed = fastrand64();
}

template <class K, class V, class H, class E>
map_stats map<K, V, H, E>::stats() const {
  map_stats s;
  hmap* h = h_.get();
  if (h == nullptr) return s;
  s.count = h->count;
  s.B = h->B;
  s.noverflow = h->noverflow;
  s.growing = growing(h);
  s.nevacuate = h->nevacuate;
  s.evacuations = h->evacuations;
  s.grows = h->grows;
  return s;
}

template <class K, class V, class H, class E>
std::size_t map<K, V, H, E>::max_chain() const {
  std::size_t best = 0;
  hmap* h = h_.get();
  if (h == nullptr || h->buckets == nullptr) return 0;
  for (std::size_t j = 0; j < (std::size_t{1} << h->B); j++) {
    std::size_t len = 0;
    for (bucket* b = &h->buckets[j]; b; b = b->overflow) len++;
    if (len > best) best = len;
  }
  return best;
}

template <class K, class V, class H, class E>
map<K, V, H, E>::iterator::iterator(const map& m) {
  hmap* h = m.h_.get();
  if (h == nullptr || h->count == 0 || h->buckets == nullptr) return;
  m_ = m;
  h->iters.fetch_add(1, std::memory_order_acq_rel);
  started_ = true;
  buckets_ = h->buckets.get();
  B_ = h->B;
  clear_seq_ = h->clear_seq;
  std::uint64_t r = fastrand64();
  start_ = r & bucket_mask(B_);
  offset_ = static_cast<std::uint8_t>((r >> 56) & (N - 1));
  bucket_ = start_;
  next();
}

template <class K, class V, class H, class E>
void map<K, V, H, E>::iterator::next() {
  using namespace map_detail;
  hmap* h = m_.h_.get();
  if (h->writing) fatal_concurrent("concurrent map iteration and map write");
  if (clear_seq_ != h->clear_seq) {
    // Cleared since we started: nothing we have not produced is left (what
    // was added after the clear may be skipped, as for any insert).
    k_ = nullptr;
    v_ = nullptr;
    return;
  }
  bucket* b = bptr_;
  for (;;) {
    if (b == nullptr) {
      if (bucket_ == start_ && wrapped_) {
        k_ = nullptr;
        v_ = nullptr;
        return;
      }
      if (growing(h) && B_ == h->B) {
        // Our array is the new one of a growth in progress: read the old
        // bucket while it still holds the entries.
        std::size_t ob = bucket_ & (noldbuckets(h) - 1);
        b = &h->oldbuckets[ob];
        if (!evacuated(b)) {
          check_ = bucket_;
        } else {
          b = &buckets_[bucket_];
          check_ = kNoCheck;
        }
      } else {
        b = &buckets_[bucket_];
        check_ = kNoCheck;
      }
      bucket_++;
      if (bucket_ == (std::size_t{1} << B_)) {
        bucket_ = 0;
        wrapped_ = true;
      }
      i_ = 0;
    }
    for (; i_ < N; i_++) {
      int off = (i_ + offset_) & (N - 1);
      std::uint8_t t = b->top[off];
      if (is_empty(t) || t == kEvacEmpty || t == kEvacX || t == kEvacY) continue;
      K* k = b->key(off);
      if (check_ != kNoCheck && !h->same_size_grow) {
        // Old bucket during doubling: keep only the keys that go to the new
        // bucket we are visiting.
        if ((h->hash(*k, h->seed) & bucket_mask(B_)) != check_) continue;
      }
      if (t >= kMinTop) {
        k_ = k;
        v_ = b->val(off);
      } else {
        // Evacuated since we started: the current table has the truth.
        V* v = m_.find(*k);
        if (v == nullptr) continue;  // deleted meanwhile
        k_ = k;
        v_ = v;
      }
      i_++;
      bptr_ = b;
      return;
    }
    b = b->overflow;
    i_ = 0;
  }
}

}  // namespace gort
