/* SPDX-License-Identifier: MIT */
/* Wakers: how a pending future asks to be polled again. */
#ifndef FUTURES_WAKER_H
#define FUTURES_WAKER_H

#include "common.h"

FUT__BEGIN_DECLS

struct fut_waker;

/**
 * struct fut_waker_vtable - how a waker is cloned, woken and dropped.
 *
 * Implementation: every slot is required. @clone returns a new waker that
 * wakes the same thing; @wake wakes and releases the waker (it consumes
 * @data's reference); @wake_by_ref wakes without releasing; @drop releases
 * without waking. Waking must be cheap when the target is already scheduled,
 * and every slot must be callable from any thread unless the waker's creator
 * documents otherwise. None of them may block for long or call back into the
 * future that registered the waker.
 */
struct fut_waker_vtable {
    struct fut_waker (*clone)(const void *data);
    void (*wake)(const void *data);
    void (*wake_by_ref)(const void *data);
    void (*drop)(const void *data);
};

/**
 * struct fut_waker - a handle that makes a task (or other poller) poll again.
 *
 * A waker passed by value is moved: the receiver owns it and must wake or
 * drop it exactly once. A waker passed as `const struct fut_waker *` is
 * borrowed: the receiver clones it if it needs to keep it. A waker whose
 * @vtable is NULL is empty ("no waker"); the slot helpers below treat it so.
 */
struct fut_waker {
    const struct fut_waker_vtable *vtable;
    const void *data;
};

/** fut_waker_clone - a new owned waker for the same target. Any thread. */
static inline struct fut_waker
fut_waker_clone(const struct fut_waker *w)
{
    return w->vtable->clone(w->data);
}

/** fut_waker_wake - wake the target and release @w (moved in). Any thread. */
static inline void
fut_waker_wake(struct fut_waker w)
{
    w.vtable->wake(w.data);
}

/** fut_waker_wake_by_ref - wake the target; @w stays owned by the caller. */
static inline void
fut_waker_wake_by_ref(const struct fut_waker *w)
{
    w->vtable->wake_by_ref(w->data);
}

/**
 * fut_waker_drop - release an owned waker without waking it.
 *
 * @w is left empty (vtable NULL); dropping an empty waker does nothing.
 */
static inline void
fut_waker_drop(struct fut_waker *w)
{
    if (w->vtable != NULL) {
        const struct fut_waker_vtable *vt = w->vtable;
        w->vtable = NULL;
        vt->drop(w->data);
    }
}

/** fut_waker_will_wake - 1 if @a and @b certainly wake the same target. */
static inline int
fut_waker_will_wake(const struct fut_waker *a, const struct fut_waker *b)
{
    return a->vtable == b->vtable && a->data == b->data;
}

/**
 * struct fut_reg - which waker registration a PENDING poll left in an
 * object (a stream's readiness slot, a pipe, a channel, an interval).
 *
 * A future that polls such an object keeps one. Right after a PENDING poll
 * it fills it with the object's note function (fut_io_note(),
 * fut_async_read_note(), fut_async_write_note(), fut_stream_note()), and
 * presents it to the matching forget function when it is dropped or
 * finishes. The object then withdraws the waker only if the registration
 * that poll made is still the one it holds: a waker that will_wake the
 * same target is not enough, since a newer poller of the same task (a
 * second read of the same stream, say) stores an equal one, and the drop
 * of a stale future must leave that live registration alone.
 * @waker: a plain copy of cx->waker (not a clone, not owned; only
 *   compared). Empty ({NULL, NULL}): nothing to withdraw.
 * @id: the number the object gave the registration, never 0; 0 when that
 *   poll left no waker in the object (it woke the task itself, for its
 *   coop budget) or when the object numbers none (a trait table older
 *   than version 3, which is then matched on @waker alone).
 * Plain data, owned by the future, freely copied; zero it to initialise.
 */
struct fut_reg {
    struct fut_waker waker;
    uint32_t id;
};

/** fut_reg_clear - forget what @reg recorded (it is left zeroed). */
static inline void
fut_reg_clear(struct fut_reg *reg)
{
    reg->waker.vtable = NULL;
    reg->waker.data = NULL;
    reg->id = 0;
}

/**
 * fut_reg_next - the number for a new registration after @last: @last + 1,
 * skipping 0 when the counter wraps (0 means "none"). For object writers.
 */
static inline uint32_t
fut_reg_next(uint32_t last)
{
    return last + 1 != 0 ? last + 1 : 1;
}

/** fut_waker_is_set - 1 unless @w is empty. */
static inline int
fut_waker_is_set(const struct fut_waker *w)
{
    return w->vtable != NULL;
}

