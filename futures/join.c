/* SPDX-License-Identifier: MIT */
/* join_all and select_all: sets of children that poll only the woken ones. */
#include "internal.h"

#include <sched.h>

/*
 * Every child is polled with a waker of its own whose data is the child's
 * struct fut_child. Waking it pushes that slot on a lock-free stack in the
 * set (at most once until the slot is polled again, thanks to its `woken`
 * flag) and wakes the parent through an atomic waker slot. A poll of the
 * parent takes the whole stack at once and polls only those children, so a
 * wake costs O(1) and a poll O(woken), never O(n) (futures-rs#1603).
 *
 * Child wakers may be woken from any thread, and the set lives inside its
 * parent future, which its owner may free as soon as the parent is READY
 * or dropped. So every clone of a child waker is counted in the set's
 * `wakers`, and a wake that consumes its clone gives it back as its very
 * last access to the set. Before the parent reports READY (every child
 * dropped) or finishes its drop, it waits until `wakers` is zero: a child
 * drops the clones it stored when it is dropped (the future contract), so
 * what is left is a wake in progress on another thread, which is short.
 * The borrowed waker a child is polled with is not counted: it is only
 * used on the polling thread, during the poll.
 */

/* ---- child wakers ------------------------------------------------------- */

static struct fut_waker child_clone(const void *data);

static void
child_wake_by_ref(const void *data)
{
    struct fut_child *c = (struct fut_child *)data;
    struct fut_child_set *set = c->set;
    struct fut_child *head;

    /* Already queued (or about to be polled): one entry is enough, and
     * whoever queued it has woken the parent. */
    if (__atomic_exchange_n(&c->woken, 1u, __ATOMIC_ACQ_REL) != 0)
        return;
    head = __atomic_load_n(&set->woken_head, __ATOMIC_RELAXED);
    do {
        c->next_woken = head;
    } while (!__atomic_compare_exchange_n(&set->woken_head, &head, c, 1,
                                          __ATOMIC_RELEASE,
                                          __ATOMIC_RELAXED));
    fut_atomic_waker_wake(&set->parent);
}

static void
child_drop(const void *data)
{
    struct fut_child *c = (struct fut_child *)data;

    __atomic_fetch_sub(&c->set->wakers, 1u, __ATOMIC_RELEASE);
}

static void
child_wake(const void *data)
{
    child_wake_by_ref(data);
    child_drop(data);
}

static const struct fut_waker_vtable child_waker_vtable = {
    .clone = child_clone,
    .wake = child_wake,
    .wake_by_ref = child_wake_by_ref,
    .drop = child_drop,
};

static struct fut_waker
child_clone(const void *data)
{
    struct fut_child *c = (struct fut_child *)data;
    struct fut_waker w = { &child_waker_vtable, data };

    __atomic_fetch_add(&c->set->wakers, 1u, __ATOMIC_RELAXED);
    return w;
}

/* Wait until no child waker refers to the set any more (see above). */
static void
set_quiesce(struct fut_child_set *set)
{
    unsigned int spins = 0;

    while (__atomic_load_n(&set->wakers, __ATOMIC_ACQUIRE) != 0) {
        if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            sched_yield();
        }
    }
    fut_atomic_waker_drop(&set->parent);
}

/* ---- the set ------------------------------------------------------------ */

static int
set_init(struct fut_child_set *set, struct fut_future *const *children,
         struct fut_child *slots, size_t n)
{
    size_t i;

    if (children == NULL || slots == NULL || n == 0)
        return -EINVAL;
    for (i = 0; i < n; i++)
        if (children[i] == NULL)
            return -EINVAL;
    for (i = 0; i < n; i++) {
        slots[i].future = children[i];
        slots[i].set = set;
        slots[i].next_woken = NULL;
        slots[i].woken = 0;
        slots[i].done = 0;
        slots[i].result = 0;
    }
    set->children = slots;
    set->n = n;
    set->remaining = n;
    set->woken_head = NULL;
    fut_atomic_waker_init(&set->parent);
    set->wakers = 0;
    set->started = 0;
    return 0;
}

/*
 * Poll one child with its own waker. On READY the child's result is
 * recorded and the child dropped (its output fields stay readable).
 * Returns 1 when the child finished.
 */
static int
poll_child(struct fut_child *c, struct fut_context *cx, int *first_error)
{
    struct fut_waker w = { &child_waker_vtable, c };
    struct fut_context ccx;

    fut_context_init(&ccx, &w, cx->rt);
    if (fut_future_poll(c->future, &ccx) == FUT_PENDING)
        return 0;
    c->result = fut_future_result(c->future);
    fut_future_drop(c->future);
    c->done = 1;
    c->set->remaining--;
    if (first_error != NULL && *first_error == 0 && c->result < 0)
        *first_error = c->result;
    return 1;
}

