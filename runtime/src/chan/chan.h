// chan.h — the channel object (Go's hchan) shared by chan.cc, select.cc and
// the timer channels. The design, invariants and locking are described at
// the top of chan.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "chan/sudog.h"
#include "gc/mgc.h"
#include "gort/chan.h"
#include "sched/lock.h"
#include "sched/park.h"

namespace gort::chan_detail {

struct Hchan {
  // refs counts the chan<T> handles (and runtime owners such as a pending
  // timer) referring to this channel. The channel is freed at zero.
  std::atomic<std::uint32_t> refs{1};

  // Immutable after make().
  std::uint32_t dataqsiz = 0;   // buffer capacity in elements (0: unbuffered)
  std::uint32_t elemsize = 0;   // bytes per element
  std::uint32_t slotsize = 0;   // bytes per buffer slot (elemsize rounded to alignment)
  bool trivial = false;         // elements are copied with memcpy
  bool scan = false;            // elements may hold GC pointers (gc/mbarrier.cc)
  const ElemOps* ops = nullptr;
  unsigned char* buf = nullptr; // dataqsiz slots, right after this object

  // lock guards everything below. Rank: hchan (leaf except for other hchan
  // locks taken by select in address order, and goready's scheduler locks).
  sched::Lock lock;
  // qcount and closed are written only under lock; they are atomic so the
  // non-blocking fast paths and len() may read them without it.
  std::atomic<std::uint32_t> qcount{0};
  std::atomic<std::uint32_t> closed{0};
  std::uint32_t sendx = 0;  // next slot to fill
  std::uint32_t recvx = 0;  // next slot to drain
  WaitQ recvq;              // receivers parked on this channel
  WaitQ sendq;              // senders parked on this channel

  // Buffered channels whose elements may hold GC pointers are on the GC's
  // list of channel buffers (a root); guarded by the GC's channel lock.
  Hchan* gc_next = nullptr;
  Hchan* gc_prev = nullptr;

  unsigned char* slot(std::uint32_t i) { return buf + std::size_t(i) * slotsize; }

  // move_elem move-constructs *dst from *src; src stays alive. During a GC
  // mark the copy is shaded: dst may be a buffer slot or a stack the
  // collector has already scanned (the Dijkstra half of the barrier for
  // memory channels write).
  void move_elem(void* dst, void* src) const {
    if (trivial) {
      std::memcpy(dst, src, elemsize);
    } else {
      ops->move(dst, src);
    }
    if (scan && __builtin_expect(gc::marking(), 0)) gc::shade_range(dst, elemsize);
  }
  void destroy_elem(void* p) const {
    if (!trivial) ops->destroy(p);
  }
  // take_elem moves *src into *dst (or drops it when dst is null) and
  // destroys *src: for values leaving the buffer.
  void take_elem(void* dst, void* src) const {
    if (dst != nullptr) move_elem(dst, src);
    destroy_elem(src);
  }

  // full: a send would block (ignoring closed). empty: a receive would
  // block (ignoring closed). Safe without the lock as the fast paths'
  // racy peek; exact with it.
  bool full() const {
    if (dataqsiz == 0) return recvq.empty_relaxed();
    return qcount.load(std::memory_order_relaxed) == dataqsiz;
  }
  bool empty() const {
    if (dataqsiz == 0) return sendq.empty_relaxed();
    return qcount.load(std::memory_order_relaxed) == 0;
  }
};

// The steps of a send or receive that select shares with chan.cc. Each
// REQUIRES c->lock held and leaves it held; the ones that pop a peer return
// the goroutine to goready once the caller has released its locks.

// send_to_receiver hands *src to the parked receiver sg (popped from recvq).
sched::G* send_to_receiver(Hchan* c, Sudog* sg, void* src);
// recv_from_sender receives into dst from the parked sender sg (popped from
// sendq): straight from the sender when unbuffered, else from the buffer's
// head, refilling the freed slot with the sender's value.
sched::G* recv_from_sender(Hchan* c, Sudog* sg, void* dst);
// buf_send / buf_recv move one element into / out of the ring buffer.
// REQUIRES: qcount < dataqsiz / qcount > 0.
void buf_send(Hchan* c, void* src);
void buf_recv(Hchan* c, void* dst);

// park_forever parks the goroutine for good (nil channels, empty select).
[[noreturn]] void park_forever(sched::WaitReason reason, const char* what);

}  // namespace gort::chan_detail
