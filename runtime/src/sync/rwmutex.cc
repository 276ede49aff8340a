// rwmutex.cc — gort::sync::rwmutex, Go's sync.RWMutex (gort/sync.h).
//
// reader_count_ counts readers holding or waiting for the lock; a writer
// subtracts kMaxReaders from it, which both announces the writer (new
// readers see a negative count and park on reader_sem_) and tells it how
// many readers are still inside; it waits on writer_sem_ until that many
// (tracked in reader_wait_) have left. Writers serialize on w_. Unlock adds
// kMaxReaders back and releases each reader that parked meanwhile.
//
// Invariants: reader_count_ in [0, kMaxReaders) with no writer pending, in
// [-kMaxReaders, 0) with one; reader_wait_ > 0 only while a writer waits.
// Writer preference: once a writer is pending, no new reader enters.
// All counters are acquire/release atomics, so TSan sees every edge.
#include "debug/fatal.h"
#include "gort/sync.h"
#include "sched/park.h"
#include "sync/sema.h"

namespace gort::sync {

void rwmutex::lock_shared() {
  if (reader_count_.fetch_add(1, std::memory_order_acq_rel) + 1 < 0) {
    // A writer is pending or active: wait for it to let us in.
    sync_detail::semacquire(&reader_sem_, false, sched::WaitReason::kSyncRWMutexRLock);
  }
}

bool rwmutex::try_lock_shared() {
  std::int32_t c = reader_count_.load(std::memory_order_relaxed);
  for (;;) {
    if (c < 0) return false;
    if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) return true;
  }
}

void rwmutex::unlock_shared() {
  std::int32_t r = reader_count_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if (r < 0) unlock_shared_slow(r);
}

void rwmutex::unlock_shared_slow(std::int32_t r) {
  if (r + 1 == 0 || r + 1 == -kMaxReaders) debug::fatal("sync: RUnlock of unlocked RWMutex");
  // A writer is pending: the last reader it waits for lets it in.
  if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0)
    sync_detail::semrelease(&writer_sem_, false);
}

void rwmutex::lock() {
  w_.lock();  // exclude other writers
  // Announce ourselves; r is the number of readers still inside.
  std::int32_t r = reader_count_.fetch_sub(kMaxReaders, std::memory_order_acq_rel);
  if (r != 0 && reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0)
    sync_detail::semacquire(&writer_sem_, false, sched::WaitReason::kSyncRWMutexLock);
}

bool rwmutex::try_lock() {
  if (!w_.try_lock()) return false;
  std::int32_t zero = 0;
  if (!reader_count_.compare_exchange_strong(zero, -kMaxReaders, std::memory_order_acq_rel)) {
    w_.unlock();
    return false;
  }
  return true;
}

void rwmutex::unlock() {
  std::int32_t r = reader_count_.fetch_add(kMaxReaders, std::memory_order_acq_rel) + kMaxReaders;
  if (r >= kMaxReaders) debug::fatal("sync: Unlock of unlocked RWMutex");
  // Let in the readers that arrived while we held it.
  for (std::int32_t i = 0; i < r; ++i) sync_detail::semrelease(&reader_sem_, false);
  w_.unlock();
}

}  // namespace gort::sync