/* Merge two lists sorted by slot address (which is index order). */
static struct fut_child *
merge(struct fut_child *a, struct fut_child *b)
{
    struct fut_child *head = NULL;
    struct fut_child **tail = &head;

    while (a != NULL && b != NULL) {
        if (a < b) {
            *tail = a;
            a = a->next_woken;
        } else {
            *tail = b;
            b = b->next_woken;
        }
        tail = &(*tail)->next_woken;
    }
    *tail = a != NULL ? a : b;
    return head;
}

/*
 * Sort the taken stack into index order (bottom-up merge sort: O(k log k)
 * for k woken children, no allocation), so children are polled in the same
 * order as in the first round and select's "lowest index wins" holds.
 */
static struct fut_child *
sort_woken(struct fut_child *list)
{
    struct fut_child *bins[64] = { NULL };
    struct fut_child *c;
    struct fut_child *result = NULL;
    size_t i;

    while (list != NULL) {
        c = list;
        list = list->next_woken;
        c->next_woken = NULL;
        for (i = 0; i < 63 && bins[i] != NULL; i++) {
            c = merge(bins[i], c);
            bins[i] = NULL;
        }
        bins[i] = merge(bins[i], c);
    }
    for (i = 0; i < 64; i++)
        result = merge(bins[i], result);
    return result;
}

/*
 * One round of polling. The first round polls every child, in order; later
 * rounds only the woken ones. A join passes @first_error, which receives
 * the first error a child finishes with. A select passes NULL: the round
 * then ends at the first child that finishes, which is returned (else NULL).
 */
static struct fut_child *
set_poll_round(struct fut_child_set *set, struct fut_context *cx,
               int *first_error)
{
    struct fut_child *list;
    struct fut_child *c;
    size_t i;

    /* Register first: a child woken from another thread after we took the
     * stack must find the new waker, or its wake-up would be lost. */
    fut_atomic_waker_register(&set->parent, cx->waker);
    if (!set->started) {
        set->started = 1;
        /* The parent is pinned from now on; it may have been moved since
         * init, so point the slots at where it is now. */
        for (i = 0; i < set->n; i++)
            set->children[i].set = set;
        for (i = 0; i < set->n; i++) {
            c = &set->children[i];
            if (poll_child(c, cx, first_error) && first_error == NULL)
                return c;
        }
        return NULL;
    }
    list = __atomic_exchange_n(&set->woken_head, NULL, __ATOMIC_ACQUIRE);
    list = sort_woken(list);
    while (list != NULL) {
        c = list;
        list = c->next_woken;
        /* Clear the flag before polling: a wake during or after this poll
         * must queue the child again. An exchange, not a store, so that we
         * acquire what a waker that found the flag still set published
         * before its wake (it relies on this poll to see it). */
        (void)__atomic_exchange_n(&c->woken, 0u, __ATOMIC_ACQ_REL);
        if (c->done)
            continue;
        if (poll_child(c, cx, first_error) && first_error == NULL)
            return c;
    }
    return NULL;
}

/* Drop every child that has not finished; they count as cancelled. */
static void
set_drop_children(struct fut_child_set *set)
{
    size_t i;

    for (i = 0; i < set->n; i++) {
        struct fut_child *c = &set->children[i];

        if (!c->done) {
            fut_future_drop(c->future);
            c->done = 1;
            c->result = -ECANCELED;
        }
    }
}

/* ---- join_all ----------------------------------------------------------- */

static enum fut_poll
join_all_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_join_all *j = (struct fut_join_all *)f;
    struct fut_child_set *set = &j->set;

    if (set->remaining == 0)
        return FUT_READY;
    (void)set_poll_round(set, cx, &j->result);
    if (set->remaining != 0)
        return FUT_PENDING;
    /* Every child is dropped: wait for wakes still in progress on other
     * threads, then let the parent waker clone go (a READY future keeps
     * no waker). */
    set_quiesce(set);
    return FUT_READY;
}

static void
join_all_drop(struct fut_future *f)
{
    struct fut_join_all *j = (struct fut_join_all *)f;

    set_drop_children(&j->set);
    set_quiesce(&j->set);
}

static int
join_all_result(const struct fut_future *f)
{
    return ((const struct fut_join_all *)f)->result;
}

static const struct fut_future_vtable join_all_vtable = {
    .poll = join_all_poll,
    .drop = join_all_drop,
    .result = join_all_result,
};

