// sudog.h — a goroutine waiting on a channel (Go's sudog), and the queues
// of them that a channel keeps.
//
// A Sudog lives on the stack of the goroutine it stands for, for exactly as
// long as that goroutine is parked in a channel operation: no allocation on
// the blocking path. (This relies on goroutine stacks staying put while
// parked; a stack-copying "compact" mode would have to allocate sudogs and
// hand-off slots off the stack instead.) A goroutine blocked in select has
// one Sudog per case, all sharing one Waiter.
//
// Ownership: a Sudog's queue links (next, prev) and its fields `elem`,
// `success` are guarded by the lock of the channel `c` it is queued on. Once
// a waker has popped it, the waker alone writes `elem` (the hand-off) and
// `success`, and then publishes with a release store to Waiter::fired; the
// parked goroutine reads them after an acquire load of `fired`. That pair is
// the happens-before edge of a direct hand-off, and it is an ordinary atomic
// that TSan sees, whatever the context switch does.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/park.h"

namespace gort::chan_detail {

struct Hchan;
struct Sudog;

// Waiter is the parked goroutine's side of one blocking operation.
struct Waiter {
  sched::G* g = nullptr;
  // select_done arbitrates between channels racing to wake a goroutine
  // blocked in select: the waker that moves it 0 -> 1 wins; the others skip
  // (and drop) that goroutine's sudog. Unused (always 0) outside select.
  std::atomic<std::uint32_t> select_done{0};
  // fired is the sudog whose channel woke the goroutine; written (release)
  // by the waker before goready, read (acquire) by the goroutine after it.
  std::atomic<Sudog*> fired{nullptr};
};

struct Sudog {
  Waiter* w = nullptr;
  Hchan* c = nullptr;
  // elem: for a sender, the value to send (the waker moves from it); for a
  // receiver, uninitialized storage the waker moves into (or nullptr to
  // discard). Guarded by c's lock until popped; then the waker's.
  void* elem = nullptr;
  Sudog* next = nullptr;  // guarded by c's lock
  Sudog* prev = nullptr;  // guarded by c's lock
  // success: true when woken by a transfer, false when woken by close.
  bool success = false;
  bool is_select = false;
  std::uint16_t case_index = 0;  // select: which case this sudog is
};

// WaitQ is a FIFO of Sudogs, guarded by its channel's lock. `first` is
// atomic only so the non-blocking fast paths may peek at it without the
// lock; every store happens under the lock.
struct WaitQ {
  std::atomic<Sudog*> first{nullptr};
  Sudog* last = nullptr;

  bool empty_relaxed() const { return first.load(std::memory_order_relaxed) == nullptr; }

  // enqueue appends sg. REQUIRES: the channel lock.
  void enqueue(Sudog* sg) {
    sg->next = nullptr;
    Sudog* l = last;
    if (l == nullptr) {
      sg->prev = nullptr;
      first.store(sg, std::memory_order_relaxed);
      last = sg;
      return;
    }
    sg->prev = l;
    l->next = sg;
    last = sg;
  }

  // dequeue pops the first sudog whose goroutine can still be woken by this
  // channel: sudogs of a select that another channel already won are dropped
  // from the queue on the way. Returns nullptr when none is left.
  // REQUIRES: the channel lock.
  Sudog* dequeue() {
    for (;;) {
      Sudog* sg = first.load(std::memory_order_relaxed);
      if (sg == nullptr) return nullptr;
      Sudog* n = sg->next;
      if (n == nullptr) {
        first.store(nullptr, std::memory_order_relaxed);
        last = nullptr;
      } else {
        n->prev = nullptr;
        first.store(n, std::memory_order_relaxed);
        sg->next = nullptr;
      }
      if (sg->is_select) {
        std::uint32_t zero = 0;
        if (!sg->w->select_done.compare_exchange_strong(zero, 1, std::memory_order_acq_rel))
          continue;  // the select was won elsewhere; its goroutine unlinks the rest
      }
      return sg;
    }
  }

  // remove unlinks sg if it is still queued (a popped sudog has null links
  // and is not `first`, so removing it again is a no-op).
  // REQUIRES: the channel lock.
  void remove(Sudog* sg) {
    Sudog* p = sg->prev;
    Sudog* n = sg->next;
    if (p != nullptr) {
      if (n != nullptr) {
        p->next = n;
        n->prev = p;
      } else {
        p->next = nullptr;
        last = p;
      }
    } else if (n != nullptr) {
      n->prev = nullptr;
      first.store(n, std::memory_order_relaxed);
    } else if (first.load(std::memory_order_relaxed) == sg) {
      first.store(nullptr, std::memory_order_relaxed);
      last = nullptr;
    } else {
      return;  // already popped
    }
    sg->next = sg->prev = nullptr;
  }
};

}  // namespace gort::chan_detail