/**
 * fut_waker_set - store a clone of @w in @slot, the common "register the
 * current waker" step of a poll function.
 *
 * If @slot already holds a waker that will wake the same target, nothing is
 * cloned or dropped (the cheap path when a future is polled repeatedly by
 * the same task); otherwise the old waker is dropped and @w is cloned in.
 * @slot must be empty or owned; @w is borrowed. Not thread-safe: for a slot
 * that another thread wakes, use struct fut_atomic_waker.
 */
static inline void
fut_waker_set(struct fut_waker *slot, const struct fut_waker *w)
{
    if (slot->vtable != NULL && fut_waker_will_wake(slot, w))
        return;
    fut_waker_drop(slot);
    *slot = fut_waker_clone(w);
}

/**
 * fut_waker_take_wake - if @slot holds a waker, empty it and wake it.
 */
static inline void
fut_waker_take_wake(struct fut_waker *slot)
{
    if (slot->vtable != NULL) {
        struct fut_waker w = *slot;
        slot->vtable = NULL;
        fut_waker_wake(w);
    }
}

/**
 * fut_waker_noop - a waker that does nothing (clone, wake and drop are all
 * no-ops). Useful to poll a future by hand in tests or to check readiness
 * without arranging a wake-up. The returned pointer is static; any thread.
 */
FUT_API const struct fut_waker *fut_waker_noop(void);

/**
 * struct fut_atomic_waker - a waker slot that one thread registers into
 * while any thread may wake it (futures-rs AtomicWaker), safe to free as
 * soon as the owner has seen the wake.
 *
 * Initialise with fut_atomic_waker_init(). The owner (the one polling)
 * calls fut_atomic_waker_register() and then checks whether it was woken;
 * the other thread publishes what it has to say (writes a result, sets a
 * state), then calls fut_atomic_waker_wake(), and touches the object no
 * more. No wake-up is lost: a wake that races with a register makes the
 * register wake the new waker at once.
 *
 * The pattern that is safe across threads, even when the owner frees the
 * object right after it sees the wake (a leaf future inside a select that
 * another thread completes):
 *
 *     poll (owner):   fut_atomic_waker_register(&x->aw, cx->waker);
 *                     if (!fut_atomic_waker_take_woken(&x->aw))
 *                         return FUT_PENDING;
 *                     read what the other thread published; READY
 *     other thread:   publish; fut_atomic_waker_wake(&x->aw);  (last touch)
 *     drop (owner):   fut_atomic_waker_drop(&x->aw);  (waits for a wake
 *                     in progress)
 *
 * Learn of the wake through fut_atomic_waker_take_woken(), not through a
 * flag of your own set before the wake: the owner could see that flag,
 * drop and free the object before the other thread's wake starts.
 * Fields are private.
 */
struct fut_atomic_waker {
    struct fut_waker waker;
    unsigned int state;
};

/** fut_atomic_waker_init - an empty slot, not woken. Cannot fail. */
FUT_API void fut_atomic_waker_init(struct fut_atomic_waker *aw);

/**
 * fut_atomic_waker_register - store a clone of @w (borrowed).
 *
 * Only one thread at a time may register (the one polling the owner). If a
 * wake is in progress, @w is woken at once instead of stored.
 */
FUT_API void fut_atomic_waker_register(struct fut_atomic_waker *aw,
                                       const struct fut_waker *w);

/**
 * fut_atomic_waker_wake - mark the slot woken, take the stored waker, if
 * any, and wake it. Any thread. Its last access to @aw happens before
 * fut_atomic_waker_drop() on the owner's thread can return.
 */
FUT_API void fut_atomic_waker_wake(struct fut_atomic_waker *aw);

/**
 * fut_atomic_waker_take_woken - 1 if fut_atomic_waker_wake() was called
 * since init or the last call that returned 1 (and clear the mark), else
 * 0. Owner's thread. What the waking thread published before its wake is
 * visible once this returned 1.
 */
FUT_API int fut_atomic_waker_take_woken(struct fut_atomic_waker *aw);

/**
 * fut_atomic_waker_drop - release the stored waker without waking it, and
 * clear the woken mark.
 *
 * Owner's thread. If a wake is in progress on another thread, waits for it
 * to finish (it is short: taking the waker and calling it), so the storage
 * of @aw may be freed when this returns. A wake that *starts* after that
 * touches freed memory: the object's own protocol must rule it out (the
 * waking thread's last access is its wake).
 */
FUT_API void fut_atomic_waker_drop(struct fut_atomic_waker *aw);

FUT__END_DECLS

#endif /* FUTURES_WAKER_H */