int
fut_join_all_init(struct fut_join_all *j, struct fut_future *const *children,
                  struct fut_child *slots, size_t n)
{
    int err;

    if (j == NULL)
        return -EINVAL;
    err = set_init(&j->set, children, slots, n);
    if (err != 0)
        return err;
    j->base.vtable = &join_all_vtable;
    j->result = 0;
    return 0;
}

int
fut_join_all_child_result(const struct fut_join_all *j, size_t i)
{
    const struct fut_child *c;

    if (j == NULL || j->set.children == NULL || i >= j->set.n)
        return -EINVAL;
    c = &j->set.children[i];
    return c->done ? c->result : -EAGAIN;
}

/*
 * join2 and select2 keep their slots inside themselves, and may be moved
 * between init and the first poll; their vtables point the set at the
 * slots where they are now before delegating.
 */

static struct fut_join2 *
join2_of(struct fut_future *f)
{
    struct fut_join2 *j = FUT_CONTAINER_OF(f, struct fut_join2, all.base);

    j->all.set.children = j->slots;
    return j;
}

static enum fut_poll
join2_poll(struct fut_future *f, struct fut_context *cx)
{
    return join_all_poll(&join2_of(f)->all.base, cx);
}

static void
join2_drop(struct fut_future *f)
{
    join_all_drop(&join2_of(f)->all.base);
}

static const struct fut_future_vtable join2_vtable = {
    .poll = join2_poll,
    .drop = join2_drop,
    .result = join_all_result,
};

int
fut_join2_init(struct fut_join2 *j, struct fut_future *a,
               struct fut_future *b)
{
    struct fut_future *children[2];
    int err;

    if (j == NULL || a == NULL || b == NULL)
        return -EINVAL;
    children[0] = a;
    children[1] = b;
    err = fut_join_all_init(&j->all, children, j->slots, 2);
    if (err != 0)
        return err;
    j->all.base.vtable = &join2_vtable;
    return 0;
}

/* ---- select_all --------------------------------------------------------- */

static enum fut_poll
select_all_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_select_all *s = (struct fut_select_all *)f;
    struct fut_child *winner;

    if (s->index >= 0)
        return FUT_READY;
    winner = set_poll_round(&s->set, cx, NULL);
    if (winner == NULL)
        return FUT_PENDING;
    s->index = (ssize_t)(winner - s->set.children);
    s->result = winner->result;
    /* The losers are cancelled at once, so that whatever they hold (timers,
     * registrations, wakers) is released now, not when the select goes. */
    set_drop_children(&s->set);
    set_quiesce(&s->set);
    return FUT_READY;
}

static void
select_all_drop(struct fut_future *f)
{
    struct fut_select_all *s = (struct fut_select_all *)f;

    set_drop_children(&s->set);
    set_quiesce(&s->set);
}

static int
select_all_result(const struct fut_future *f)
{
    return ((const struct fut_select_all *)f)->result;
}

static const struct fut_future_vtable select_all_vtable = {
    .poll = select_all_poll,
    .drop = select_all_drop,
    .result = select_all_result,
};

int
fut_select_all_init(struct fut_select_all *s,
                    struct fut_future *const *children,
                    struct fut_child *slots, size_t n)
{
    int err;

    if (s == NULL)
        return -EINVAL;
    err = set_init(&s->set, children, slots, n);
    if (err != 0)
        return err;
    s->base.vtable = &select_all_vtable;
    s->index = -1;
    s->result = 0;
    return 0;
}

static struct fut_select2 *
select2_of(struct fut_future *f)
{
    struct fut_select2 *s = FUT_CONTAINER_OF(f, struct fut_select2, all.base);

    s->all.set.children = s->slots;
    return s;
}

static enum fut_poll
select2_poll(struct fut_future *f, struct fut_context *cx)
{
    return select_all_poll(&select2_of(f)->all.base, cx);
}

static void
select2_drop(struct fut_future *f)
{
    select_all_drop(&select2_of(f)->all.base);
}

static const struct fut_future_vtable select2_vtable = {
    .poll = select2_poll,
    .drop = select2_drop,
    .result = select_all_result,
};

int
fut_select2_init(struct fut_select2 *s, struct fut_future *a,
                 struct fut_future *b)
{
    struct fut_future *children[2];
    int err;

    if (s == NULL || a == NULL || b == NULL)
        return -EINVAL;
    children[0] = a;
    children[1] = b;
    err = fut_select_all_init(&s->all, children, s->slots, 2);
    if (err != 0)
        return err;
    s->all.base.vtable = &select2_vtable;
    return 0;
}
