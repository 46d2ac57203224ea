/* SPDX-License-Identifier: MIT */
/* The timer wheel, sleeps and intervals. */
#include "internal.h"

#include <string.h>
#include <time.h>

#define SLOT_BITS 6
#define SLOT_MASK ((uint64_t)FUT__WHEEL_SLOTS - 1)
/* The ticks one round of the top level covers (2^42 µs, about 51 days),
 * and the ticks one of its slots covers. */
#define SPAN ((uint64_t)1 << (FUT__WHEEL_LEVELS * SLOT_BITS))
#define TOP_SLOT ((uint64_t)1 << ((FUT__WHEEL_LEVELS - 1) * SLOT_BITS))

int64_t
fut_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * FUT_NSEC_PER_SEC + ts.tv_nsec;
}

/* ---- the wheel ------------------------------------------------------------ */

void
fut__wheel_init(struct fut__wheel *w, int64_t now_ns)
{
    memset(w, 0, sizeof *w);
    w->start_ns = now_ns;
}

/* The tick of a deadline, rounded up so that a timer never fires early. */
static uint64_t
tick_of(const struct fut__wheel *w, int64_t deadline_ns)
{
    int64_t rel = deadline_ns - w->start_ns;

    if (rel <= 0)
        return 0;
    return ((uint64_t)rel + (FUT_NSEC_PER_USEC - 1)) / FUT_NSEC_PER_USEC;
}

static unsigned int
level_for(uint64_t elapsed, uint64_t when)
{
    uint64_t masked = (elapsed ^ when) | SLOT_MASK;
    unsigned int level = (63u - (unsigned int)__builtin_clzll(masked)) /
                         SLOT_BITS;

    return level < FUT__WHEEL_LEVELS ? level : FUT__WHEEL_LEVELS - 1;
}

/*
 * The last tick the wheel can tell apart from `elapsed`: the end of the
 * top-level slot just before the current one, one round on. A tick in the
 * current top-level slot one round on (or later still) would sit in the
 * slot `elapsed` is in, where next_expiration() can only read it as that
 * slot's start, which has passed: the runtime would turn at once for
 * nothing and the wheel's time would move back to that start. So a
 * deadline past this tick waits at it, and is placed again when the
 * wheel reaches that slot, 62 to 63 top-level slots (49 to 50 days) from
 * now: one turn of the runtime per round of the wheel, never early, never
 * at once.
 */
static uint64_t
farthest_tick(const struct fut__wheel *w)
{
    return (w->elapsed & ~(TOP_SLOT - 1)) + SPAN - 1;
}

static void
wheel_insert(struct fut__wheel *w, struct fut_timer *t)
{
    uint64_t place = t->when;
    uint64_t farthest = farthest_tick(w);
    unsigned int level, slot;
    struct fut_timer **head;

    assert(place > w->elapsed);
    if (place > farthest)
        place = farthest;
    level = level_for(w->elapsed, place);
    slot = (unsigned int)((place >> (level * SLOT_BITS)) & SLOT_MASK);
    head = &w->slots[level][slot];
    t->slot = level * FUT__WHEEL_SLOTS + slot;
    t->prev = NULL;
    t->next = *head;
    if (*head != NULL)
        (*head)->prev = t;
    *head = t;
    w->occupied[level] |= (uint64_t)1 << slot;
}

static void
wheel_unlink(struct fut__wheel *w, struct fut_timer *t)
{
    unsigned int level = t->slot / FUT__WHEEL_SLOTS;
    unsigned int slot = t->slot % FUT__WHEEL_SLOTS;

    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        w->slots[level][slot] = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    if (w->slots[level][slot] == NULL)
        w->occupied[level] &= ~((uint64_t)1 << slot);
    t->prev = t->next = NULL;
}

struct expiration {
    unsigned int level, slot;
    uint64_t tick;
};

/*
 * The earliest non-empty slot. Every timer on level k differs from
 * `elapsed` in digit k and agrees above it, so all of level k lies before
 * all of level k + 1: the first occupied level holds the answer. Its slots
 * after the current digit come first (the rotation). On the top level, a
 * slot before the current digit is in the next round (a timer's tick may
 * differ from `elapsed` above the top digit); the current digit itself is
 * never occupied there, which farthest_tick() sees to, so every answer
 * lies after `elapsed`.
 */
