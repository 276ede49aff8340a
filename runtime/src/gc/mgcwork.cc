// mgcwork.cc — grey object queues. See mgcwork.h.
#include "gc/mgcwork.h"

#include <cstdlib>
#include <new>

#include "debug/fatal.h"

namespace gort::gc {

WorkList g_work;

WorkBuf* WorkList::get_empty() {
  {
    sched::LockGuard g(lock);
    if (WorkBuf* b = empty) {
      empty = b->next;
      b->next = nullptr;
      b->n = 0;
      return b;
    }
    allocated++;
  }
  void* mem = std::malloc(sizeof(WorkBuf));
  if (mem == nullptr) debug::fatal("gc: out of memory for mark work buffers");
  return ::new (mem) WorkBuf();
}

void WorkList::put_empty(WorkBuf* b) {
  sched::LockGuard g(lock);
  b->n = 0;
  b->next = empty;
  empty = b;
}

void WorkList::put_full(WorkBuf* b) {
  sched::LockGuard g(lock);
  b->next = full;
  full = b;
  nfull.fetch_add(1, std::memory_order_release);
}

WorkBuf* WorkList::try_get_full() {
  if (empty_hint()) return nullptr;
  sched::LockGuard g(lock);
  WorkBuf* b = full;
  if (b == nullptr) return nullptr;
  full = b->next;
  b->next = nullptr;
  nfull.fetch_sub(1, std::memory_order_relaxed);
  return b;
}

void WorkList::free_all() {
  sched::LockGuard g(lock);
  GORT_CHECK(full == nullptr, "gc: grey objects left at shutdown");
  while (WorkBuf* b = empty) {
    empty = b->next;
    std::free(b);
  }
  allocated = 0;
}

void Work::put_slow() {
  if (b1 == nullptr) {
    b1 = g_work.get_empty();
    return;
  }
  // b1 is full: swap with the spare if it has room, else publish b1.
  if (b2 != nullptr && b2->n < kWorkBufCap) {
    std::swap(b1, b2);
    return;
  }
  if (b2 != nullptr) g_work.put_full(b2);
  b2 = b1;
  b1 = g_work.get_empty();
}

bool Work::tryget_slow(std::uintptr_t* obj) {
  if (b2 != nullptr && b2->n > 0) {
    std::swap(b1, b2);
    *obj = b1->obj[--b1->n];
    return true;
  }
  WorkBuf* f = g_work.try_get_full();
  if (f == nullptr) return false;
  if (b1 != nullptr) g_work.put_empty(b1);
  b1 = f;
  *obj = b1->obj[--b1->n];
  return true;
}

void Work::dispose() {
  for (WorkBuf** b : {&b1, &b2}) {
    if (*b == nullptr) continue;
    if ((*b)->n > 0) {
      g_work.put_full(*b);
    } else {
      g_work.put_empty(*b);
    }
    *b = nullptr;
  }
}

}  // namespace gort::gc
