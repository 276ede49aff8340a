// select.cc — Go's select over the channels of chan.cc (see chan.cc for the
// channel design and invariants).
//
// selectgo(cases, n, block):
//   0. Poll order: a uniformly random permutation of the cases whose channel
//      is not nil (nil channels never become ready, so they are left out).
//      Lock order: the cases sorted by channel address.
//   1. Lock every channel (address order, each once) and look for a ready
//      case in poll order, with the same steps as send/recv in chan.cc. The
//      first ready one wins: so the choice is uniform among ready cases.
//   2. Nothing ready: without `block` unlock and report "default". Otherwise
//      enqueue one Sudog per case (all sharing one Waiter) on its channel's
//      queue and park; the park's unlock step releases every lock.
//   3. A waker on one channel wins Waiter::select_done (so exactly one
//      channel completes an operation for this goroutine), does the
//      transfer and readies us. We relock all channels, unlink the other
//      sudogs, unlock, and report the case that fired.
//
// Locks: the channels' locks in ascending address order, released in
// descending order. The unlock that parks must not touch the select's state
// (on this goroutine's stack) after releasing the last lock: from then on a
// waker may resume the goroutine on another thread.
#include <alloca.h>

#include <algorithm>
#include <cstdint>
#include <new>

#include "chan/chan.h"
#include "debug/fatal.h"
#include "gort/select.h"
#include "gort/time.h"
#include "lang/panic.h"

namespace gort::chan_detail {

namespace {

// cheaprand returns a pseudo-random 32-bit value from a per-thread wyrand
// state. Not inlined, so no goroutine keeps a thread-local address across a
// park (see HACKING.md, "TLS").
__attribute__((noinline)) std::uint32_t cheaprand() {
  static thread_local std::uint64_t state = 0;
  if (state == 0) {
    state = reinterpret_cast<std::uintptr_t>(&state) ^
            static_cast<std::uint64_t>(gort::nanotime()) ^ 0x9e3779b97f4a7c15ull;
  }
  state += 0xa0761d6478bd642full;
  __uint128_t m = static_cast<__uint128_t>(state) * (state ^ 0xe7037ed1a0b428dbull);
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m));
}

// cheaprandn returns a value in [0, n) (Lemire's multiply-shift, no division).
std::uint32_t cheaprandn(std::uint32_t n) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(cheaprand()) * n) >> 32);
}

struct Sel {
  SelCase* cases;
  const std::uint16_t* lockorder;
  int nlock;
};

void sellock(const Sel& s) {
  Hchan* prev = nullptr;
  for (int i = 0; i < s.nlock; ++i) {
    Hchan* c = s.cases[s.lockorder[i]].c;
    if (c != prev) c->lock.lock();
    prev = c;
  }
}

// selunlock releases in reverse order. It reads only locals and data that
// are still locked, so nothing of `s` is touched after the last unlock.
void selunlock(const Sel& s) {
  SelCase* cases = s.cases;
  const std::uint16_t* lockorder = s.lockorder;
  for (int i = s.nlock - 1; i >= 0; --i) {
    Hchan* c = cases[lockorder[i]].c;
    if (i > 0 && cases[lockorder[i - 1]].c == c) continue;  // unlock once, at its first entry
    c->lock.unlock();
  }
}

bool selparkcommit(sched::G*, void* arg) {
  // Copy out of the goroutine's stack first: the last unlock may let it run.
  Sel s = *static_cast<Sel*>(arg);
  selunlock(s);
  return true;
}

}  // namespace

