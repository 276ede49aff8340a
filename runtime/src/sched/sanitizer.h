// sanitizer.h — telling ASan and TSan about goroutine stacks and switches.
//
// ASan must know which stack is current (its fake stacks and stack-bounds
// checks), so every switch is bracketed by __sanitizer_start_switch_fiber /
// __sanitizer_finish_switch_fiber. TSan keeps per-fiber state: each G gets
// a TSan fiber, each M's scheduler context uses the thread's own, and every
// switch calls __tsan_switch_to_fiber (with synchronisation: a switch is a
// happens-before edge, as it is in the runtime's own bookkeeping). In other
// builds all of this compiles to nothing.
#pragma once

#include "sched/runtime2.h"

#if defined(GORT_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(GORT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace gort::sched::san {

inline void m_init(M* m) {
#if defined(GORT_TSAN)
  m->tsan_fiber = __tsan_get_current_fiber();
#else
  (void)m;
#endif
}

inline void m_exit(M* m) { (void)m; }

inline void g_created(G* gp) {
#if defined(GORT_TSAN)
  if (gp->tsan_fiber == nullptr) gp->tsan_fiber = __tsan_create_fiber(0);
#else
  (void)gp;
#endif
}

// g_destroyed runs after the switch away from a dead G.
inline void g_destroyed(G* gp) {
#if defined(GORT_TSAN)
  if (gp->tsan_fiber != nullptr) {
    __tsan_destroy_fiber(gp->tsan_fiber);
    gp->tsan_fiber = nullptr;
  }
#else
  (void)gp;
#endif
}

inline void before_switch(M* m, G* cur, G* to) {
#if defined(GORT_ASAN)
  void** save = cur != nullptr ? &cur->asan_fake_stack : &m->asan_fake_stack;
  // A dead G's fake stack is discarded (nullptr save).
  if (cur != nullptr && m->pending == Pending::kExit) save = nullptr;
  const void* bottom = to != nullptr ? reinterpret_cast<const void*>(to->stk.lo)
                                     : reinterpret_cast<const void*>(m->g0_lo);
  std::size_t size = to != nullptr ? to->stk.size() : m->g0_hi - m->g0_lo;
  __sanitizer_start_switch_fiber(save, bottom, size);
#endif
#if defined(GORT_TSAN)
  __tsan_switch_to_fiber(to != nullptr ? to->tsan_fiber : m->tsan_fiber, 0);
#endif
  (void)m;
  (void)cur;
  (void)to;
}

// after_switch runs first thing in the context that was resumed; cur is
// that context's G (nullptr for g0, which always resumes on its own M).
inline void after_switch(M* m, G* cur) {
#if defined(GORT_ASAN)
  __sanitizer_finish_switch_fiber(cur != nullptr ? cur->asan_fake_stack : m->asan_fake_stack, nullptr, nullptr);
#endif
  (void)m;
  (void)cur;
}

// after_first_switch runs first thing in a G that has never run.
inline void after_first_switch() {
#if defined(GORT_ASAN)
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
}

}  // namespace gort::sched::san
