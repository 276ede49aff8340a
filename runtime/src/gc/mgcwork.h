// mgcwork.h — grey object queues (Go's gcWork / workbuf).
//
// A Work is one marker's private pair of buffers of grey object addresses:
// put/tryget touch only the marker's own buffers; a full buffer goes to the
// global full list and an empty one is refilled from it, so markers balance
// load through the global list in buffer-sized batches (253 objects).
// Owners: a background worker's Work belongs to that worker goroutine; each
// P has one Work for write-barrier flushes and assists (used with
// preemption disabled); short-lived Works on a marker's stack are disposed
// (pushed to the global list) before they go out of scope.
// The global list is guarded by a runtime Lock (leaf rank: nothing is taken
// under it). Buffers are never freed while the runtime runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sched/lock.h"

namespace gort::gc {

inline constexpr std::size_t kWorkBufCap = 253;

struct WorkBuf {
  WorkBuf* next = nullptr;
  std::size_t n = 0;
  std::uintptr_t obj[kWorkBufCap];
};

// WorkList is the global list of full (non-empty) buffers and the pool of
// empty ones.
struct WorkList {
  sched::Lock lock;
  WorkBuf* full = nullptr;
  WorkBuf* empty = nullptr;
  std::atomic<std::size_t> nfull{0};  // read without the lock (hint)
  std::size_t allocated = 0;

  WorkBuf* get_empty();
  void put_empty(WorkBuf* b);
  void put_full(WorkBuf* b);
  WorkBuf* try_get_full();
  bool empty_hint() const { return nfull.load(std::memory_order_acquire) == 0; }
  void free_all();  // shutdown: REQUIRES no buffer in use
};
extern WorkList g_work;

struct Work {
  WorkBuf* b1 = nullptr;  // current: put/get here first
  WorkBuf* b2 = nullptr;  // spare
  std::uint64_t scanned_bytes = 0;  // flushed into the cycle's totals by the owner
  std::uint64_t marked_bytes = 0;

  void put(std::uintptr_t obj) {
    if (b1 == nullptr || b1->n == kWorkBufCap) put_slow();
    b1->obj[b1->n++] = obj;
  }
  bool tryget(std::uintptr_t* obj) {
    if (b1 != nullptr && b1->n > 0) {
      *obj = b1->obj[--b1->n];
      return true;
    }
    return tryget_slow(obj);
  }
  bool empty() const { return (b1 == nullptr || b1->n == 0) && (b2 == nullptr || b2->n == 0); }
  // dispose hands every grey object to the global list and keeps no buffers.
  void dispose();

 private:
  void put_slow();
  bool tryget_slow(std::uintptr_t* obj);
};

}  // namespace gort::gc
