/* SPDX-License-Identifier: MIT */
/* Helpers shared by the fd, signal and process suites. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "conformance.h"
#include "internal.h"

/* Polls @child up to @n times (stopping early once it is READY), napping a
 * millisecond between polls so the runtime turns its reactor; the child
 * is left for the test to drop. */
struct drop_driver {
    struct fut_future base;
    int state;
    struct fut_future *child;
    int n, polls, ready;
    struct fut_sleep nap;
};

static enum fut_poll
drop_driver_poll(struct fut_future *f, struct fut_context *cx)
{
    struct drop_driver *d = (struct drop_driver *)f;

    FUT_ASYNC_BEGIN(&d->state);
    while (d->polls < d->n) {
        d->polls++;
        if (fut_future_poll(d->child, cx) == FUT_READY) {
            d->ready = 1;
            break;
        }
        ck_assert_int_eq(fut_sleep_init(&d->nap, FUT_NSEC_PER_MSEC), 0);
        FUT_AWAIT_FUTURE(&d->state, &d->nap.base, cx);
        fut_future_drop(&d->nap.base);
    }
    FUT_ASYNC_END(&d->state);
}

static void
drop_driver_drop(struct fut_future *f)
{
    fut_future_drop(&((struct drop_driver *)f)->nap.base);
}

static const struct fut_future_vtable drop_driver_vtable = {
    .poll = drop_driver_poll,
    .drop = drop_driver_drop,
    .result = NULL,
};

int
conf_drive(struct fut_future *child, int n)
{
    struct drop_driver d;

    memset(&d, 0, sizeof d);
    d.base.vtable = &drop_driver_vtable;
    d.child = child;
    d.n = n;
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    fut_future_drop(&d.base);
    return d.ready;
}

ssize_t
conf_read_some(struct fut_async_read *r, void *buf, size_t len)
{
    struct fut_read f;
    ssize_t res;

    ck_assert_int_eq(fut_read_init(&f, r, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    fut_future_drop(&f.base);
    return res;
}

ssize_t
conf_read_to_end(struct fut_async_read *r, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;

    for (;;) {
        ck_assert_uint_lt(got, cap);
        n = conf_read_some(r, buf + got, cap - got);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got < cap ? got : cap - 1] = '\0';
    return (ssize_t)got;
}

int
conf_write_all(struct fut_async_write *w, const void *buf, size_t len)
{
    struct fut_write_all f;
    int res;

    ck_assert_int_eq(fut_write_all_init(&f, w, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    fut_future_drop(&f.base);
    return res;
}

void
conf_no_children(void)
{
    struct timespec nap = { 0, 1000000 };
    int i, st;
    pid_t r;

    /* Reaper threads of dropped children finish when their child does;
     * the limit is a safety net, not the assertion. */
    for (i = 0; i < 30000 && fut__process_orphan_count() != 0; i++)
        nanosleep(&nap, NULL);
    ck_assert_uint_eq(fut__process_orphan_count(), 0);
    r = waitpid(-1, &st, WNOHANG);
    ck_assert_msg(r == -1 && errno == ECHILD,
                  "a child is left (waitpid(-1) = %d)", (int)r);
    ck_assert_uint_eq(fut__signal_listener_count(), 0);
}
