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

hide_panic::hide_panic() {
  void** slot = deferring_slot();
  saved_ = *slot;
  *slot = nullptr;
}

hide_panic::~hide_panic() { *deferring_slot() = saved_; }

void run_deferred_slow(frame& f, std::exception_ptr ep, panic_error* perr) {
  panic_record rec{std::move(ep), perr, false};
  bool panicking = rec.ep != nullptr;
  if (panicking) g_deferring.fetch_add(1, std::memory_order_relaxed);
  void* saved = *deferring_slot();
  frame::entry e;
  while (f.pop(&e)) {
    *deferring_slot() = panicking ? &rec : nullptr;
    std::exception_ptr nep;
    panic_error* nerr = nullptr;
    try {
      e.call(e.obj);
    } catch (panic_error& p) {
      nep = std::current_exception();
      nerr = &p;
    } catch (...) {
      nep = std::current_exception();
    }
    if (e.destroy != nullptr) e.destroy(e.obj);
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
    std::rethrow_exception(rec.ep);
  }
}

[[noreturn]] void throw_panic(std::shared_ptr<const any> v) {
  if (v == nullptr) {
    throw panic_error(panic_error::kind::nil_value, "panic called with nil argument (goexit?)");
  }
  std::string text = format_panic_value(*v);
  throw panic_error(panic_error::kind::value, std::move(text), std::move(v));
}

}  // namespace gort::lang

namespace gort {

void frame::push_overflow(entry e) {
  if (overflow_ == nullptr) overflow_ = new overflow_list;
  if (overflow_->n == overflow_->cap) {
    std::size_t cap = overflow_->cap ? overflow_->cap * 2 : 16;
    auto* ne = static_cast<entry*>(std::malloc(cap * sizeof(entry)));
    if (ne == nullptr) throw std::bad_alloc();
    for (std::size_t i = 0; i < overflow_->n; i++) ne[i] = overflow_->e[i];
    std::free(overflow_->e);
    overflow_->e = ne;
    overflow_->cap = cap;
  }
  overflow_->e[overflow_->n++] = e;
}

void frame::discard() noexcept {
  entry e;
  while (pop(&e)) {
    if (e.destroy != nullptr) e.destroy(e.obj);
  }
  if (overflow_ != nullptr) {
    std::free(overflow_->e);
    delete overflow_;
    overflow_ = nullptr;
  }
}

any recover() {
  if (lang::g_deferring.load(std::memory_order_relaxed) == 0) return {};
  auto* rec = static_cast<lang::panic_record*>(*lang::deferring_slot());
  if (rec == nullptr || rec->recovered || rec->err == nullptr) return {};
  rec->recovered = true;
  return rec->err->value();
}

}  // namespace gort