static int
next_expiration(const struct fut__wheel *w, struct expiration *exp)
{
    unsigned int level;

    for (level = 0; level < FUT__WHEEL_LEVELS; level++) {
        uint64_t occ = w->occupied[level];
        unsigned int shift = level * SLOT_BITS;
        unsigned int now_slot, slot;
        uint64_t rotated, level_range, tick;

        if (occ == 0)
            continue;
        now_slot = (unsigned int)((w->elapsed >> shift) & SLOT_MASK);
        rotated = now_slot == 0 ? occ
                                : (occ >> now_slot) | (occ << (64 - now_slot));
        slot = (now_slot + (unsigned int)__builtin_ctzll(rotated)) & SLOT_MASK;
        level_range = (uint64_t)1 << (shift + SLOT_BITS);
        tick = (w->elapsed & ~(level_range - 1)) + ((uint64_t)slot << shift);
        if (slot < now_slot)
            tick += level_range;
        exp->level = level;
        exp->slot = slot;
        exp->tick = tick;
        return 1;
    }
    return 0;
}

int64_t
fut__wheel_next_deadline(const struct fut__wheel *w)
{
    struct expiration exp;

    if (w->count == 0 || !next_expiration(w, &exp))
        return -1;
    /* A deadline at INT64_MAX, rounded up to its tick, may not fit. */
    if (exp.tick > (uint64_t)(INT64_MAX - w->start_ns) / FUT_NSEC_PER_USEC)
        return INT64_MAX;
    return w->start_ns + (int64_t)(exp.tick * FUT_NSEC_PER_USEC);
}

static void
timer_fire(struct fut__wheel *w, struct fut_timer *t)
{
    struct fut_waker waker = t->waker;

    t->rt = NULL;
    t->fired = 1;
    t->waker.vtable = NULL;
    w->count--;
    if (waker.vtable != NULL)
        fut_waker_wake(waker);
}

void
fut__wheel_advance(struct fut__wheel *w, int64_t now_ns)
{
    uint64_t now = now_ns <= w->start_ns
                       ? 0
                       : (uint64_t)(now_ns - w->start_ns) / FUT_NSEC_PER_USEC;
    struct expiration exp;

    while (w->count > 0 && next_expiration(w, &exp) && exp.tick <= now) {
        struct fut_timer *t = w->slots[exp.level][exp.slot];

        /* The wheel's time only moves on. */
        assert(exp.tick > w->elapsed);
        w->slots[exp.level][exp.slot] = NULL;
        w->occupied[exp.level] &= ~((uint64_t)1 << exp.slot);
        w->elapsed = exp.tick;
        while (t != NULL) {
            struct fut_timer *next = t->next;

            t->prev = t->next = NULL;
            if (t->when <= w->elapsed)
                timer_fire(w, t);
            else
                wheel_insert(w, t); /* cascade to a finer level */
            t = next;
        }
    }
    if (now > w->elapsed)
        w->elapsed = now;
}

void
fut__wheel_fini(struct fut__wheel *w)
{
    unsigned int level, slot;

    for (level = 0; level < FUT__WHEEL_LEVELS; level++) {
        for (slot = 0; slot < FUT__WHEEL_SLOTS; slot++) {
            struct fut_timer *t = w->slots[level][slot];

            while (t != NULL) {
                struct fut_timer *next = t->next;

                t->prev = t->next = NULL;
                t->rt = NULL;
                fut_waker_drop(&t->waker);
                t = next;
            }
            w->slots[level][slot] = NULL;
        }
        w->occupied[level] = 0;
    }
    w->count = 0;
}

/*
 * How close to the wheel's time a deadline must be for the arm path to read
 * the clock. See deadline_passed().
 */
#define CLOCK_WINDOW_NS (10 * FUT_NSEC_PER_MSEC)

/*
 * Has @deadline_ns passed? The wheel's time (start_ns + elapsed µs) is the
 * clock as of the runtime's latest look at it, never later than the real
 * clock, so a deadline at or before it has certainly passed, and one more
 * than CLOCK_WINDOW_NS after it passes only if the runtime has not looked
 * at the clock for that long (a task that hogs its thread, or a runtime
 * polled by hand while idle). Only the deadlines in the window between
 * cost a clock read (23 ns on a VM, two thirds of a whole arm). A deadline
 * judged not passed is armed and fires at the next advance, which reads
 * the clock: late by at most one turn, never early.
 *
 * An empty wheel is not advanced by the runtime, so its time may be
 * arbitrarily old: read the clock and catch up first, which also lets the
 * timer land on a fine level instead of cascading from a coarse one (no
 * timer can fire: there are none).
 */
static int
deadline_passed(struct fut__wheel *w, int64_t deadline_ns)
{
    int64_t seen;
    int looked = 0;

    if (w->count == 0) {
        int64_t now = fut_now_ns();

        fut__wheel_advance(w, now);
        if (deadline_ns <= now)
            return 1;
        looked = 1;
    }
    /* (Checked after a look too: a test that drives the wheel by hand can
     * put its time ahead of the clock.) */
    seen = w->start_ns + (int64_t)(w->elapsed * FUT_NSEC_PER_USEC);
    if (deadline_ns <= seen)
        return 1;
    if (looked || deadline_ns - seen > CLOCK_WINDOW_NS)
        return 0;
    return deadline_ns <= fut_now_ns();
}

