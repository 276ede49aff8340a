// switch_amd64.S — goroutine context switch for x86-64 System V.
// See context.h for the frame layout. Saves only what the ABI says a callee
// must preserve: rbx, rbp, r12-r15, and the MXCSR / x87 control words.
#if defined(__x86_64__)
        .text

// void gort_swapctx(void** save /*rdi*/, void* to /*rsi*/)
        .globl  gort_swapctx
        .type   gort_swapctx, @function
        .p2align 4
gort_swapctx:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   gort_swapctx, .-gort_swapctx

// gort_ctx_entry: first "return" target of a new context. r12 = arg,
// r13 = fn. The stack is 16-byte aligned here, so the call below gives fn
// the alignment the ABI promises. fn never returns.
        .globl  gort_ctx_entry
        .type   gort_ctx_entry, @function
        .p2align 4
gort_ctx_entry:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        movq    %r12, %rdi
        callq   *%r13
        ud2
        .cfi_endproc
        .size   gort_ctx_entry, .-gort_ctx_entry

// gort_async_preempt_tramp: the SIGURG handler made the interrupted thread
// "call" this: it skipped the 128-byte red zone below the interrupted rsp and
// pushed the interrupted rip. We save every register the interrupted code may
// be using (all general-purpose registers, flags, and the full extended state
// with xsave), call gort_async_preempt() which yields the goroutine, and on
// return restore everything and resume exactly where the signal hit.
        .globl  gort_async_preempt_tramp
        .type   gort_async_preempt_tramp, @function
        .p2align 4
gort_async_preempt_tramp:
        .cfi_startproc
        .cfi_signal_frame
        pushfq
        .cfi_adjust_cfa_offset 8
        pushq   %rax
        .cfi_adjust_cfa_offset 8
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        pushq   %rcx
        .cfi_adjust_cfa_offset 8
        pushq   %rdx
        .cfi_adjust_cfa_offset 8
        pushq   %rsi
        .cfi_adjust_cfa_offset 8
        pushq   %rdi
        .cfi_adjust_cfa_offset 8
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        .cfi_offset rbp, -72
        pushq   %r8
        .cfi_adjust_cfa_offset 8
        pushq   %r9
        .cfi_adjust_cfa_offset 8
        pushq   %r10
        .cfi_adjust_cfa_offset 8
        pushq   %r11
        .cfi_adjust_cfa_offset 8
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        // rbx keeps the pre-alignment rsp across the call.
        movq    %rsp, %rbx
        .cfi_def_cfa_register rbx
        subq    gort_xsave_size(%rip), %rsp
        andq    $-64, %rsp
        // xsave needs its header zeroed (bytes 512..575).
        xorl    %eax, %eax
        movq    %rax, 512(%rsp)
        movq    %rax, 520(%rsp)
        movq    %rax, 528(%rsp)
        movq    %rax, 536(%rsp)
        movq    %rax, 544(%rsp)
        movq    %rax, 552(%rsp)
        movq    %rax, 560(%rsp)
        movq    %rax, 568(%rsp)
        cmpb    $0, gort_have_xsave(%rip)
        je      1f
        movl    $-1, %eax
        movl    $-1, %edx
        xsave64 (%rsp)
        jmp     2f
1:      fxsave64 (%rsp)
2:      cld
        callq   gort_async_preempt
        cmpb    $0, gort_have_xsave(%rip)
        je      3f
        movl    $-1, %eax
        movl    $-1, %edx
        xrstor64 (%rsp)
        jmp     4f
3:      fxrstor64 (%rsp)
4:      movq    %rbx, %rsp
        .cfi_def_cfa_register rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rbp
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rbx
        popq    %rax
        popfq
        // Pop the interrupted rip and give back the skipped red zone.
        ret     $128
        .cfi_endproc
        .size   gort_async_preempt_tramp, .-gort_async_preempt_tramp

        .section .note.GNU-stack,"",@progbits
#endif
