// oslock.cc — keeping asynchronous preemption out of OS-mutex critical
// sections.
//
// A goroutine preempted by signal while it holds a pthread mutex (a
// std::mutex) keeps holding it while other goroutines run on the threads;
// one of them blocking on that mutex blocks its whole M, and with every M
// blocked so, nobody runs the holder again. So libgort interposes the
// pthread lock calls (the program's own definitions take precedence over
// libc's for every caller, libstdc++ included), forwards each to the next
// definition (libc's, or a sanitizer's interceptor), and counts the locks
// the running goroutine holds in gort_tls_oslocks. The SIGURG handler
// refuses while the count is non-zero; the goroutine is preempted just after
// its critical section instead. The count is per thread, moved into the G
// when it switches out voluntarily while holding a lock (legal, if unwise)
// and back when it resumes, so it follows the goroutine across threads.
//
// TSan builds do not interpose (TSan must see every lock, and has no
// asynchronous preemption anyway).
#include <dlfcn.h>
#include <pthread.h>

#include "sched/runtime2.h"

extern "C" {
__thread int gort_tls_oslocks __attribute__((tls_model("initial-exec"))) = 0;
}

#if !defined(GORT_TSAN)

namespace {

template <class F>
F next_fn(const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (p == nullptr) gort::debug::fatalf("cannot find %s after libgort's interposer", name);
  return reinterpret_cast<F>(p);
}

using MutexFn = int (*)(pthread_mutex_t*);
using MutexTimedFn = int (*)(pthread_mutex_t*, const struct timespec*);
using RwFn = int (*)(pthread_rwlock_t*);

inline void held_inc() {
#if defined(__x86_64__)
  asm volatile("addl $1, %%fs:gort_tls_oslocks@tpoff" ::: "memory", "cc");
#else
  gort_tls_oslocks++;
#endif
}
inline void held_dec() {
#if defined(__x86_64__)
  asm volatile("subl $1, %%fs:gort_tls_oslocks@tpoff" ::: "memory", "cc");
#else
  gort_tls_oslocks--;
#endif
}

}  // namespace

extern "C" {

int pthread_mutex_lock(pthread_mutex_t* m) {
  static MutexFn real = next_fn<MutexFn>("pthread_mutex_lock");
  int r = real(m);
  if (r == 0) held_inc();
  return r;
}

int pthread_mutex_trylock(pthread_mutex_t* m) {
  static MutexFn real = next_fn<MutexFn>("pthread_mutex_trylock");
  int r = real(m);
  if (r == 0) held_inc();
  return r;
}

int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* t) {
  static MutexTimedFn real = next_fn<MutexTimedFn>("pthread_mutex_timedlock");
  int r = real(m, t);
  if (r == 0) held_inc();
  return r;
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
  static MutexFn real = next_fn<MutexFn>("pthread_mutex_unlock");
  int r = real(m);
  if (r == 0) held_dec();
  return r;
}

int pthread_rwlock_rdlock(pthread_rwlock_t* l) {
  static RwFn real = next_fn<RwFn>("pthread_rwlock_rdlock");
  int r = real(l);
  if (r == 0) held_inc();
  return r;
}

int pthread_rwlock_wrlock(pthread_rwlock_t* l) {
  static RwFn real = next_fn<RwFn>("pthread_rwlock_wrlock");
  int r = real(l);
  if (r == 0) held_inc();
  return r;
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) {
  static RwFn real = next_fn<RwFn>("pthread_rwlock_tryrdlock");
  int r = real(l);
  if (r == 0) held_inc();
  return r;
}

int pthread_rwlock_trywrlock(pthread_rwlock_t* l) {
  static RwFn real = next_fn<RwFn>("pthread_rwlock_trywrlock");
  int r = real(l);
  if (r == 0) held_inc();
  return r;
}

int pthread_rwlock_unlock(pthread_rwlock_t* l) {
  static RwFn real = next_fn<RwFn>("pthread_rwlock_unlock");
  int r = real(l);
  if (r == 0) held_dec();
  return r;
}

}  // extern "C"

#endif  // !GORT_TSAN