int
fut__timer_arm(struct fut_runtime *rt, struct fut_timer *t,
               int64_t deadline_ns, const struct fut_waker *waker)
{
    struct fut__wheel *w = fut__runtime_wheel(rt);
    uint64_t when;

    if (deadline_passed(w, deadline_ns)) {
        fut__timer_cancel(t);
        t->fired = 0;
        return 1;
    }
    /* Past the wheel's time, so past `elapsed`: a tick the wheel has not
     * reached yet. */
    when = tick_of(w, deadline_ns);
    if (t->rt != NULL) {
        if (t->rt == rt && t->when == when) {
            fut_waker_set(&t->waker, waker);
            return 0;
        }
        fut__timer_cancel(t);
    }
    t->fired = 0;
    t->when = when;
    t->rt = rt;
    t->waker.vtable = NULL;
    fut_waker_set(&t->waker, waker);
    wheel_insert(w, t);
    w->count++;
    return 0;
}

void
fut__timer_cancel(struct fut_timer *t)
{
    struct fut__wheel *w;

    if (t->rt == NULL)
        return;
    w = fut__runtime_wheel(t->rt);
    wheel_unlink(w, t);
    w->count--;
    t->rt = NULL;
    fut_waker_drop(&t->waker);
}

/* ---- sleep ------------------------------------------------------------------ */

static enum fut_poll
sleep_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_sleep *s = (struct fut_sleep *)f;

    if (s->timer.fired || s->res != 0)
        return FUT_READY;
    if (FUT__UNLIKELY(cx->rt == NULL)) {
        /* No wheel to ask: only the clock can tell. */
        if (fut_now_ns() >= s->deadline_ns) {
            fut__timer_cancel(&s->timer);
            s->timer.fired = 1;
        } else {
            s->res = -EINVAL;
        }
        return FUT_READY;
    }
    /* Due already (the arm says so without reading the clock when it
     * can), or armed. */
    if (fut__timer_arm(cx->rt, &s->timer, s->deadline_ns, cx->waker)) {
        s->timer.fired = 1;
        return FUT_READY;
    }
    return FUT_PENDING;
}

static void
sleep_drop(struct fut_future *f)
{
    struct fut_sleep *s = (struct fut_sleep *)f;

    fut__timer_cancel(&s->timer);
}

static int
sleep_result(const struct fut_future *f)
{
    return ((const struct fut_sleep *)f)->res;
}

static const struct fut_future_vtable sleep_vtable = {
    .poll = sleep_poll,
    .drop = sleep_drop,
    .result = sleep_result,
};

int
fut_sleep_until_init(struct fut_sleep *s, int64_t deadline_ns)
{
    if (s == NULL)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    s->base.vtable = &sleep_vtable;
    s->deadline_ns = deadline_ns;
    return 0;
}

int
fut_sleep_init(struct fut_sleep *s, int64_t duration_ns)
{
    if (s == NULL || duration_ns < 0)
        return -EINVAL;
    return fut_sleep_until_init(s, fut__deadline_after(duration_ns));
}

int64_t
fut__deadline_after(int64_t timeout_ns)
{
    int64_t now;

    if (timeout_ns < 0)
        return -1;
    now = fut_now_ns();
    return timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
}

int
fut_sleep_reset(struct fut_sleep *s, int64_t deadline_ns)
{
    struct fut_runtime *rt;

    if (s == NULL || s->base.vtable != &sleep_vtable)
        return -EINVAL;
    s->deadline_ns = deadline_ns;
    s->res = 0;
    s->timer.fired = 0;
    rt = s->timer.rt;
    if (rt != NULL) {
        /* Armed: move the timer, keeping the waker of whoever waits. */
        struct fut_waker w = s->timer.waker;

        s->timer.waker.vtable = NULL;
        fut__timer_cancel(&s->timer);
        if (fut__timer_arm(rt, &s->timer, deadline_ns, &w))
            fut_waker_wake_by_ref(&w);
        fut_waker_drop(&w);
    }
    return 0;
}

/* ---- interval ---------------------------------------------------------------- */

/*
 * @t + @d for a @d >= 0, saturated at INT64_MAX as fut_sleep_init() does:
 * a tick that does not fit is in the far future, never a wrapped-round
 * time in the past (which would fire at once, and come out of the Stream
 * as a negative tick, that is as an error code).
 */
static int64_t
add_sat(int64_t t, int64_t d)
{
    return t > INT64_MAX - d ? INT64_MAX : t + d;
}

/*
 * The first tick of the SKIP policy after @now: @next plus the whole
 * periods that fit up to @now, plus one. @next <= @now.
 */
