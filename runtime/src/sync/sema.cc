// sema.cc — semaphores keyed by address, and notify lists (Go's sema.go).
//
// Design. Any 32-bit atomic counter in memory can be a semaphore: acquire
// takes one unit if *addr > 0, else parks; release adds one and wakes a
// waiter. Waiters are kept out of the object itself, in a fixed table of
// kRoots buckets hashed by address (like Go's semtable), so a mutex costs
// two words. Each bucket has a lock, a count of parked waiters (so release
// can skip the lock when nobody waits) and a doubly linked list of heads:
// one waiter per distinct address waiting in that bucket, each the front of
// that address's FIFO queue (linked through waitlink, with its tail in the
// head's waittail). Go keeps the heads in a treap; a list costs a scan over
// the distinct addresses colliding in one of 251 buckets, which stays short
// unless thousands of distinct semaphores have waiters at once. (Recorded
// trade-off: simpler, no rebalancing; revisit if the table grows hot.)
//
// Wake-up protocol. The releaser pops the waiter under the bucket lock,
// releases the lock, optionally hands it the unit (ticket = 1), publishes
// with a release store to `woken`, and readies it. The waiter acquires
// `woken` after gopark returns, and then either owns the unit (ticket) or
// competes for it again (cansemacquire), re-queueing if it loses.
//
// Invariants (under the bucket lock):
//   - nwait == number of waiters queued in the bucket, incremented before
//     a waiter's final cansemacquire check and decremented when popped (so
//     a release that sees nwait == 0 after bumping *addr wakes nobody
//     needlessly and misses nobody: the Dekker pair is seq_cst).
//   - A head is in the bucket list iff its address has waiters; non-heads
//     have prev == next == nullptr.
//
// Notify lists (cond): tickets handed out by notify_list_add, waiters parked
// on their ticket, notify_one wakes ticket `notify` (if its waiter already
// parked; otherwise it will see the ticket passed and not park),
// notify_all wakes all. They use the bucket lock of the list's address.
//
// Locks: bucket locks (rank semaRoot) are leaves; nothing parks under them
// except through gopark's unlock step.
#include "sync/sema.h"

#include <cstddef>

#include "debug/fatal.h"
#include "gort/runtime.h"
#include "gort/sync.h"
#include "sched/lock.h"

namespace gort::sync_detail {

namespace {

struct SemaWaiter {
  sched::G* g = nullptr;
  const void* addr = nullptr;
  SemaWaiter* prev = nullptr;      // bucket list of heads
  SemaWaiter* next = nullptr;      // bucket list of heads; notify list link
  SemaWaiter* waitlink = nullptr;  // next waiter on the same address
  SemaWaiter* waittail = nullptr;  // head only: last waiter on the address
  std::uint32_t notify_ticket = 0;
  std::atomic<std::uint32_t> ticket{0};  // 1: the releaser handed us the unit
  std::atomic<std::uint32_t> woken{0};   // release by the waker, acquire by us
};

struct alignas(64) Root {
  sched::Lock lock;
  std::atomic<std::uint32_t> nwait{0};
  SemaWaiter* heads = nullptr;  // guarded by lock

  SemaWaiter* find(const void* addr) {
    for (SemaWaiter* h = heads; h != nullptr; h = h->next)
      if (h->addr == addr) return h;
    return nullptr;
  }
  // replace puts n where head h was in the list.
  void replace(SemaWaiter* h, SemaWaiter* n) {
    n->prev = h->prev;
    n->next = h->next;
    if (n->prev != nullptr) {
      n->prev->next = n;
    } else {
      heads = n;
    }
    if (n->next != nullptr) n->next->prev = n;
    h->prev = h->next = nullptr;
  }
  void unlink(SemaWaiter* h) {
    if (h->prev != nullptr) {
      h->prev->next = h->next;
    } else {
      heads = h->next;
    }
    if (h->next != nullptr) h->next->prev = h->prev;
    h->prev = h->next = nullptr;
  }

  // queue adds s as a waiter for addr. REQUIRES lock.
  void queue(const void* addr, SemaWaiter* s, bool lifo) {
    s->addr = addr;
    s->waitlink = s->waittail = nullptr;
    SemaWaiter* h = find(addr);
    if (h == nullptr) {
      s->prev = nullptr;
      s->next = heads;
      if (heads != nullptr) heads->prev = s;
      heads = s;
      return;
    }
    if (lifo) {
      replace(h, s);
      s->waitlink = h;
      s->waittail = h->waittail != nullptr ? h->waittail : h;
      h->waittail = nullptr;
    } else {
      if (h->waittail != nullptr) {
        h->waittail->waitlink = s;
      } else {
        h->waitlink = s;
      }
      h->waittail = s;
    }
  }

