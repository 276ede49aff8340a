// context_amd64.cc — building a fresh x86-64 context (see context.h).
#if defined(__x86_64__)
#include <cpuid.h>

#include <cstdint>
#include <cstring>

#include "arch/context.h"

extern "C" void gort_ctx_entry();

// Read by the preemption trampoline: whether to use xsave (all enabled
// extended state: AVX, AVX-512...) or fxsave (x87/SSE only), and how many
// bytes of stack the save area needs (plus 64 for alignment).
extern "C" {
unsigned char gort_have_xsave = 0;
std::uint64_t gort_xsave_size = 512 + 64 + 64;
}

namespace gort::arch {

namespace {
struct XsaveProbe {
  XsaveProbe() {
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && __get_cpuid_max(0, nullptr) >= 0xd) {
      __cpuid_count(0xd, 0, a, b, c, d);
      // ebx: bytes needed for the features enabled in XCR0.
      gort_have_xsave = 1;
      gort_xsave_size = b + 64;
    }
  }
} xsave_probe;

// The frame gort_swapctx pops: control words, r15, r14, r13, r12, rbx, rbp,
// then the return address.
struct InitialFrame {
  std::uint32_t mxcsr;
  std::uint16_t fpucw;
  std::uint16_t pad;
  std::uint64_t r15, r14, r13, r12, rbx, rbp;
  std::uint64_t ret;
};
}  // namespace

void* ctx_make(std::uintptr_t stack_hi, void (*fn)(void*), void* arg) {
  // After `ret` pops InitialFrame::ret, rsp must be 16-byte aligned (see
  // gort_ctx_entry): the return-address slot sits 8 below an aligned top.
  std::uintptr_t top = (stack_hi & ~std::uintptr_t{15}) - 16;
  auto* f = reinterpret_cast<InitialFrame*>(top - sizeof(InitialFrame));
  static_assert(sizeof(InitialFrame) == 64, "frame layout must match gort_swapctx");
  std::memset(f, 0, sizeof *f);
  f->mxcsr = 0x1F80;  // default: all exceptions masked, round to nearest
  f->fpucw = 0x037F;
  f->r12 = reinterpret_cast<std::uint64_t>(arg);
  f->r13 = reinterpret_cast<std::uint64_t>(fn);
  f->ret = reinterpret_cast<std::uint64_t>(&gort_ctx_entry);
  return f;
}

}  // namespace gort::arch
#endif