static int64_t
skip_past(int64_t next, int64_t now, int64_t period)
{
    int64_t steps = (now - next) / period + 1;

    if (steps > (INT64_MAX - next) / period)
        return INT64_MAX;
    return next + steps * period;
}

enum fut_poll
fut_interval_poll_tick(struct fut_interval *iv, struct fut_context *cx,
                       int64_t *tick_ns)
{
    int64_t now, tick;

    if (tick_ns == NULL)
        return FUT_READY;
    if (iv == NULL || cx == NULL || iv->period_ns <= 0) {
        *tick_ns = -EINVAL;
        return FUT_READY;
    }
    if (fut_future_poll(&iv->sleep.base, cx) == FUT_PENDING) {
        /* The sleep (re)armed its timer with cx->waker: a registration of
         * its own, told apart by this number (struct fut_reg). */
        iv->reg_id = fut_reg_next(iv->reg_id);
        return FUT_PENDING;
    }
    if (iv->sleep.res != 0) {
        *tick_ns = iv->sleep.res;
        return FUT_READY;
    }
    tick = iv->next_ns;
    switch (iv->missed) {
    case FUT_MISSED_DELAY:
        now = fut_now_ns();
        iv->next_ns = add_sat(now > tick ? now : tick, iv->period_ns);
        break;
    case FUT_MISSED_SKIP:
        now = fut_now_ns();
        iv->next_ns = add_sat(tick, iv->period_ns);
        if (iv->next_ns <= now)
            iv->next_ns = skip_past(iv->next_ns, now, iv->period_ns);
        break;
    default:
        iv->next_ns = add_sat(tick, iv->period_ns);
        break;
    }
    fut_sleep_reset(&iv->sleep, iv->next_ns);
    *tick_ns = tick;
    return FUT_READY;
}

static enum fut_poll
interval_poll_next(struct fut_stream *st, struct fut_context *cx, void *item,
                   int *res)
{
    struct fut_interval *iv = FUT_CONTAINER_OF(st, struct fut_interval,
                                               stream);
    int64_t tick;

    if (fut_interval_poll_tick(iv, cx, &tick) == FUT_PENDING)
        return FUT_PENDING;
    if (tick < 0) {
        *res = (int)tick;
        return FUT_READY;
    }
    memcpy(item, &tick, sizeof tick);
    *res = 1;
    return FUT_READY;
}

/*
 * The waker of a pending poll_next is the one armed on the interval's
 * sleep timer. Disarming the timer drops it; the next poll arms it again
 * for the same deadline, so no tick is lost.
 */
static void
interval_forget_next(struct fut_stream *st, const struct fut_waker *w)
{
    struct fut_interval *iv = FUT_CONTAINER_OF(st, struct fut_interval,
                                               stream);
    struct fut_timer *t = &iv->sleep.timer;

    if (t->rt != NULL && t->waker.vtable != NULL &&
        fut_waker_will_wake(&t->waker, w))
        fut__timer_cancel(t);
}

static void
interval_note_next(struct fut_stream *st, struct fut_reg *reg)
{
    struct fut_interval *iv = FUT_CONTAINER_OF(st, struct fut_interval,
                                               stream);
    struct fut_timer *t = &iv->sleep.timer;

    reg->id = t->rt != NULL && t->waker.vtable != NULL ? iv->reg_id : 0;
}

/* Only the registration @reg names: a newer poll of the same task re-armed
 * the timer with an equal waker, and must still be woken. */
static void
interval_forget_next_reg(struct fut_stream *st, const struct fut_reg *reg)
{
    struct fut_interval *iv = FUT_CONTAINER_OF(st, struct fut_interval,
                                               stream);
    struct fut_timer *t = &iv->sleep.timer;

    if (t->rt != NULL && t->waker.vtable != NULL && iv->reg_id == reg->id &&
        fut_waker_will_wake(&t->waker, &reg->waker))
        fut__timer_cancel(t);
}

static const struct fut_stream_vtable interval_stream_vtable = {
    .version = 3,
    .poll_next = interval_poll_next,
    .forget_next = interval_forget_next,
    .note_next = interval_note_next,
    .forget_next_reg = interval_forget_next_reg,
};

int
fut_interval_init(struct fut_interval *iv, int64_t period_ns, int missed)
{
    if (iv == NULL || period_ns <= 0 || missed < FUT_MISSED_BURST ||
        missed > FUT_MISSED_SKIP)
        return -EINVAL;
    iv->stream.vtable = &interval_stream_vtable;
    iv->period_ns = period_ns;
    iv->missed = missed;
    iv->reg_id = 0;
    iv->next_ns = add_sat(fut_now_ns(), period_ns);
    return fut_sleep_until_init(&iv->sleep, iv->next_ns);
}

void
fut_interval_drop(struct fut_interval *iv)
{
    if (iv != NULL)
        fut_future_drop(&iv->sleep.base);
}
