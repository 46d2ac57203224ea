/* SPDX-License-Identifier: MIT */
/* futures-test in C: wakers, wrappers, mock I/O and a failing allocator for the tests. */
#ifndef FUT_TEST_SUPPORT_H
#define FUT_TEST_SUPPORT_H

#include <check.h>
#include <futures.h>

/* ---- backend flags (backendflags.c) --------------------------------------- */

/* The struct fut_backend_config.flags a test run asks for through the
 * environment: FUT_TEST_BACKEND_FLAGS=one-fd gives FUT_BACKEND_ONE_FD
 * (how make check runs the conformance and attached suites in that mode);
 * unset or empty, 0. Anything else fails the test. */
unsigned int test_backend_flags(void);
struct fut_backend_vtable;
/* fut_runtime_init() on @be, owned, with test_backend_flags(). */
int test_runtime_init(struct fut_runtime *rt,
                      const struct fut_backend_vtable *be);
/* fut_runtime_init() attached to @loop with test_backend_flags(), as
 * fut_runtime_init_attached() does: -EINVAL for a NULL argument. */
int test_runtime_attach(struct fut_runtime *rt,
                        const struct fut_backend_vtable *be, void *loop);
/* As test_runtime_attach(), with @flags rather than the environment's. */
int test_runtime_attach_flags(struct fut_runtime *rt,
                              const struct fut_backend_vtable *be, void *loop,
                              unsigned int flags);

/* ---- wakers (wakers.c) --------------------------------------------------- */

/* A waker that counts what is done to it. Clones share the counter; `live`
 * is clones minus drops/consuming wakes and must be 0 when a test ends. */
struct test_waker {
    struct fut_waker waker;   /* the borrowed original (not counted as live) */
    int wakes;                /* wake + wake_by_ref */
    int clones;
    int live;
};
void test_waker_init(struct test_waker *tw);
/* A context over @tw's waker and @rt (may be NULL). */
struct fut_context test_cx(struct test_waker *tw, struct fut_runtime *rt);
/* A context over the noop waker, no runtime. */
struct fut_context test_noop_cx(void);

/* ---- future doubles (wrappers.c) ------------------------------------------ */

/* A leaf future that is PENDING for `pending_polls` polls (waking its stored
 * waker through test_leaf_wake()), then READY with `value`. It counts polls
 * and drops in a shared log, and holds a waker clone while pending (so a
 * missing drop shows up as a live waker). */
struct test_drop_log {
    int drops;
    int polls;
};
struct test_leaf {
    struct fut_future base;
    struct test_drop_log *log;
    int pending_polls;      /* -1: pending forever */
    int value;              /* result when READY (0 or -errno) */
    int polls;
    int ready;
    struct fut_waker waker; /* stored while pending */
};
void test_leaf_init(struct test_leaf *l, int pending_polls, int value,
                    struct test_drop_log *log);
/* Wake the leaf's stored waker, if any (simulates the event it waits for). */
void test_leaf_wake(struct test_leaf *l);

/* Wraps a future: returns PENDING (waking at once) on its first poll, then
 * delegates (futures-test pending_once). Drops the inner on drop. */
struct test_pending_once {
    struct fut_future base;
    struct fut_future *inner;
    int done_once;
};
void test_pending_once_init(struct test_pending_once *p,
                            struct fut_future *inner);

/* Wraps a future: every other poll returns PENDING after waking
 * (futures-test interleave_pending). */
struct test_interleave {
    struct fut_future base;
    struct fut_future *inner;
    int flip;
};
void test_interleave_init(struct test_interleave *p, struct fut_future *inner);

/* Polls `inner` on a real runtime up to `n` times; if it is still pending
 * then, drops it (cancellation at that point) and is READY. `ready` tells
 * whether the inner finished first. Each PENDING of the inner is followed
 * by a self-wake only when `rewake` is set (for inners that wait on
 * events that will not come in time). */
struct test_drop_after {
    struct fut_future base;
    struct fut_future *inner;
    int n, polls, ready, rewake;
};
void test_drop_after_init(struct test_drop_after *d, struct fut_future *inner,
                          int n, int rewake);

/* Polls @f with @cx until READY or @max polls; returns the polls made, or
 * -1 if still pending. */
int test_poll_until_ready(struct fut_future *f, struct fut_context *cx,
                          int max);

/* ---- scripted mock I/O (mock_io.c) ------------------------------------------ */

enum test_io_step_kind {
    TEST_IO_END = 0,   /* end of script: reads give EOF, writes -EPIPE */
    TEST_IO_DATA,      /* reads: give these bytes (maybe over several reads);
                          writes: expect these bytes */
    TEST_IO_PENDING,   /* next poll returns PENDING and wakes at once */
    TEST_IO_ERROR      /* next poll returns READY with `err` */
};
struct test_io_step {
    enum test_io_step_kind kind;
    const char *data;  /* TEST_IO_DATA */
    size_t len;        /* TEST_IO_DATA */
    int err;           /* TEST_IO_ERROR */
};
/* A reader that plays `read` steps and a writer that checks `write` steps;
 * `max_chunk` (0: unlimited) caps the bytes one poll transfers. Written
 * bytes are also appended to `written` (up to its size) for inspection. */
struct test_mock_io {
    struct fut_async_read reader;
    struct fut_async_write writer;
    const struct test_io_step *rsteps;
    const struct test_io_step *wsteps;
    size_t rpos, roff, wpos, woff;
    size_t max_chunk;
    unsigned char written[65536];
    size_t nwritten;
    int mismatch;      /* a write did not match the script */
    int flushes, closes;
};
void test_mock_io_init(struct test_mock_io *m,
                       const struct test_io_step *rsteps,
                       const struct test_io_step *wsteps, size_t max_chunk);

/* ---- failing allocator (failalloc.c) ------------------------------------------ */

/* Routes libfutures' allocations through a counter. After
 * test_failalloc_fail_after(n), the (n+1)-th allocation from now fails. */
void test_failalloc_install(void);
void test_failalloc_fail_after(long n); /* -1: never fail */
long test_failalloc_live(void);         /* allocations not yet freed */

#endif /* FUT_TEST_SUPPORT_H */