int selectgo(SelCase* cases, std::uint16_t* order, int n, bool block, bool* recv_ok) {
  *recv_ok = false;
  std::uint16_t* pollorder = order;
  std::uint16_t* lockorder = order + n;

  // 0. Poll order (inside-out Fisher-Yates over the non-nil cases) and lock order.
  int norder = 0;
  for (int i = 0; i < n; ++i) {
    if (cases[i].c == nullptr) {
      cases[i].elem = nullptr;
      continue;
    }
    std::uint32_t j = cheaprandn(static_cast<std::uint32_t>(norder + 1));
    pollorder[norder] = pollorder[j];
    pollorder[j] = static_cast<std::uint16_t>(i);
    ++norder;
  }
  if (norder == 0) {
    if (!block) return -1;
    park_forever(n == 0 ? sched::WaitReason::kSelectNoCases : sched::WaitReason::kSelect, "select");
  }
  std::copy(pollorder, pollorder + norder, lockorder);
  if (norder > 1) {
    std::sort(lockorder, lockorder + norder, [cases](std::uint16_t a, std::uint16_t b) {
      return reinterpret_cast<std::uintptr_t>(cases[a].c) < reinterpret_cast<std::uintptr_t>(cases[b].c);
    });
  }
  Sel sel{cases, lockorder, norder};
  sellock(sel);

  // 1. A ready case, in poll order.
  for (int k = 0; k < norder; ++k) {
    int i = pollorder[k];
    SelCase& cs = cases[i];
    Hchan* c = cs.c;
    if (cs.send) {
      if (c->closed.load(std::memory_order_relaxed) != 0) {
        selunlock(sel);
        lang::panic_runtime_error("send on closed channel");
      }
      if (Sudog* sg = c->recvq.dequeue()) {
        sched::G* gp = send_to_receiver(c, sg, cs.elem);
        selunlock(sel);
        sched::goready(gp);
        return i;
      }
      if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) {
        buf_send(c, cs.elem);
        selunlock(sel);
        return i;
      }
    } else {
      if (Sudog* sg = c->sendq.dequeue()) {
        sched::G* gp = recv_from_sender(c, sg, cs.elem);
        selunlock(sel);
        sched::goready(gp);
        *recv_ok = true;
        return i;
      }
      if (c->qcount.load(std::memory_order_relaxed) > 0) {
        buf_recv(c, cs.elem);
        selunlock(sel);
        *recv_ok = true;
        return i;
      }
      if (c->closed.load(std::memory_order_relaxed) != 0) {
        selunlock(sel);
        return i;  // closed and drained: zero value, ok = false
      }
    }
  }

  // 2. Nothing ready.
  if (!block) {
    selunlock(sel);
    return -1;
  }
  Waiter w;
  w.g = sched::getg();
  if (w.g == nullptr) {
    selunlock(sel);
    sched::require_goroutine("select");
  }
  Sudog* sgs = static_cast<Sudog*>(alloca(sizeof(Sudog) * static_cast<std::size_t>(n)));
  for (int k = 0; k < norder; ++k) {
    int i = lockorder[k];
    Sudog* sg = ::new (&sgs[i]) Sudog();
    sg->w = &w;
    sg->c = cases[i].c;
    sg->elem = cases[i].elem;
    sg->is_select = true;
    sg->case_index = static_cast<std::uint16_t>(i);
    if (cases[i].send) {
      cases[i].c->sendq.enqueue(sg);
    } else {
      cases[i].c->recvq.enqueue(sg);
    }
  }
  sched::gopark(&selparkcommit, &sel, sched::WaitReason::kSelect);

  // 3. Woken: one case fired. Unlink the others.
  Sudog* fired = w.fired.load(std::memory_order_acquire);
  GORT_CHECK(fired != nullptr && fired->w == &w, "select: woken without a case firing");
  sellock(sel);
  for (int k = 0; k < norder; ++k) {
    int i = lockorder[k];
    Sudog* sg = &sgs[i];
    if (sg == fired) continue;
    if (cases[i].send) {
      cases[i].c->sendq.remove(sg);
    } else {
      cases[i].c->recvq.remove(sg);
    }
  }
  selunlock(sel);
  int i = fired->case_index;
  if (cases[i].send) {
    if (!fired->success) lang::panic_runtime_error("send on closed channel");
  } else {
    *recv_ok = fired->success;
  }
  return i;
}

}  // namespace gort::chan_detail
