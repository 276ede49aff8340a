// panic.cc — raising runtime-error panics, and the report of a panic that
// nothing recovered (Go's printpanics + the goroutine trace, then exit 2).
//
// The report is a fatal path: it writes to fd 2 with write(2) and formats
// into fixed stack buffers. The one exception is symbol demangling, which
// uses the C++ ABI demangler (it mallocs); the process exits right after.
#include "lang/panic.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
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

panic_error::panic_error(kind k, std::string text, void* pc)
    : kind_(k), text_ready_(true), text_(std::move(text)) {
  pcs_[0] = pc;
  npcs_ = pc != nullptr ? 1 : 0;
}

panic_error::panic_error(const panic_error& o)
    : std::exception(o),
      kind_(o.kind_),
      has_value_(o.has_value_),
      text_ready_(o.text_ready_),
      trace_complete_(o.trace_complete_),
      text_(o.text_),
      earlier_(o.earlier_),
      npcs_(o.npcs_) {
  if (has_value_) ::new (static_cast<void*>(value_)) any(*std::launder(reinterpret_cast<const any*>(o.value_)));
  for (int i = 0; i < npcs_; i++) pcs_[i] = o.pcs_[i];
}

panic_error::~panic_error() {
  if (has_value_) std::launder(reinterpret_cast<any*>(value_))->~any();
}

const std::string& panic_error::text() const {
  if (!text_ready_) {
    text_ = lang::format_panic_value(value());
    text_ready_ = true;
  }
  return text_;
}

const char* panic_error::what() const noexcept {
  try {
    return text().c_str();
  } catch (...) {
    return "panic (its value could not be formatted)";
  }
}

const any& panic_error::value() const {
  if (!has_value_) {
    if (kind_ == kind::nil_value) {
      ::new (static_cast<void*>(value_)) any(&lang::the_panic_nil_error);
    } else {
      ::new (static_cast<void*>(value_)) any(lang::runtime_error_value{text_});
    }
    has_value_ = true;
  }
  return *std::launder(reinterpret_cast<const any*>(value_));
}

__attribute__((noinline)) void panic_error::complete_trace(int skip) noexcept {
  if (trace_complete_) return;
  trace_complete_ = true;
  void* buf[kMaxStack + 8];
  int n = backtrace(buf, kMaxStack + 8);
  for (int i = 1 + skip; i < n && npcs_ < kMaxStack; i++) pcs_[npcs_++] = buf[i];
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

namespace {
// raise_runtime_error throws the runtime error `msg` raised at pc (the
// caller of the public panic_* function, so the trace starts at the site).
[[noreturn]] void raise_runtime_error(const char* msg, void* pc) {
  throw gort::panic_error(gort::panic_error::kind::runtime_error, msg, pc);
}
}  // namespace

void panic_runtime_error(const char* msg) { raise_runtime_error(msg, __builtin_return_address(0)); }

void panic_index(std::int64_t i, std::int64_t n) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "runtime error: index out of range [%lld] with length %lld",
                static_cast<long long>(i), static_cast<long long>(n));
  raise_runtime_error(buf, __builtin_return_address(0));
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
  raise_runtime_error(buf, __builtin_return_address(0));
}

void panic_divide() { raise_runtime_error("runtime error: integer divide by zero", __builtin_return_address(0)); }

}  // namespace gort::lang

namespace gort::detail {
namespace {

void put(const char* s) { gort::debug::write_stderr(s); }

// exe_symbol finds the function symbol containing pc in the executable's own
// .symtab: static functions and lambdas, which dladdr cannot name unless the
// program was linked with -rdynamic. The file is mapped read-only on first
// use; nothing is allocated. Returns nullptr when pc is not in the
// executable or the symbol table is stripped.
const char* exe_symbol(void* pc, std::uintptr_t* offset) {
  static const unsigned char* img = nullptr;
  static std::size_t img_len = 0;
  static const void* exe_base = nullptr;
  if (img == nullptr) {
    Dl_info self;
    if (dladdr(reinterpret_cast<void*>(&exe_symbol), &self) == 0) return nullptr;
    exe_base = self.dli_fbase;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      return nullptr;
    }
    void* m = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return nullptr;
    img = static_cast<const unsigned char*>(m);
    img_len = static_cast<std::size_t>(st.st_size);
  }
  Dl_info info;
  if (dladdr(pc, &info) == 0 || info.dli_fbase != exe_base || img_len < sizeof(Elf64_Ehdr)) return nullptr;
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(img);
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff == 0 ||
      eh->e_shoff + std::size_t{eh->e_shnum} * sizeof(Elf64_Shdr) > img_len)
    return nullptr;
  std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(pc);
  if (eh->e_type == ET_DYN) addr -= reinterpret_cast<std::uintptr_t>(exe_base);
  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(img + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
    const auto* syms = reinterpret_cast<const Elf64_Sym*>(img + sh[i].sh_offset);
    std::size_t nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
    const char* strtab = reinterpret_cast<const char*>(img + sh[sh[i].sh_link].sh_offset);
    for (std::size_t j = 0; j < nsyms; j++) {
      const Elf64_Sym& sym = syms[j];
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0) continue;
      if (addr >= sym.st_value && addr < sym.st_value + sym.st_size) {
        *offset = addr - sym.st_value;
        return strtab + sym.st_name;
      }
    }
  }
  return nullptr;
}

