/* SPDX-License-Identifier: MIT */
/* The coroutine stack switch for x86-64 (System V ABI). */
#include "coro_switch.h"

#ifdef FUT__CORO_X86_64

/*
 * void fut__coro_switch(void **save_sp, void *new_sp);
 *
 * Saves what the System V ABI makes callee-saved on the current stack
 * (rbx, rbp, r12-r15, the MXCSR control bits and the x87 control word;
 * every other register is caller-saved, so the C caller has already
 * spilled what it needs), stores the stack pointer in *save_sp, loads
 * new_sp and restores the same set from there. A new coroutine's stack
 * is prepared by coro.c to look exactly like one saved here, with
 * fut__coro_start as the return address, r12 the argument and r13 the
 * function it calls.
 *
 * Frame below the return address (growing down): rbp, rbx, r12, r13,
 * r14, r15, then 8 bytes holding MXCSR (low 4) and the x87 control word.
 * coro.c's ctx_make() writes the same layout.
 *
 * It leaves through pop + indirect jmp rather than ret: after the stack
 * switch a ret always goes somewhere other than the return-stack buffer
 * predicts (the call was made on the other stack), while the indirect
 * branch predictor learns the two targets of this one jmp. That took a
 * resume+suspend round trip from ~63 to ~40 ns on the test machine
 * (bench/micro). The MXCSR/x87 control word save costs ~4 ns of it;
 * the ABI makes them callee-saved, so a coroutine that changes the
 * rounding mode does not change its poller's. (The jmp needs no
 * endbr64 at its targets: this object carries no CET property note, so
 * a program linked with it does not run with indirect-branch tracking
 * or shadow stacks, which a stack switch would break anyway.)
 */
        .text
        .globl  fut__coro_switch
        .hidden fut__coro_switch
        .type   fut__coro_switch, @function
        .p2align 4
fut__coro_switch:
        .cfi_startproc
#ifdef __CET__
        endbr64
#endif
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
        popq    %rcx
        jmpq    *%rcx
        .cfi_endproc
        .size   fut__coro_switch, .-fut__coro_switch

/*
 * The first instruction a coroutine runs, "returned to" by the first
 * fut__coro_switch into its stack: call r13(r12). The stack pointer is
 * 16-byte aligned here, so the callee sees the ABI's alignment. The
 * function never returns (it switches away for the last time), hence the
 * ud2. The CFI marks the end of the call chain for debuggers and
 * unwinders.
 */
        .globl  fut__coro_start
        .hidden fut__coro_start
        .type   fut__coro_start, @function
        .p2align 4
fut__coro_start:
        .cfi_startproc
        .cfi_undefined rip
#ifdef __CET__
        endbr64
#endif
        movq    %r12, %rdi
        callq   *%r13
        ud2
        .cfi_endproc
        .size   fut__coro_start, .-fut__coro_start

#endif /* FUT__CORO_X86_64 */

#if defined(__linux__) && defined(__ELF__)
        .section .note.GNU-stack, "", @progbits
#endif
