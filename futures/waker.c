/* SPDX-License-Identifier: MIT */
/* The noop waker and the atomic waker slot. */
#include "internal.h"

#include <sched.h>

/* ---- noop ------------------------------------------------------------------ */

static struct fut_waker noop_clone(const void *data);
static void
noop_fn(const void *data)
{
    FUT__UNUSED(data);
}

static const struct fut_waker_vtable noop_vtable = {
    .clone = noop_clone,
    .wake = noop_fn,
    .wake_by_ref = noop_fn,
    .drop = noop_fn,
};

static const struct fut_waker noop_waker = { &noop_vtable, NULL };

static struct fut_waker
noop_clone(const void *data)
{
    FUT__UNUSED(data);
    return noop_waker;
}

const struct fut_waker *
fut_waker_noop(void)
{
    return &noop_waker;
}

/* ---- atomic waker -------------------------------------------------------------
 *
 * The protocol of futures-rs' AtomicWaker, with two changes that make it
 * safe to free the slot as soon as the owner saw a wake:
 * - `state` has REGISTERING while the owner swaps the waker in, and
 *   WAKING while a waker (any thread) takes it out *and calls it*. A wake
 *   that finds the slot REGISTERING only sets WAKING; the registering
 *   thread sees it when it leaves and wakes the new waker itself, so no
 *   wake is lost and the waker is never touched by two threads at once.
 * - every wake also sets WOKEN, in the same atomic step as WAKING, and
 *   fut_atomic_waker_drop() waits while WAKING is set. An owner that
 *   learns of the wake from WOKEN (fut_atomic_waker_take_woken()) can
 *   therefore never free the slot while the waking thread still uses it:
 *   either it sees WAKING and drop waits, or the waking thread is done.
 *   A separate flag set before the wake cannot give that guarantee: the
 *   owner may see the flag, drop and free before the wake starts.
 */

enum { AW_REGISTERING = 1, AW_WAKING = 2, AW_WOKEN = 4 };

static void
aw_pause(unsigned int *spins)
{
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

void
fut_atomic_waker_init(struct fut_atomic_waker *aw)
{
    aw->waker.vtable = NULL;
    aw->waker.data = NULL;
    __atomic_store_n(&aw->state, 0, __ATOMIC_RELEASE);
}

void
fut_atomic_waker_register(struct fut_atomic_waker *aw,
                          const struct fut_waker *w)
{
    unsigned int prev = __atomic_load_n(&aw->state, __ATOMIC_ACQUIRE);
    struct fut_waker old = { NULL, NULL };

    for (;;) {
        if (prev & AW_REGISTERING)
            return; /* a concurrent register: the contract forbids it */
        if (prev & AW_WAKING) {
            /* Being woken right now: the caller must be polled again. */
            fut_waker_wake_by_ref(w);
            return;
        }
        if (__atomic_compare_exchange_n(&aw->state, &prev,
                                        prev | AW_REGISTERING, 1,
                                        __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
            break;
    }
    if (aw->waker.vtable == NULL || !fut_waker_will_wake(&aw->waker, w)) {
        old = aw->waker;
        aw->waker = fut_waker_clone(w);
    }
    prev = __atomic_fetch_and(&aw->state, ~(unsigned int)AW_REGISTERING,
                              __ATOMIC_ACQ_REL);
    if (prev & AW_WAKING) {
        /* A wake arrived while we were registering and left the waking
         * to us (it saw REGISTERING); WAKING is ours to clear. */
        struct fut_waker now = aw->waker;

        aw->waker.vtable = NULL;
        __atomic_fetch_and(&aw->state, ~(unsigned int)AW_WAKING,
                           __ATOMIC_RELEASE);
        if (now.vtable != NULL)
            fut_waker_wake(now);
    }
    fut_waker_drop(&old);
}

void
fut_atomic_waker_wake(struct fut_atomic_waker *aw)
{
    unsigned int prev = __atomic_fetch_or(&aw->state, AW_WAKING | AW_WOKEN,
                                          __ATOMIC_ACQ_REL);

    if ((prev & (AW_WAKING | AW_REGISTERING)) == 0) {
        struct fut_waker w = aw->waker;

        aw->waker.vtable = NULL;
        if (w.vtable != NULL)
            fut_waker_wake(w);
        /* The last touch of @aw: the owner's drop waits for it. */
        __atomic_fetch_and(&aw->state, ~(unsigned int)AW_WAKING,
                           __ATOMIC_RELEASE);
    }
    /* Otherwise: another wake is in progress (it will wake the waker),
     * or the owner is registering and will do the wake when it leaves.
     * Either way the fetch_or above was our last touch. */
}

int
fut_atomic_waker_take_woken(struct fut_atomic_waker *aw)
{
    return (__atomic_fetch_and(&aw->state, ~(unsigned int)AW_WOKEN,
                               __ATOMIC_ACQUIRE) & AW_WOKEN) != 0;
}

void
fut_atomic_waker_drop(struct fut_atomic_waker *aw)
{
    unsigned int spins = 0;

    while (__atomic_load_n(&aw->state, __ATOMIC_ACQUIRE) & AW_WAKING)
        aw_pause(&spins);
    fut_waker_drop(&aw->waker);
    __atomic_store_n(&aw->state, 0, __ATOMIC_RELEASE);
}
