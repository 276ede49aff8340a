// chan.cc — Go's channels: one object per channel, a ring buffer, one lock,
// and queues of parked senders and receivers.
//
// Design. A channel (Hchan, chan.h) is a fixed-size ring buffer of
// `dataqsiz` slots (none when unbuffered), a lock, and two FIFO queues of
// Sudogs (sudog.h): goroutines parked sending (sendq) and receiving (recvq).
// An operation takes the lock and, in this order:
//   send: closed -> panic; a parked receiver -> hand the value straight into
//         its slot (no trip through the buffer) and ready it; buffer room ->
//         enqueue in the buffer; else park on sendq until a receiver (or
//         close) wakes it.
//   recv: closed and empty -> zero value, ok=false; a parked sender -> take
//         its value (unbuffered) or the buffer's head and refill the tail
//         from the sender (buffered, full); a buffered value -> take it;
//         else park on recvq.
//   close: mark closed, wake every receiver (ok=false) and every sender
//         (which then panics "send on closed channel").
// The waker does all the copying: a woken goroutine finds its operation
// complete and never retakes the lock (except a select, to unlink its other
// cases). Values move with the element type's move constructor (memcpy for
// trivially copyable types). goready runs after the lock is released.
//
// Invariants (under lock):
//   - At least one of sendq and recvq is empty (a parked sender and a parked
//     receiver would have met). A select's sudog that lost its race may
//     linger in a queue until its goroutine unlinks it or a dequeue drops it;
//     the invariant holds for live sudogs.
//   - Unbuffered (dataqsiz == 0): qcount == 0 always.
//   - Buffered: qcount > 0 implies recvq is empty; qcount < dataqsiz implies
//     sendq is empty. The qcount live elements are slots recvx, recvx+1, ...
//     (mod dataqsiz); sendx == (recvx + qcount) mod dataqsiz.
//   - closed implies sendq is empty (close wakes all senders; sends on a
//     closed channel panic before queueing).
//   - A Sudog is in at most one queue, and only while its goroutine is parked.
//
// Locks. Hchan::lock (rank hchan) guards the buffer, indices, queues and the
// transitions of qcount/closed. select takes the locks of all its channels
// in address order (duplicates once) and releases them in reverse. Nothing
// that can park runs under it; goready may, but we call it after unlocking.
//
// Memory model (claim 313). A send happens before the receive that
// completes it: through the lock when the value passes via the buffer or
// the receiver finds a parked sender, and through Waiter::fired (release by
// the waker, acquire by the parked goroutine) when the waker copies into a
// parked goroutine's slot. Both are atomics TSan sees. close happens before
// a receive that returns because the channel is closed, by the same edges.
//
// Lifetime. Channels are reference counted by their chan<T> handles; the
// last release destroys the buffered elements and frees the object. A
// goroutine parked on a channel is inside a method of a live handle.
#include "chan/chan.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "debug/fatal.h"
#include "lang/panic.h"

