/* SPDX-License-Identifier: MIT */
/* Combinators: ready, pending, yield, map, then, join, select, timeout. */
#ifndef FUTURES_COMBINATORS_H
#define FUTURES_COMBINATORS_H

#include <sys/types.h>

#include "future.h"
#include "timer.h"

FUT__BEGIN_DECLS

/*
 * Ownership, for every combinator here: a combinator takes ownership of the
 * child futures it is given (it polls them, and drops each one once it is
 * READY, when it is no longer wanted, or when the combinator is dropped),
 * but it borrows their storage, which the caller keeps alive (typically the
 * children are fields of the same parent struct). A child's output fields
 * stay readable after the combinator dropped it. Children must not have
 * been polled by anyone else. All of these are pinned from their first
 * poll. Runtime thread only, unless a child says otherwise.
 */

/**
 * struct fut_ready - READY at the first poll with @value.
 * Result: @value if negative, else 0.
 */
struct fut_ready {
    struct fut_future base;
    int value;
};

/** fut_ready_init - returns 0 or -EINVAL (NULL). */
FUT_API int fut_ready_init(struct fut_ready *f, int value);

/** struct fut_pending - never READY, never wakes. Useful in tests and selects. */
struct fut_pending {
    struct fut_future base;
};

/** fut_pending_init - returns 0 or -EINVAL (NULL). */
FUT_API int fut_pending_init(struct fut_pending *f);

/**
 * struct fut_yield - PENDING once (after waking its own waker), then READY:
 * lets the other ready tasks run first.
 */
struct fut_yield {
    struct fut_future base;
    int yielded;
};

/** fut_yield_init - returns 0 or -EINVAL (NULL). */
FUT_API int fut_yield_init(struct fut_yield *f);

/**
 * fut_map_fn - called once with the READY child, before it is dropped, to
 * read its output; returns the map's result (0 or -errno).
 */
typedef int (*fut_map_fn)(struct fut_future *inner, void *arg);

/**
 * struct fut_map - run @fn on the output of @inner.
 * @result: after READY, what @fn returned.
 */
struct fut_map {
    struct fut_future base;
    struct fut_future *inner;
    fut_map_fn fn;
    void *arg;
    int result;
    int done;
};

/** fut_map_init - returns 0, or -EINVAL for NULL @m, @inner or @fn. */
FUT_API int fut_map_init(struct fut_map *m, struct fut_future *inner,
                         fut_map_fn fn, void *arg);

/**
 * fut_then_fn - called once with the READY first future, before it is
 * dropped. Returns 0 and sets *@next to the second future (initialised, in
 * storage the caller keeps alive; the then future owns it from here), or a
 * negative errno, which ends the chain with that result.
 */
typedef int (*fut_then_fn)(struct fut_future *first, void *arg,
                           struct fut_future **next);

/**
 * struct fut_then - run @first, then the future @fn makes from its output.
 * @result: after READY, the second future's result, or @fn's error.
 */
struct fut_then {
    struct fut_future base;
    struct fut_future *first;
    fut_then_fn fn;
    void *arg;
    struct fut_future *second;
    int result;
    int state;
};

/** fut_then_init - returns 0, or -EINVAL for NULL @t, @first or @fn. */
FUT_API int fut_then_init(struct fut_then *t, struct fut_future *first,
                          fut_then_fn fn, void *arg);

/* ------------------------------------------------------------------------ */
/* Sets of children: join_all, select_all                                   */
/* ------------------------------------------------------------------------ */

struct fut_child_set;

/**
 * struct fut_child - per-child bookkeeping of a join or select, in an array
 * the caller provides (one element per child). Each child is polled with a
 * waker of its own, which points at its element, so only woken children
 * are polled. Private.
 */
struct fut_child {
    struct fut_future *future;
    struct fut_child_set *set;
    struct fut_child *next_woken;
    unsigned int woken;
    int done;
    int result;
};

/** struct fut_child_set - private state shared by join_all and select_all. */
struct fut_child_set {
    struct fut_child *children;
    size_t n;
    size_t remaining;
    struct fut_child *woken_head;  /* lock-free stack of woken children */
    struct fut_atomic_waker parent;
    unsigned int wakers;           /* child waker clones alive */
    int started;
};

/**
 * struct fut_join_all - wait for every child.
 * @result: after READY, the first error a child finished with (in order of
 * completion), or 0. fut_join_all_child_result() gives each one's result.
 * Child wakers may be woken from any thread. Dropping it drops every child
 * that has not finished.
 */
struct fut_join_all {
    struct fut_future base;
    struct fut_child_set set;
    int result;
};

/**
 * fut_join_all_init - join @n children.
 * @children: @n initialised, unpolled futures (the array itself is read
 *            only here).
 * @slots: an array of @n struct fut_child, borrowed until dropped.
 * Returns 0, or -EINVAL for NULL arguments, a NULL child or @n == 0.
 */
FUT_API int fut_join_all_init(struct fut_join_all *j,
                              struct fut_future *const *children,
                              struct fut_child *slots, size_t n);

/** fut_join_all_child_result - child @i's result; -EAGAIN if unfinished. */
FUT_API int fut_join_all_child_result(const struct fut_join_all *j,
                                      size_t i);

/** struct fut_join2 - join of two children with built-in slots. */
struct fut_join2 {
    struct fut_join_all all;
    struct fut_child slots[2];
};

/** fut_join2_init - join @a and @b; await &j->all.base. 0 or -EINVAL. */
FUT_API int fut_join2_init(struct fut_join2 *j, struct fut_future *a,
                           struct fut_future *b);

/**
 * struct fut_select_all - the first child to be READY wins; the others are
 * dropped at once.
 * @index: after READY, the winner's index. @result: the winner's result.
 * If several children are READY in the same round, the lowest index of
 * those polled wins.
 */
struct fut_select_all {
    struct fut_future base;
    struct fut_child_set set;
    ssize_t index;
    int result;
};

/** fut_select_all_init - as fut_join_all_init(). */
FUT_API int fut_select_all_init(struct fut_select_all *s,
                                struct fut_future *const *children,
                                struct fut_child *slots, size_t n);

/** struct fut_select2 - select of two children with built-in slots. */
struct fut_select2 {
    struct fut_select_all all;
    struct fut_child slots[2];
};

/** fut_select2_init - select between @a and @b; await &s->all.base. */
FUT_API int fut_select2_init(struct fut_select2 *s, struct fut_future *a,
                             struct fut_future *b);

/* ------------------------------------------------------------------------ */
/* Timeout                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * struct fut_timeout - @inner, unless a deadline passes first.
 * @timed_out: after READY, 1 if the deadline won (@inner was dropped).
 * @result: after READY, -ETIMEDOUT, or @inner's result.
 * The inner future is polled first, so an inner that is ready at the
 * deadline still wins.
 */
struct fut_timeout {
    struct fut_future base;
    struct fut_future *inner;
    struct fut_sleep sleep;
    int timed_out;
    int result;
    int done;
};

/**
 * fut_timeout_init - time @inner out after @duration_ns.
 * Returns 0, or -EINVAL for NULL or a negative duration.
 */
FUT_API int fut_timeout_init(struct fut_timeout *t, struct fut_future *inner,
                             int64_t duration_ns);

/** fut_timeout_at_init - time @inner out at @deadline_ns (fut_now_ns()). */
FUT_API int fut_timeout_at_init(struct fut_timeout *t,
                                struct fut_future *inner,
                                int64_t deadline_ns);

FUT__END_DECLS

#endif /* FUTURES_COMBINATORS_H */