// symbol_of names the function holding pc (mangled), from the dynamic
// symbols or the executable's symbol table; *off is pc's offset in it.
const char* symbol_of(void* pc, Dl_info* info, std::uintptr_t* off) {
  if (dladdr(pc, info) == 0) {
    info->dli_fname = nullptr;
    return nullptr;
  }
  if (info->dli_sname != nullptr) {
    *off = static_cast<std::uintptr_t>(static_cast<char*>(pc) - static_cast<char*>(info->dli_saddr));
    return info->dli_sname;
  }
  return exe_symbol(pc, off);
}

// print_frame writes one trace entry in Go's two-line shape:
//   function(args)
//   \t<object file> +0x<offset>
void print_frame(void* pc) {
  Dl_info info;
  std::uintptr_t off = 0;
  char line[256];
  if (const char* name = symbol_of(pc, &info, &off)) {
    int status = -1;
    char* dem = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    put(status == 0 && dem != nullptr ? dem : name);
    std::free(dem);
    std::snprintf(line, sizeof line, "\n\t%s +0x%lx\n", info.dli_fname ? info.dli_fname : "?",
                  static_cast<unsigned long>(off));
  } else {
    // Unnamed (a stripped or split-off cold part): the module offset.
    std::snprintf(line, sizeof line, "?\n\t%s +0x%lx pc=%p\n", info.dli_fname ? info.dli_fname : "?",
                  static_cast<unsigned long>(static_cast<char*>(pc) - static_cast<char*>(info.dli_fbase)), pc);
  }
  put(line);
}

// is_panic_machinery: frames of raising a panic, hidden from the trace as
// Go hides runtime.gopanic.
bool is_panic_machinery(void* pc) {
  Dl_info info;
  std::uintptr_t off = 0;
  const char* n = symbol_of(pc, &info, &off);
  if (n == nullptr) return false;
  return std::strstr(n, "panic_error") != nullptr || std::strstr(n, "throw_panic") != nullptr ||
         std::strstr(n, "4lang5panic_") != nullptr || std::strstr(n, "4lang11panic_") != nullptr ||
         std::strstr(n, "4lang12panic_") != nullptr || std::strstr(n, "4lang13panic_") != nullptr ||
         std::strstr(n, "4lang17panic_") != nullptr || std::strstr(n, "4lang18panic_") != nullptr ||
         std::strstr(n, "4lang19panic_") != nullptr || std::strstr(n, "4gort5panic") != nullptr;
}

}  // namespace

[[noreturn]] void on_uncaught_exception(std::exception_ptr ep, std::uint64_t goid) noexcept {
  // The trace printed is the raise site followed by the stack walked by
  // the first func that let the panic through (gort/panic.h); for other
  // exceptions, the current stack.
  void* pcs[64];
  int n = 0;
  try {
    std::rethrow_exception(ep);
  } catch (const gort::panic_error& p) {
    put(p.earlier().c_str());
    put("panic: ");
    put(p.what());
    // No func let it through (none was in between): the rest of the stack
    // is this goroutine's entry and above; skip this frame.
    const_cast<gort::panic_error&>(p).complete_trace(1);
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
  // the raise helpers) are not shown.
  int first = 0;
  while (first < n && first < 6 && is_panic_machinery(pcs[first])) first++;
  for (int i = first; i < n; i++) print_frame(pcs[i]);
  _exit(2);
}

}  // namespace gort::detail
