// runq.cc — run queues: each P's bounded lock-free queue with its runnext
// slot, the global queue, and work stealing.
//
// Local queue invariants (P.runq, a ring of kRunqSize slots):
//  - runqtail is written only by the P's owner (store-release after the slot
//    is filled); runqhead is advanced by the owner and by stealers with CAS.
//  - 0 <= runqtail - runqhead <= kRunqSize, in modular uint32 arithmetic.
//  - runnext holds at most one G that runs before the queue; the owner sets
//    it with exchange, consumers take it with CAS.
// The global queue is a linked list under sched lock, consulted every 61st
// schedule (so that a busy local queue cannot starve it) and when the local
// queue is empty. When the local queue overflows, half of it moves to the
// global queue in one lock acquisition.
#include "sched/runtime2.h"

namespace gort::sched {

bool runqempty(P* p) {
  // runnext first: a G moving from runnext to the queue is never missed
  // when both are read in this order and the tail is re-checked.
  for (;;) {
    std::uint32_t head = p->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = p->runqtail.load(std::memory_order_acquire);
    G* next = p->runnext.load(std::memory_order_acquire);
    if (tail == p->runqtail.load(std::memory_order_acquire)) return head == tail && next == nullptr;
  }
}

void globrunqput(G* gp) {
  gp->schedlink = nullptr;
  if (sched_->runqtail != nullptr) {
    sched_->runqtail->schedlink = gp;
  } else {
    sched_->runqhead = gp;
  }
  sched_->runqtail = gp;
  sched_->runqsize.fetch_add(1, std::memory_order_relaxed);
}

void globrunqput_locked_batch(G* head, G* tail, int n) {
  tail->schedlink = nullptr;
  if (sched_->runqtail != nullptr) {
    sched_->runqtail->schedlink = head;
  } else {
    sched_->runqhead = head;
  }
  sched_->runqtail = tail;
  sched_->runqsize.fetch_add(n, std::memory_order_relaxed);
}

namespace {

// runqputslow moves half of p's queue plus gp to the global queue. Fails
// (returns false) if a stealer raced us, in which case the caller retries.
bool runqputslow(P* p, G* gp, std::uint32_t head, std::uint32_t tail) {
  constexpr std::uint32_t kHalf = kRunqSize / 2;
  G* batch[kHalf + 1];
  std::uint32_t n = (tail - head) / 2;
  if (n != kHalf) return false;  // queue is no longer full
  for (std::uint32_t i = 0; i < n; i++) batch[i] = p->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
  if (!p->runqhead.compare_exchange_strong(head, head + n, std::memory_order_release, std::memory_order_relaxed))
    return false;
  batch[n] = gp;
  for (std::uint32_t i = 0; i < n; i++) batch[i]->schedlink = batch[i + 1];
  LockGuard g(sched_->lock);
  globrunqput_locked_batch(batch[0], batch[n], static_cast<int>(n + 1));
  return true;
}

}  // namespace

void runqput(P* p, G* gp, bool next) {
  if (next) {
    G* old = p->runnext.exchange(gp, std::memory_order_acq_rel);
    if (old == nullptr) return;
    gp = old;  // the previous runnext goes to the tail
  }
  for (;;) {
    std::uint32_t head = p->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
    if (tail - head < kRunqSize) {
      p->runq[tail % kRunqSize].store(gp, std::memory_order_relaxed);
      p->runqtail.store(tail + 1, std::memory_order_release);
      return;
    }
    if (runqputslow(p, gp, head, tail)) return;
  }
}

G* runqget(P* p, bool* inherit) {
  G* next = p->runnext.load(std::memory_order_relaxed);
  if (next != nullptr &&
      p->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acquire, std::memory_order_relaxed)) {
    *inherit = true;
    return next;
  }
  *inherit = false;
  for (;;) {
    std::uint32_t head = p->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
    if (tail == head) return nullptr;
    G* gp = p->runq[head % kRunqSize].load(std::memory_order_relaxed);
    if (p->runqhead.compare_exchange_weak(head, head + 1, std::memory_order_release, std::memory_order_relaxed))
      return gp;
  }
}

// runqgrab copies up to half of victim's queue into batch (at most
// kRunqSize/2) and claims them; with steal_next it may take runnext when the
// queue is empty. Returns how many it took.
static std::uint32_t runqgrab(P* victim, G** batch, bool steal_next) {
  for (;;) {
    std::uint32_t head = victim->runqhead.load(std::memory_order_acquire);
    std::uint32_t tail = victim->runqtail.load(std::memory_order_acquire);
    std::uint32_t n = tail - head;
    n = n - n / 2;
    if (n == 0) {
      if (steal_next) {
        G* next = victim->runnext.load(std::memory_order_acquire);
        if (next != nullptr) {
          // The victim is probably about to run it (it was just readied by
          // a running G). Give the owner a moment before taking it.
          if (victim->status.load(std::memory_order_relaxed) == PStatus::kRunning) {
            for (int i = 0; i < 200; i++) cpu_relax();
          }
          if (victim->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) {
            batch[0] = next;
            return 1;
          }
        }
      }
      return 0;
    }
    if (n > kRunqSize / 2) continue;  // torn read of head/tail
    for (std::uint32_t i = 0; i < n; i++) batch[i] = victim->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
    if (victim->runqhead.compare_exchange_strong(head, head + n, std::memory_order_acq_rel, std::memory_order_relaxed))
      return n;
  }
}

// runqsteal moves half of victim's queue to p's (empty) queue and returns
// one G to run, or nullptr.
G* runqsteal(P* p, P* victim, bool steal_next) {
  G* batch[kRunqSize / 2];
  std::uint32_t n = runqgrab(victim, batch, steal_next);
  if (n == 0) return nullptr;
  G* gp = batch[--n];
  if (n == 0) return gp;
  std::uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < n; i++) p->runq[(tail + i) % kRunqSize].store(batch[i], std::memory_order_relaxed);
  p->runqtail.store(tail + n, std::memory_order_release);
  return gp;
}

// globrunqget takes a batch from the global queue for p: one to run, the
// rest into p's local queue. max > 0 bounds the batch. REQUIRES: sched lock.
G* globrunqget(P* p, int max) {
  int size = sched_->runqsize.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  int procs = sched_->gomaxprocs.load(std::memory_order_relaxed);
  int n = size / procs + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > kRunqSize / 2) n = kRunqSize / 2;
  sched_->runqsize.fetch_sub(n, std::memory_order_relaxed);
  G* gp = sched_->runqhead;
  sched_->runqhead = gp->schedlink;
  for (int i = 1; i < n; i++) {
    G* x = sched_->runqhead;
    sched_->runqhead = x->schedlink;
    runqput(p, x, false);
  }
  if (sched_->runqhead == nullptr) sched_->runqtail = nullptr;
  return gp;
}

}  // namespace gort::sched