  // dequeue pops the first waiter for addr, or returns nullptr. REQUIRES lock.
  SemaWaiter* dequeue(const void* addr) {
    SemaWaiter* h = find(addr);
    if (h == nullptr) return nullptr;
    if (SemaWaiter* t = h->waitlink) {
      replace(h, t);
      t->waittail = h->waittail == t ? nullptr : h->waittail;
    } else {
      unlink(h);
    }
    h->waitlink = h->waittail = nullptr;
    return h;
  }
};

constexpr std::size_t kRoots = 251;
Root roots[kRoots];

Root& root_for(const void* addr) {
  return roots[(reinterpret_cast<std::uintptr_t>(addr) >> 3) % kRoots];
}

bool unlock_root(sched::G*, void* arg) {
  static_cast<Root*>(arg)->lock.unlock();
  return true;
}

// ready publishes s to its goroutine and readies it. s is gone afterwards.
void ready(SemaWaiter* s) {
  sched::G* gp = s->g;
  s->woken.store(1, std::memory_order_release);
  sched::goready(gp);
}

bool less(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }

}  // namespace

void semacquire(std::atomic<std::uint32_t>* addr, bool lifo, sched::WaitReason reason) {
  if (cansemacquire(addr)) return;
  SemaWaiter s;
  s.g = sched::getg();
  if (s.g == nullptr) sched::require_goroutine("sync: semacquire");
  Root& root = root_for(addr);
  for (;;) {
    root.lock.lock();
    root.nwait.fetch_add(1);  // seq_cst: pairs with semrelease's load
    if (cansemacquire(addr)) {
      root.nwait.fetch_sub(1);
      root.lock.unlock();
      return;
    }
    root.queue(addr, &s, lifo);
    sched::gopark(&unlock_root, &root, reason);
    s.woken.load(std::memory_order_acquire);
    if (s.ticket.load(std::memory_order_acquire) != 0 || cansemacquire(addr)) return;
    s.woken.store(0, std::memory_order_relaxed);
    lifo = true;  // woken once already: keep our place at the front
  }
}

void semrelease(std::atomic<std::uint32_t>* addr, bool handoff) {
  Root& root = root_for(addr);
  addr->fetch_add(1);  // seq_cst: pairs with semacquire's nwait increment
  if (root.nwait.load() == 0) return;
  root.lock.lock();
  if (root.nwait.load() == 0) {
    root.lock.unlock();
    return;
  }
  SemaWaiter* s = root.dequeue(addr);
  if (s != nullptr) root.nwait.fetch_sub(1);
  root.lock.unlock();
  if (s == nullptr) return;
  bool handed = handoff && cansemacquire(addr);
  if (handed) s->ticket.store(1, std::memory_order_relaxed);
  ready(s);
  // Direct hand-off: let the waiter (now in our runnext) run at once.
  if (handed && sched::getg() != nullptr) gort::gosched();
}

int waiters_for_testing(const void* addr) {
  Root& root = root_for(addr);
  sched::LockGuard g(root.lock);
  int n = 0;
  if (SemaWaiter* h = root.find(addr)) {
    for (SemaWaiter* s = h; s != nullptr; s = s->waitlink) ++n;
  }
  return n;
}

}  // namespace gort::sync_detail

namespace gort::sync::detail {

using sync_detail::SemaWaiter;

std::uint32_t notify_list_add(notify_list* l) {
  return l->wait.fetch_add(1, std::memory_order_relaxed);
}

void notify_list_wait(notify_list* l, std::uint32_t ticket) {
  sync_detail::Root& root = sync_detail::root_for(l);
  root.lock.lock();
  if (sync_detail::less(ticket, l->notify.load(std::memory_order_relaxed))) {
    root.lock.unlock();  // already notified
    return;
  }
  SemaWaiter s;
  s.g = sched::getg();
  if (s.g == nullptr) {
    root.lock.unlock();
    sched::require_goroutine("sync: cond wait");
  }
  s.notify_ticket = ticket;
  auto* tail = static_cast<SemaWaiter*>(l->tail);
  if (tail == nullptr) {
    l->head = &s;
  } else {
    tail->next = &s;
  }
  l->tail = &s;
  sched::gopark(&sync_detail::unlock_root, &root, sched::WaitReason::kSyncCondWait);
  s.woken.load(std::memory_order_acquire);
}

void notify_list_notify_one(notify_list* l) {
  // Fast path: no waiters since the last notification.
  if (l->wait.load(std::memory_order_acquire) == l->notify.load(std::memory_order_relaxed)) return;
  sync_detail::Root& root = sync_detail::root_for(l);
  root.lock.lock();
  std::uint32_t t = l->notify.load(std::memory_order_relaxed);
  if (t == l->wait.load(std::memory_order_acquire)) {
    root.lock.unlock();
    return;
  }
  l->notify.store(t + 1, std::memory_order_relaxed);
  // The waiter holding ticket t may not have parked yet; then it will see
  // its ticket passed and return without parking.
  SemaWaiter* prev = nullptr;
  for (auto* s = static_cast<SemaWaiter*>(l->head); s != nullptr; prev = s, s = s->next) {
    if (s->notify_ticket != t) continue;
    SemaWaiter* n = s->next;
    if (prev != nullptr) {
      prev->next = n;
    } else {
      l->head = n;
    }
    if (n == nullptr) l->tail = prev;
    s->next = nullptr;
    root.lock.unlock();
    sync_detail::ready(s);
    return;
  }
  root.lock.unlock();
}

void notify_list_notify_all(notify_list* l) {
  if (l->wait.load(std::memory_order_acquire) == l->notify.load(std::memory_order_relaxed)) return;
  sync_detail::Root& root = sync_detail::root_for(l);
  root.lock.lock();
  auto* s = static_cast<SemaWaiter*>(l->head);
  l->head = l->tail = nullptr;
  l->notify.store(l->wait.load(std::memory_order_acquire), std::memory_order_relaxed);
  root.lock.unlock();
  while (s != nullptr) {
    SemaWaiter* n = s->next;
    s->next = nullptr;
    sync_detail::ready(s);
    s = n;
  }
}

}  // namespace gort::sync::detail
