// panic.cc — raising runtime-error panics, and the report of a panic that
// nothing recovered (Go's printpanics + the goroutine trace, then exit 2).
//
// The report is a fatal path: it writes to fd 2 with write(2) and formats
// into fixed stack buffers. The one exception is symbol demangling, which
// uses the C++ ABI demangler (it mallocs); the process exits right after.
#include "lang/panic.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <typeinfo>

#include "debug/fatal.h"
#include "gort/iface.h"
#include "gort/panic.h"

namespace gort {

namespace lang {
namespace {

// runtime_error_value is the value recover() returns for a runtime error
// (Go has several concrete types behind runtime.Error; one does here).
struct runtime_error_value {
  std::string msg;
  std::string Error() const { return msg; }
  void RuntimeError() const {}
  bool operator==(const runtime_error_value&) const = default;
  static void gort_describe(type_builder<runtime_error_value>& b) {
    b.name("runtime.Error")
        .method<&runtime_error_value::Error>("Error")
        .method<&runtime_error_value::RuntimeError>("RuntimeError");
  }
};

// PanicNilError is Go 1.21's value for panic(nil).
struct PanicNilError {
  std::string Error() const { return "panic called with nil argument (goexit?)"; }
  void RuntimeError() const {}
  static void gort_describe(type_builder<PanicNilError>& b) {
    b.name("runtime.PanicNilError")
        .method<&PanicNilError::Error>("Error")
        .method<&PanicNilError::RuntimeError>("RuntimeError");
  }
};
PanicNilError the_panic_nil_error;

}  // namespace
}  // namespace lang

panic_error::panic_error(kind k, std::string text, std::shared_ptr<const any> value)
    : kind_(k), text_(std::move(text)), value_(std::move(value)) {
  // The trace of an unrecovered panic shows where it was raised; by the
  // time the goroutine's entry sees the exception that stack is unwound.
  npcs_ = backtrace(pcs_, kMaxStack);
}

const any& panic_error::value() const {
  if (value_ == nullptr) {
    if (kind_ == kind::nil_value) {
      value_ = std::make_shared<const any>(&lang::the_panic_nil_error);
    } else {
      value_ = std::make_shared<const any>(lang::runtime_error_value{text_});
    }
  }
  return *value_;
}

}  // namespace gort

namespace gort::lang {

std::string format_panic_value(const any& v) {
  const type_desc* t = v.type();
  if (t == nullptr) return "nil";
  using str_thunk = std::string (*)(void*);
  for (const char* m : {"Error", "String"}) {
    const method_desc* md = find_method(t, m);
    if (md != nullptr && *md->sig == typeid(std::string())) {
      void* recv = t->pointer_shaped ? v.data() : v.data();
      if (recv != nullptr) return reinterpret_cast<str_thunk>(md->fn)(recv);
    }
  }
  std::string out;
  if (t->ops.format != nullptr && t->ops.format(v.value_ptr(), out)) {
    if (!t->named) return out;
    if (t->kind == kind::string) return t->name + "(\"" + out + "\")";
    return t->name + "(" + out + ")";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, ") %p", v.data());
  return "(" + t->name + buf;
}

void panic_runtime_error(const char* msg) {
  throw gort::panic_error(gort::panic_error::kind::runtime_error, msg);
}

void panic_index(std::int64_t i, std::int64_t n) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "runtime error: index out of range [%lld] with length %lld",
                static_cast<long long>(i), static_cast<long long>(n));
  panic_runtime_error(buf);
}

void panic_slice_bounds(std::int64_t lo, std::int64_t hi, std::int64_t cap) {
  char buf[112];
  if (hi < 0 || hi > cap) {
    std::snprintf(buf, sizeof buf, "runtime error: slice bounds out of range [:%lld] with capacity %lld",
                  static_cast<long long>(hi), static_cast<long long>(cap));
  } else {
    std::snprintf(buf, sizeof buf, "runtime error: slice bounds out of range [%lld:%lld]",
                  static_cast<long long>(lo), static_cast<long long>(hi));
  }
  panic_runtime_error(buf);
}

void panic_divide() { panic_runtime_error("runtime error: integer divide by zero"); }

}  // namespace gort::lang

namespace gort::detail {
namespace {

void put(const char* s) { gort::debug::write_stderr(s); }

// print_frame writes one trace entry in Go's two-line shape:
//   function(args)
//   \t<object file> +0x<offset>
void print_frame(void* pc) {
  Dl_info info;
  char line[256];
  if (dladdr(pc, &info) != 0 && info.dli_sname != nullptr) {
    int status = -1;
    char* dem = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    put(status == 0 && dem != nullptr ? dem : info.dli_sname);
    std::free(dem);
    std::snprintf(line, sizeof line, "\n\t%s +0x%lx\n", info.dli_fname ? info.dli_fname : "?",
                  static_cast<unsigned long>(static_cast<char*>(pc) -
                                             static_cast<char*>(info.dli_saddr)));
  } else if (dladdr(pc, &info) != 0) {
    std::snprintf(line, sizeof line, "?\n\t%s +0x%lx pc=%p\n", info.dli_fname ? info.dli_fname : "?",
                  static_cast<unsigned long>(static_cast<char*>(pc) -
                                             static_cast<char*>(info.dli_fbase)),
                  pc);
  } else {
    std::snprintf(line, sizeof line, "?\n\t? pc=%p\n", pc);
  }
  put(line);
}

}  // namespace

[[noreturn]] void on_uncaught_exception(std::exception_ptr ep, std::uint64_t goid) noexcept {
  // The trace printed is the one captured where the panic was raised when
  // the exception carries one (see lang/defer.cc); else the current stack.
  void* pcs[64];
  int n = 0;
  try {
    std::rethrow_exception(ep);
  } catch (const gort::panic_error& p) {
    put(p.earlier().c_str());
    put("panic: ");
    put(p.what());
    void* const* st = p.stack(&n);
    for (int i = 0; i < n; i++) pcs[i] = st[i];
  } catch (const std::exception& e) {
    put("panic: ");
    put(e.what());
    put(" [C++ exception]");
  } catch (...) {
    put("panic: unknown C++ exception");
  }
  put("\n\n");
  char head[64];
  std::snprintf(head, sizeof head, "goroutine %llu [running]:\n", static_cast<unsigned long long>(goid));
  put(head);
  if (n == 0) n = backtrace(pcs, 64);
  // Frames of the panic machinery itself (panic_error's constructor and
  // the raise helpers) are not shown, as Go hides runtime.gopanic.
  int first = 0;
  for (int i = 0; i < n && i < 4; i++) {
    Dl_info info;
    if (dladdr(pcs[i], &info) != 0 && info.dli_sname != nullptr &&
        (std::strstr(info.dli_sname, "panic_error") != nullptr ||
         std::strstr(info.dli_sname, "throw_panic") != nullptr || std::strstr(info.dli_sname, "panic_") != nullptr ||
         std::strstr(info.dli_sname, "4gort5panic") != nullptr))
      first = i + 1;
  }
  for (int i = first; i < n; i++) print_frame(pcs[i]);
  _exit(2);
}

}  // namespace gort::detail
