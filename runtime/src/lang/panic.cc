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
#include "gort/panic.h"

namespace gort::lang {

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

void on_uncaught_exception(std::exception_ptr ep, std::uint64_t goid) noexcept {
  // The trace printed is the one captured where the panic was raised when
  // the exception carries one (see lang/defer.cc); else the current stack.
  void* pcs[64];
  int n = 0;
  try {
    std::rethrow_exception(ep);
  } catch (const gort::panic_error& p) {
    put("panic: ");
    put(p.what());
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
  for (int i = 0; i < n; i++) print_frame(pcs[i]);
  _exit(2);
}

}  // namespace gort::detail