namespace gort::chan_detail {

namespace {

bool unlock_chan(sched::G*, void* arg) {
  static_cast<Hchan*>(arg)->lock.unlock();
  return true;
}

bool stay_parked(sched::G*, void*) { return true; }

// wake publishes sg's completed operation to its goroutine; the caller then
// readies the returned goroutine once its locks are released.
sched::G* publish(Sudog* sg, bool success) {
  sg->success = success;
  sched::G* gp = sg->w->g;
  sg->w->fired.store(sg, std::memory_order_release);
  return gp;
}

// block parks the current goroutine on q as sg. REQUIRES c->lock; released.
void block(Hchan* c, WaitQ& q, Sudog& sg, Waiter& w, sched::WaitReason reason, const char* what) {
  w.g = sched::getg();
  if (w.g == nullptr) {
    c->lock.unlock();
    sched::require_goroutine(what);
  }
  sg.w = &w;
  sg.c = c;
  q.enqueue(&sg);
  sched::gopark(&unlock_chan, c, reason);
  Sudog* fired = w.fired.load(std::memory_order_acquire);
  GORT_CHECK(fired == &sg, "chan: goroutine woken without its operation completing");
}

}  // namespace

[[noreturn]] void park_forever(sched::WaitReason reason, const char* what) {
  sched::require_goroutine(what);
  sched::gopark(&stay_parked, nullptr, reason);
  debug::fatal("chan: a goroutine blocked forever was woken");
}

Hchan* make(const ElemOps* ops, std::size_t cap) {
  if (cap > 0x7fffffffu) lang::panic_runtime_error("makechan: size out of range");
  std::size_t align = std::max<std::size_t>(ops->align, alignof(Hchan));
  std::size_t slotsize = (ops->size + ops->align - 1) / ops->align * ops->align;
  std::size_t header = (sizeof(Hchan) + align - 1) / align * align;
  if (cap != 0 && slotsize > (std::size_t(1) << 40) / cap)
    lang::panic_runtime_error("makechan: size out of range");
  void* mem = ::operator new(header + slotsize * cap, std::align_val_t(align));
  Hchan* c = ::new (mem) Hchan();
  c->dataqsiz = std::uint32_t(cap);
  c->elemsize = ops->size;
  c->slotsize = std::uint32_t(slotsize);
  c->trivial = ops->trivial;
  c->scan = ops->scan;
  c->ops = ops;
  c->buf = static_cast<unsigned char*>(mem) + header;
  if (c->scan && cap > 0) gc::register_channel(c);
  return c;
}

void retain(Hchan* c) noexcept {
  if (c != nullptr) c->refs.fetch_add(1, std::memory_order_relaxed);
}

void release(Hchan* c) noexcept {
  if (c == nullptr || c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // Last reference: nobody can be parked on c (a parked goroutine holds a handle).
  std::uint32_t n = c->qcount.load(std::memory_order_relaxed);
  for (std::uint32_t i = 0, x = c->recvx; i < n; ++i) {
    c->destroy_elem(c->slot(x));
    if (++x == c->dataqsiz) x = 0;
  }
  if (c->scan && c->dataqsiz > 0) gc::unregister_channel(c);
  std::size_t align = std::max<std::size_t>(c->ops->align, alignof(Hchan));
  c->~Hchan();
  ::operator delete(static_cast<void*>(c), std::align_val_t(align));
}

sched::G* send_to_receiver(Hchan* c, Sudog* sg, void* src) {
  if (sg->elem != nullptr) c->move_elem(sg->elem, src);
  return publish(sg, true);
}

sched::G* recv_from_sender(Hchan* c, Sudog* sg, void* dst) {
  if (c->dataqsiz == 0) {
    if (dst != nullptr) c->move_elem(dst, sg->elem);
  } else {
    // The buffer is full (a sender is parked): take its head, put the
    // sender's value in the freed slot, which becomes the new tail.
    unsigned char* s = c->slot(c->recvx);
    c->take_elem(dst, s);
    c->move_elem(s, sg->elem);
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    c->sendx = c->recvx;
  }
  return publish(sg, true);
}

void buf_send(Hchan* c, void* src) {
  c->move_elem(c->slot(c->sendx), src);
  if (++c->sendx == c->dataqsiz) c->sendx = 0;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void buf_recv(Hchan* c, void* dst) {
  c->take_elem(dst, c->slot(c->recvx));
  if (++c->recvx == c->dataqsiz) c->recvx = 0;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

void send(Hchan* c, void* src) {
  if (c == nullptr) park_forever(sched::WaitReason::kChanSendNilChan, "chan send (nil chan)");
  c->lock.lock();
  if (c->closed.load(std::memory_order_relaxed) != 0) {
    c->lock.unlock();
    lang::panic_runtime_error("send on closed channel");
  }
  if (Sudog* sg = c->recvq.dequeue()) {
    sched::G* gp = send_to_receiver(c, sg, src);
    c->lock.unlock();
    sched::goready(gp);
    return;
  }
  if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) {
    buf_send(c, src);
    c->lock.unlock();
    return;
  }
  Waiter w;
  Sudog sg;
  sg.elem = src;
  block(c, c->sendq, sg, w, sched::WaitReason::kChanSend, "chan send");
  if (!sg.success) lang::panic_runtime_error("send on closed channel");
}

bool recv(Hchan* c, void* dst) {
  if (c == nullptr) park_forever(sched::WaitReason::kChanRecvNilChan, "chan receive (nil chan)");
  c->lock.lock();
  if (Sudog* sg = c->sendq.dequeue()) {
    sched::G* gp = recv_from_sender(c, sg, dst);
    c->lock.unlock();
    sched::goready(gp);
    return true;
  }
  if (c->qcount.load(std::memory_order_relaxed) > 0) {
    buf_recv(c, dst);
    c->lock.unlock();
    return true;
  }
  if (c->closed.load(std::memory_order_relaxed) != 0) {
    c->lock.unlock();
    return false;
  }
  Waiter w;
  Sudog sg;
  sg.elem = dst;
  block(c, c->recvq, sg, w, sched::WaitReason::kChanRecv, "chan receive");
  return sg.success;
}

bool try_send(Hchan* c, void* src) {
  if (c == nullptr) return false;
  // Fast path without the lock: an open channel that is full cannot take a
  // value. Reading closed before full is what makes the answer consistent:
  // a channel observed open and then full was, at the moment of the first
  // read, open and (since channels never reopen) either full or about to be.
  if (c->closed.load(std::memory_order_relaxed) == 0 && c->full()) return false;
  c->lock.lock();
  if (c->closed.load(std::memory_order_relaxed) != 0) {
    c->lock.unlock();
    lang::panic_runtime_error("send on closed channel");
  }
  if (Sudog* sg = c->recvq.dequeue()) {
    sched::G* gp = send_to_receiver(c, sg, src);
    c->lock.unlock();
    sched::goready(gp);
    return true;
  }
  if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) {
    buf_send(c, src);
    c->lock.unlock();
    return true;
  }
  c->lock.unlock();
  return false;
}

bool try_recv(Hchan* c, void* dst, bool* ok) {
  *ok = false;
  if (c == nullptr) return false;
  // Fast path without the lock: empty and open means "would block". If it
  // is closed, look at emptiness again: still empty after seeing closed
  // means closed-and-drained (the acquire orders the second look after it).
  if (c->empty()) {
    if (c->closed.load(std::memory_order_acquire) == 0) return false;
    if (c->empty()) return true;
  }
  c->lock.lock();
  if (Sudog* sg = c->sendq.dequeue()) {
    sched::G* gp = recv_from_sender(c, sg, dst);
    c->lock.unlock();
    sched::goready(gp);
    *ok = true;
    return true;
  }
  if (c->qcount.load(std::memory_order_relaxed) > 0) {
    buf_recv(c, dst);
    c->lock.unlock();
    *ok = true;
    return true;
  }
  bool closed = c->closed.load(std::memory_order_relaxed) != 0;
  c->lock.unlock();
  return closed;
}

void close(Hchan* c) {
  if (c == nullptr) lang::panic_runtime_error("close of nil channel");
  c->lock.lock();
  if (c->closed.load(std::memory_order_relaxed) != 0) {
    c->lock.unlock();
    lang::panic_runtime_error("close of closed channel");
  }
  c->closed.store(1, std::memory_order_release);
  // Collect every parked goroutine (linked through Sudog::next, free once
  // popped), then ready them without the lock.
  Sudog* list = nullptr;
  while (Sudog* sg = c->recvq.dequeue()) {
    sg->next = list;
    list = sg;
  }
  while (Sudog* sg = c->sendq.dequeue()) {
    sg->next = list;
    list = sg;
  }
  c->lock.unlock();
  // The goroutines stay parked until goready, so their sudogs may still be
  // written after the unlock; after its goready a sudog is gone.
  while (list != nullptr) {
    Sudog* next = list->next;
    sched::goready(publish(list, false));
    list = next;
  }
}

std::size_t len(const Hchan* c) noexcept {
  return c == nullptr ? 0 : c->qcount.load(std::memory_order_relaxed);
}

std::size_t cap(const Hchan* c) noexcept { return c == nullptr ? 0 : c->dataqsiz; }

}  // namespace gort::chan_detail
