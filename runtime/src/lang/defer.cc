// defer.cc — the panicking path of deferred calls, recover(), and where
// the goroutine's current panic lives (model at the top of
// runtime/include/gort/defer.h).
//
// Per-goroutine state is one word: the panic_record of the panic whose
// deferred call is running right now on this goroutine, or nullptr. On a
// goroutine it is G::lang_slot (goroutines migrate between threads, so a
// thread_local would be wrong); on a thread the runtime does not own, a
// thread_local. The record itself lives in run_deferred_slow's stack frame.
// The scheduler resets lang_slot for a new goroutine; nothing here needs
// freeing when a goroutine exits.
//
// g_deferring (process-wide) counts activations of run_deferred_slow that
// are handling a panic; while it is zero recover() and func's entry return
// at once without touching goroutine state.
#include <cstdlib>
#include <new>

#include "gort/defer.h"
#include "gort/panic.h"
#include "lang/panic.h"
#include "sched/park.h"
#include "sched/runtime2.h"

namespace gort::lang {

std::atomic<int> g_deferring{0};

namespace {

thread_local void* t_slot = nullptr;

// deferring_slot returns the word holding the running panic record.
inline void** deferring_slot() {
  if (sched::G* g = sched::getg()) return &g->lang_slot;
  return &t_slot;
}

std::string earlier_report(const panic_record& rec) {
  if (rec.err == nullptr) return "";
  std::string s = rec.err->earlier();
  s += "panic: ";
  s += rec.err->text();
  if (rec.recovered) s += " [recovered]";
  s += "\n\t";
  return s;
}

}  // namespace

void* hide_panic() noexcept {
  void** slot = deferring_slot();
  void* saved = *slot;
  *slot = nullptr;
  return saved;
}

void unhide_panic(void* saved) noexcept { *deferring_slot() = saved; }

void catch_current(caught* c, panic_error* err) noexcept {
  ::new (static_cast<void*>(c->ep)) std::exception_ptr(std::current_exception());
  c->err = err;
}

__attribute__((noinline)) void* caller_pc() noexcept {
  // The return address is in the middle of the raising function (the throw
  // follows the call), so it symbolizes to that function.
  return __builtin_return_address(0);
}

void throw_nil_panic(void* pc) {
  throw panic_error(panic_error::kind::nil_value, "panic called with nil argument (goexit?)", pc);
}

void run_deferred_slow(frame& f, caught* c) {
  panic_record rec{nullptr, nullptr, false};
  if (c != nullptr) {
    auto* cep = std::launder(reinterpret_cast<std::exception_ptr*>(c->ep));
    rec.ep = std::move(*cep);
    cep->~exception_ptr();
    rec.err = c->err;
  }
  bool panicking = rec.ep != nullptr;
  if (panicking) g_deferring.fetch_add(1, std::memory_order_relaxed);
  void* saved = *deferring_slot();
  while (frame::record* r = f.pop()) {
    *deferring_slot() = panicking ? &rec : nullptr;
    std::exception_ptr nep;
    panic_error* nerr = nullptr;
    try {
      r->thunk(r, true);
    } catch (panic_error& p) {
      nep = std::current_exception();
      nerr = &p;
    } catch (...) {
      nep = std::current_exception();
    }
    if (nep != nullptr) {
      // The deferred call panicked: the new panic replaces the current one
      // (printed after it), and the remaining deferred calls see it.
      if (panicking && nerr != nullptr && nerr != rec.err) nerr->set_earlier(earlier_report(rec));
      if (!panicking) g_deferring.fetch_add(1, std::memory_order_relaxed);
      panicking = true;
      rec = panic_record{std::move(nep), nerr, false};
      continue;
    }
    if (panicking && rec.recovered) {
      // Recovered: the panic ends here; the rest run as on a normal return.
      panicking = false;
      g_deferring.fetch_sub(1, std::memory_order_relaxed);
      rec = panic_record{};
    }
  }
  *deferring_slot() = saved;
  f.used_ = 0;
  if (panicking) {
    g_deferring.fetch_sub(1, std::memory_order_relaxed);
    // Leaving this func unrecovered: the stack from here up is still
    // intact, so this is where the trace of an unrecovered panic is taken
    // (once per panic; skip this function's own frame).
    if (rec.err != nullptr && !rec.err->trace_complete()) rec.err->complete_trace(1);
    std::rethrow_exception(rec.ep);
  }
}

}  // namespace gort::lang

namespace gort {

void frame::discard() noexcept {
  while (record* r = pop()) r->thunk(r, false);
  used_ = 0;
}

any recover() {
  if (lang::g_deferring.load(std::memory_order_relaxed) == 0) return {};
  auto* rec = static_cast<lang::panic_record*>(*lang::deferring_slot());
  if (rec == nullptr || rec->recovered || rec->err == nullptr) return {};
  rec->recovered = true;
  return rec->err->value();
}

}  // namespace gort
