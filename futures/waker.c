/* SPDX-License-Identifier: MIT */
/* The noop waker and the atomic waker slot. */
#include "internal.h"

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
 * The protocol of futures-rs' AtomicWaker: `state` is WAITING when the slot
 * is idle, REGISTERING while the owner swaps the waker in, and has WAKING
 * set while a waker (any thread) takes it out. A wake that finds the slot
 * REGISTERING only sets WAKING; the registering thread sees it when it
 * tries to go back to WAITING and wakes the new waker itself, so no wake is
 * lost and the waker is never touched by two threads at once.
 */

enum { AW_WAITING = 0, AW_REGISTERING = 1, AW_WAKING = 2 };

void
fut_atomic_waker_init(struct fut_atomic_waker *aw)
{
    aw->waker.vtable = NULL;
    aw->waker.data = NULL;
    __atomic_store_n(&aw->state, AW_WAITING, __ATOMIC_RELEASE);
}

void
fut_atomic_waker_register(struct fut_atomic_waker *aw,
                          const struct fut_waker *w)
{
    unsigned int expected = AW_WAITING;

    if (__atomic_compare_exchange_n(&aw->state, &expected, AW_REGISTERING, 0,
                                    __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
        struct fut_waker old = { NULL, NULL };

        if (aw->waker.vtable == NULL || !fut_waker_will_wake(&aw->waker, w)) {
            old = aw->waker;
            aw->waker = fut_waker_clone(w);
        }
        expected = AW_REGISTERING;
        if (!__atomic_compare_exchange_n(&aw->state, &expected, AW_WAITING, 0,
                                         __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            /* A wake arrived while we were registering: it is ours to do. */
            struct fut_waker now = aw->waker;

            aw->waker.vtable = NULL;
            __atomic_store_n(&aw->state, AW_WAITING, __ATOMIC_RELEASE);
            if (now.vtable != NULL)
                fut_waker_wake(now);
        }
        fut_waker_drop(&old);
    } else if (expected & AW_WAKING) {
        /* Being woken right now: the caller must be polled again. */
        fut_waker_wake_by_ref(w);
    }
    /* Otherwise another thread is registering concurrently, which the
     * contract forbids; doing nothing is the safe reaction. */
}

void
fut_atomic_waker_wake(struct fut_atomic_waker *aw)
{
    unsigned int prev = __atomic_fetch_or(&aw->state, AW_WAKING,
                                          __ATOMIC_ACQ_REL);

    if (prev == AW_WAITING) {
        struct fut_waker w = aw->waker;

        aw->waker.vtable = NULL;
        __atomic_fetch_and(&aw->state, ~(unsigned int)AW_WAKING,
                           __ATOMIC_RELEASE);
        if (w.vtable != NULL)
            fut_waker_wake(w);
    }
}

void
fut_atomic_waker_drop(struct fut_atomic_waker *aw)
{
    fut_waker_drop(&aw->waker);
    __atomic_store_n(&aw->state, AW_WAITING, __ATOMIC_RELEASE);
}
