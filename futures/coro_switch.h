/* SPDX-License-Identifier: MIT */
/* Which stack switch coroutines use; included by coro.c and the assembly files. */
#ifndef FUTURES_CORO_SWITCH_H
#define FUTURES_CORO_SWITCH_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

/*
 * Exactly one of these ends up defined:
 *   FUT__CORO_X86_64   futures/coro_switch_x86_64.S (System V x86-64)
 *   FUT__CORO_AARCH64  futures/coro_switch_aarch64.S (AAPCS64)
 *   FUT__CORO_UCONTEXT getcontext/makecontext/swapcontext, any other
 *                      architecture, or where configure was given
 *                      --with-coro-switch=ucontext (FUT_CORO_UCONTEXT),
 *                      so the fallback can be tested on any machine.
 * x32 (__ILP32__ on x86-64) takes the fallback: the assembly stores
 * 64-bit stack pointers.
 */
#if defined(FUT_CORO_UCONTEXT)
#define FUT__CORO_UCONTEXT 1
#elif defined(__x86_64__) && !defined(__ILP32__)
#define FUT__CORO_X86_64 1
#elif defined(__aarch64__) && !defined(__ILP32__)
#define FUT__CORO_AARCH64 1
#else
#define FUT__CORO_UCONTEXT 1
#endif

#endif /* FUTURES_CORO_SWITCH_H */
