/* SPDX-License-Identifier: MIT */
/* The coroutine stack switch for AArch64 (AAPCS64). */
#include "coro_switch.h"

#ifdef FUT__CORO_AARCH64

/*
 * void fut__coro_switch(void **save_sp, void *new_sp);
 *
 * Saves what AAPCS64 makes callee-saved (x19-x28, the frame pointer x29,
 * the link register x30 as the resume address, and the low 64 bits of
 * v8-v15, i.e. d8-d15) plus FPCR in a 176-byte frame on the current
 * stack, stores sp in *save_sp, loads new_sp and restores the same set
 * from there, then returns through x30. A new coroutine's stack is
 * prepared by coro.c to look like one saved here, with x30 =
 * fut__coro_start, x19 the argument and x20 the function it calls.
 *
 * Frame layout (offsets from sp): 0 x19 x20, 16 x21 x22, 32 x23 x24,
 * 48 x25 x26, 64 x27 x28, 80 x29 x30, 96 d8 d9, 112 d10 d11,
 * 128 d12 d13, 144 d14 d15, 160 FPCR, 168 unused.
 */
        .text
        .globl  fut__coro_switch
        .hidden fut__coro_switch
        .type   fut__coro_switch, %function
        .p2align 4
fut__coro_switch:
        .cfi_startproc
        hint    #34                     /* bti c: a no-op without BTI */
        sub     sp, sp, #176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        mov     x9, sp
        str     x9, [x0]
        mov     sp, x1
        ldr     x9, [sp, #160]
        msr     fpcr, x9
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #176
        ret
        .cfi_endproc
        .size   fut__coro_switch, .-fut__coro_switch

/*
 * The first instruction a coroutine runs: call x20(x19). It never
 * returns (the function switches away for the last time), hence the brk.
 * The CFI marks the end of the call chain for debuggers and unwinders.
 */
        .globl  fut__coro_start
        .hidden fut__coro_start
        .type   fut__coro_start, %function
        .p2align 4
fut__coro_start:
        .cfi_startproc
        .cfi_undefined x30
        hint    #34
        mov     x29, #0
        mov     x0, x19
        blr     x20
        brk     #0
        .cfi_endproc
        .size   fut__coro_start, .-fut__coro_start

#endif /* FUT__CORO_AARCH64 */

#if defined(__linux__) && defined(__ELF__)
        .section .note.GNU-stack, "", %progbits
#endif
