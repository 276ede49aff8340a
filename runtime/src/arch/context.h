// context.h — the machine context of a goroutine and the switch between two.
//
// A suspended context is nothing but a stack pointer: gort_swapctx pushes the
// callee-saved registers (rbx, rbp, r12-r15 on x86-64; x19-x29, lr, d8-d15 on
// aarch64) and the FP control words (MXCSR and the x87 control word; FPCR)
// on the current stack, stores the stack pointer through `save`, loads `to`
// and pops the same set from there. Everything else is caller-saved under the
// System V ABI, so the compiler has already spilled what it needs.
//
// A new context is made by ctx_make: its first switch "returns" into
// gort_ctx_entry, which calls fn(arg) on the new stack; fn must never return.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
// gort_swapctx saves the running context into *save and resumes `to`.
void gort_swapctx(void** save, void* to);
// gort_async_preempt_tramp is where a preempted goroutine's PC is redirected
// by the SIGURG handler (see sched/preempt.cc).
void gort_async_preempt_tramp();
}

namespace gort::arch {

// ctx_make prepares a context on the stack whose highest usable address is
// `stack_hi` so that switching to it calls fn(arg). Returns the context's
// stack pointer.
void* ctx_make(std::uintptr_t stack_hi, void (*fn)(void*), void* arg);

}  // namespace gort::arch
