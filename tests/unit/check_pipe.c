/* SPDX-License-Identifier: MIT */
/* Unit tests for the in-memory duplex pipe. */
#include <string.h>

#include "support.h"
#include "suites.h"

static struct test_waker tw;
static struct fut_context cx;

static void
setup(void)
{
    test_failalloc_install();
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
}

static void
teardown(void)
{
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
    test_failalloc_fail_after(-1);
}

/* Poll a read on @e with the test context; returns the result, or
 * -EINPROGRESS (which a pipe never reports) for PENDING. */
static ssize_t
rd(struct fut_pipe_end *e, void *buf, size_t len)
{
    ssize_t n;

    if (fut_async_read_poll_read(&e->reader, &cx, buf, len, &n) ==
        FUT_PENDING)
        return -EINPROGRESS;
    return n;
}

static ssize_t
wr(struct fut_pipe_end *e, const void *buf, size_t len)
{
    ssize_t n;

    if (fut_async_write_poll_write(&e->writer, &cx, buf, len, &n) ==
        FUT_PENDING)
        return -EINPROGRESS;
    return n;
}

START_TEST(test_pipe_new_bad_args)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char c;

    ck_assert_int_eq(fut_pipe_new(NULL, &b, 8), -EINVAL);
    ck_assert_int_eq(fut_pipe_new(&a, NULL, 8), -EINVAL);
    ck_assert_int_eq(fut_pipe_new(&a, &a, 8), -EINVAL);
    ck_assert_int_eq(fut_pipe_new(&a, &b, 0), -EINVAL);
    ck_assert_int_eq(fut_pipe_new(&a, &b, ((size_t)1 << 30) + 1), -EINVAL);
    ck_assert_int_eq(fut_pipe_new(&a, &b, SIZE_MAX), -EINVAL);
    ck_assert_int_eq(fut_pipe_new(&a, &b, SIZE_MAX / 2 + 1), -EINVAL);
    ck_assert_int_eq(test_failalloc_live(), 0);
    /* The ends of a failed pipe are closed ends, not garbage. */
    ck_assert_int_eq(rd(&a, &c, 1), -EBADF);
    ck_assert_int_eq(wr(&b, "x", 1), -EBADF);
    ck_assert_int_eq(fut_pipe_end_close(&a), -EINVAL);
    ck_assert_int_eq(fut_pipe_end_close(NULL), -EINVAL);
}
END_TEST

START_TEST(test_pipe_new_enomem)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char c;

    test_failalloc_fail_after(0);
    ck_assert_int_eq(fut_pipe_new(&a, &b, 64), -ENOMEM);
    ck_assert_int_eq(test_failalloc_live(), 0);
    ck_assert_int_eq(rd(&b, &c, 1), -EBADF);
    ck_assert_int_eq(fut_pipe_end_close(&a), -EINVAL);
    ck_assert_int_eq(fut_pipe_end_close(&b), -EINVAL);
    test_failalloc_fail_after(-1);
    /* One allocation for the whole pipe. */
    ck_assert_int_eq(fut_pipe_new(&a, &b, 64), 0);
    ck_assert_int_eq(test_failalloc_live(), 1);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_roundtrip)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char buf[16];

    ck_assert_int_eq(fut_pipe_new(&a, &b, 16), 0);
    ck_assert_int_eq(wr(&a, "ping", 4), 4);
    ck_assert_int_eq(wr(&b, "pong!", 5), 5);
    /* Each direction has its own buffer. */
    ck_assert_int_eq(rd(&b, buf, sizeof(buf)), 4);
    ck_assert_mem_eq(buf, "ping", 4);
    ck_assert_int_eq(rd(&a, buf, 2), 2);
    ck_assert_mem_eq(buf, "po", 2);
    ck_assert_int_eq(rd(&a, buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "ng!", 3);
    ck_assert_int_eq(rd(&a, buf, sizeof(buf)), -EINPROGRESS);
    ck_assert_int_eq(rd(&b, buf, sizeof(buf)), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 2);
    ck_assert_int_eq(tw.wakes, 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_capacity_and_wakes)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char buf[8];

    ck_assert_int_eq(fut_pipe_new(&a, &b, 5), 0);
    /* An empty pipe: the read waits, keeping one clone of the waker. */
    ck_assert_int_eq(rd(&b, buf, sizeof(buf)), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 1);
    /* Polling again with the same waker clones nothing more. */
    ck_assert_int_eq(rd(&b, buf, sizeof(buf)), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(tw.clones, 1);
    /* A write takes only what fits and wakes the reader. */
    ck_assert_int_eq(wr(&a, "abcdefgh", 8), 5);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(wr(&a, "fgh", 3), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 1);
    /* Reading makes room and wakes the writer. */
    ck_assert_int_eq(rd(&b, buf, 2), 2);
    ck_assert_mem_eq(buf, "ab", 2);
    ck_assert_int_eq(tw.wakes, 2);
    ck_assert_int_eq(tw.live, 0);
    /* The ring wraps around. */
    ck_assert_int_eq(wr(&a, "fgh", 3), 2);
    ck_assert_int_eq(rd(&b, buf, sizeof(buf)), 5);
    ck_assert_mem_eq(buf, "cdefg", 5);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_waker_replaced)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct test_waker other;
    struct fut_context ocx;
    char buf[4];
    ssize_t n;

    test_waker_init(&other);
    ocx = test_cx(&other, NULL);
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(rd(&b, buf, 4), -EINPROGRESS);
    /* A poll from another task replaces the stored waker. */
    ck_assert_int_eq(fut_async_read_poll_read(&b.reader, &ocx, buf, 4, &n),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(other.live, 1);
    ck_assert_int_eq(wr(&a, "x", 1), 1);
    ck_assert_int_eq(tw.wakes, 0);
    ck_assert_int_eq(other.wakes, 1);
    ck_assert_int_eq(other.live, 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

/* Deterministic bytes for the integrity tests. */
static unsigned char
pattern(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

START_TEST(test_pipe_integrity)
{
    enum { TOTAL = 96 * 1024 };
    static unsigned char out[TOTAL];
    static unsigned char in[TOTAL];
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    size_t sent = 0;
    size_t got = 0;
    size_t i;
    size_t want;
    ssize_t n;
    unsigned turn = 0;

    for (i = 0; i < TOTAL; i++)
        out[i] = pattern(i);
    ck_assert_int_eq(fut_pipe_new(&a, &b, 13), 0);
    /* Alternate writer and reader polls with sizes that never line up
     * with the capacity, so the ring wraps at every offset. */
    while (got < TOTAL) {
        turn++;
        if (sent < TOTAL) {
            want = 1 + turn % 17;
            if (want > TOTAL - sent)
                want = TOTAL - sent;
            n = wr(&a, out + sent, want);
            if (n != -EINPROGRESS) {
                ck_assert_int_gt(n, 0);
                ck_assert_int_le(n, 13);
                sent += (size_t)n;
            }
        }
        want = 1 + turn % 11;
        n = rd(&b, in + got, want);
        if (n != -EINPROGRESS) {
            ck_assert_int_gt(n, 0);
            got += (size_t)n;
        }
        ck_assert_uint_le(got, sent);
        ck_assert_uint_le(sent - got, 13);
    }
    ck_assert_mem_eq(in, out, TOTAL);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_vectored)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char x[3];
    char y[4];
    char z[5];
    struct iovec wv[3] = { { (void *)"012", 3 },
                           { (void *)"", 0 },
                           { (void *)"3456789", 7 } };
    struct iovec rv[3] = { { x, 3 }, { y, 4 }, { z, 5 } };
    char buf[8];
    ssize_t n;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 8), 0);
    /* Move the ring's start so the vectored copies wrap. */
    ck_assert_int_eq(wr(&a, "......", 6), 6);
    ck_assert_int_eq(rd(&b, buf, 6), 6);
    ck_assert_int_eq(fut_async_write_poll_writev(&a.writer, &cx, wv, 3, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 8);
    ck_assert_int_eq(fut_async_read_poll_readv(&b.reader, &cx, rv, 3, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 8);
    ck_assert_mem_eq(x, "012", 3);
    ck_assert_mem_eq(y, "3456", 4);
    ck_assert_mem_eq(z, "7", 1);
    /* The two bytes that did not fit. */
    ck_assert_int_eq(wr(&a, "89", 2), 2);
    ck_assert_int_eq(rd(&b, buf, 8), 2);
    ck_assert_mem_eq(buf, "89", 2);
    /* Empty: the vectored read waits too. */
    ck_assert_int_eq(fut_async_read_poll_readv(&b.reader, &cx, rv, 3, &n),
                     FUT_PENDING);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_async_read_poll_readv(&b.reader, &cx, rv, 3, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_eof_after_close)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char buf[8];

    ck_assert_int_eq(fut_pipe_new(&a, &b, 8), 0);
    ck_assert_int_eq(wr(&a, "abc", 3), 3);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    /* Still one end open: the pipe is alive. */
    ck_assert_int_eq(test_failalloc_live(), 1);
    /* The reader drains what was written, then sees EOF, every time. */
    ck_assert_int_eq(rd(&b, buf, 2), 2);
    ck_assert_int_eq(rd(&b, buf + 2, 8), 1);
    ck_assert_mem_eq(buf, "abc", 3);
    ck_assert_int_eq(rd(&b, buf, 8), 0);
    ck_assert_int_eq(rd(&b, buf, 8), 0);
    /* Writing towards the closed end fails. */
    ck_assert_int_eq(wr(&b, "x", 1), -EPIPE);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

START_TEST(test_pipe_epipe_discards)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char buf[4];

    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(wr(&a, "lost", 4), 4);
    ck_assert_int_eq(wr(&a, "more", 4), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 1);
    /* The reader goes away without reading: the waiting writer is woken
     * and every write from now on is -EPIPE. */
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(wr(&a, "more", 4), -EPIPE);
    ck_assert_int_eq(wr(&a, "more", 4), -EPIPE);
    /* a can still read what b had sent before: nothing, then EOF. */
    ck_assert_int_eq(rd(&a, buf, 4), 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
}
END_TEST

START_TEST(test_pipe_poll_close)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char buf[8];
    ssize_t n;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 8), 0);
    ck_assert_int_eq(rd(&b, buf, 8), -EINPROGRESS);
    ck_assert_int_eq(wr(&a, "hi", 2), 2);
    ck_assert_int_eq(tw.wakes, 1);
    /* poll_close shuts down a's write direction only. */
    n = -1;
    ck_assert_int_eq(fut_async_write_poll_close(&a.writer, &cx, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(wr(&a, "x", 1), -EPIPE);
    ck_assert_int_eq(rd(&b, buf, 8), 2);
    ck_assert_int_eq(rd(&b, buf, 8), 0);
    /* The other direction still works. */
    ck_assert_int_eq(wr(&b, "back", 4), 4);
    ck_assert_int_eq(rd(&a, buf, 8), 4);
    ck_assert_mem_eq(buf, "back", 4);
    /* Closing twice is harmless; flush is always done. */
    ck_assert_int_eq(fut_async_write_poll_close(&a.writer, &cx, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(fut_async_write_poll_flush(&b.writer, &cx, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_poll_close_wakes_reader)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char buf[4];
    ssize_t n;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(rd(&b, buf, 4), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(fut_async_write_poll_close(&a.writer, &cx, &n),
                     FUT_READY);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(rd(&b, buf, 4), 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_close_wakes)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    char buf[4];

    /* The peer's pending read is woken and sees EOF. */
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(rd(&b, buf, 4), -EINPROGRESS);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(rd(&b, buf, 4), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);

    /* A pending read on the end being closed is woken too (released with
     * the end), and its next poll learns the end is gone. */
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(rd(&a, buf, 4), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(tw.wakes, 2);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(rd(&a, buf, 4), -EBADF);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);

    /* The peer's write waiting for room is woken and fails. */
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(wr(&b, "full", 4), 4);
    ck_assert_int_eq(wr(&b, "more", 4), -EINPROGRESS);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(tw.wakes, 3);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(wr(&b, "more", 4), -EPIPE);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

START_TEST(test_pipe_closed_end_ebadf)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct iovec iov = { NULL, 0 };
    char buf[4];
    ssize_t n;

    iov.iov_base = buf;
    iov.iov_len = sizeof(buf);
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(wr(&b, "data", 4), 4);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    /* Every poll on the closed end, even with data that was waiting. */
    ck_assert_int_eq(rd(&a, buf, 4), -EBADF);
    ck_assert_int_eq(wr(&a, "x", 1), -EBADF);
    ck_assert_int_eq(fut_async_read_poll_readv(&a.reader, &cx, &iov, 1, &n),
                     FUT_READY);
    ck_assert_int_eq(n, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_writev(&a.writer, &cx, &iov, 1,
                                                 &n),
                     FUT_READY);
    ck_assert_int_eq(n, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_flush(&a.writer, &cx, &n),
                     FUT_READY);
    ck_assert_int_eq(n, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_close(&a.writer, &cx, &n),
                     FUT_READY);
    ck_assert_int_eq(n, -EBADF);
    ck_assert_int_eq(fut_pipe_end_close(&a), -EINVAL);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
    /* After both are closed nothing refers to the freed buffer. */
    ck_assert_int_eq(rd(&b, buf, 4), -EBADF);
    ck_assert_int_eq(fut_pipe_end_close(&b), -EINVAL);
}
END_TEST

START_TEST(test_pipe_ends_movable)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_pipe_end moved;
    char buf[4];

    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(wr(&a, "abc", 3), 3);
    memcpy(&moved, &b, sizeof(b));
    memset(&b, 0xa5, sizeof(b));
    ck_assert_int_eq(rd(&moved, buf, 4), 3);
    ck_assert_mem_eq(buf, "abc", 3);
    ck_assert_int_eq(fut_pipe_end_close(&moved), 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
}
END_TEST

START_TEST(test_pipe_futures)
{
    /* read_exact and write_all over one pipe, polled alternately: each
     * side waits for the other many times. */
    enum { LEN = 5000 };
    static unsigned char out[LEN];
    static unsigned char in[LEN];
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_write_all w;
    struct fut_read_exact r;
    int i;
    int wdone = 0;
    int rdone = 0;

    for (i = 0; i < LEN; i++)
        out[i] = pattern((size_t)i);
    ck_assert_int_eq(fut_pipe_new(&a, &b, 7), 0);
    ck_assert_int_eq(fut_write_all_init(&w, &a.writer, out, LEN), 0);
    ck_assert_int_eq(fut_read_exact_init(&r, &b.reader, in, LEN), 0);
    for (i = 0; i < 10000 && !(wdone && rdone); i++) {
        wdone = fut_future_poll(&w.base, &cx) == FUT_READY;
        rdone = fut_future_poll(&r.base, &cx) == FUT_READY;
    }
    ck_assert(wdone && rdone);
    ck_assert_int_eq(w.res, 0);
    ck_assert_int_eq(r.res, 0);
    ck_assert_mem_eq(in, out, LEN);
    ck_assert_int_gt(tw.wakes, 100);
    fut_future_drop(&w.base);
    fut_future_drop(&r.base);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
}
END_TEST

/*
 * A future dropped while pending takes back the waker it left in the pipe
 * (through the ends' forget slots): none stays alive, a later transfer wakes
 * nothing, and a waker that another poller stored since is left alone. A
 * child waker of a join or select would otherwise point into freed memory.
 */
START_TEST(test_pipe_future_drop_forgets_waker)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_pipe_end c;
    struct fut_pipe_end d;
    struct fut_read r;
    struct fut_write_all w;
    struct fut_copy cp;
    struct test_waker other;
    struct fut_context ocx;
    unsigned char cbuf[4];
    char buf[8];
    int wakes;

    test_waker_init(&other);
    ocx = test_cx(&other, NULL);
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);

    /* A read on an empty pipe, dropped: the reader slot is empty again. */
    ck_assert_int_eq(fut_read_init(&r, &b.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    fut_future_drop(&r.base);
    ck_assert_int_eq(tw.live, 0);
    wakes = tw.wakes;
    ck_assert_int_eq(wr(&a, "hi", 2), 2);
    ck_assert_int_eq(tw.wakes, wakes);

    /* A write on a full pipe, dropped: the writer slot likewise. */
    ck_assert_int_eq(wr(&a, "yo", 2), 2);
    ck_assert_int_eq(fut_write_all_init(&w, &a.writer, "z", 1), 0);
    ck_assert_int_eq(fut_future_poll(&w.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    fut_future_drop(&w.base);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(rd(&b, buf, sizeof buf), 4);
    ck_assert_mem_eq(buf, "hiyo", 4);
    ck_assert_int_eq(tw.wakes, wakes);

    /* Only a waker that will_wake the dropped future's goes: here another
     * poller stored its own after the future's poll, and keeps it. */
    ck_assert_int_eq(fut_read_init(&r, &b.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_async_read_poll_read(&b.reader, &ocx, buf,
                                              sizeof buf, &(ssize_t){ 0 }),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 0); /* replaced by the other waker */
    ck_assert_int_eq(other.live, 1);
    fut_future_drop(&r.base);
    ck_assert_int_eq(other.live, 1);
    ck_assert_int_eq(wr(&a, "!", 1), 1);
    ck_assert_int_eq(other.wakes, 1);
    ck_assert_int_eq(other.live, 0);
    ck_assert_int_eq(rd(&b, buf, sizeof buf), 1);

    /* A copy forgets on both sides: pending on its reader (b, with
     * nothing from a), and pending on its writer (c, whose buffer towards
     * d is full). */
    ck_assert_int_eq(fut_pipe_new(&c, &d, 2), 0);
    ck_assert_int_eq(fut_copy_init(&cp, &b.reader, &c.writer, cbuf,
                                   sizeof cbuf), 0);
    ck_assert_int_eq(fut_future_poll(&cp.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    fut_future_drop(&cp.base);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(wr(&a, "abc", 3), 3);
    ck_assert_int_eq(tw.wakes, wakes);
    ck_assert_int_eq(fut_copy_init(&cp, &b.reader, &c.writer, cbuf,
                                   sizeof cbuf), 0);
    ck_assert_int_eq(fut_future_poll(&cp.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(cp.total, 2);
    ck_assert_int_gt(tw.live, 0);
    fut_future_drop(&cp.base);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(rd(&d, buf, sizeof buf), 2);
    ck_assert_int_eq(tw.wakes, wakes);

    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(fut_pipe_end_close(&c), 0);
    ck_assert_int_eq(fut_pipe_end_close(&d), 0);
    ck_assert_int_eq(other.live, 0);
}
END_TEST

static TCase *
tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *
fut_test_pipe_suite(void)
{
    Suite *s = suite_create("pipe");

    tcase_add_test(tcase(s, "new_bad_args"), test_pipe_new_bad_args);
    tcase_add_test(tcase(s, "new_enomem"), test_pipe_new_enomem);
    tcase_add_test(tcase(s, "roundtrip"), test_pipe_roundtrip);
    tcase_add_test(tcase(s, "capacity_and_wakes"),
                   test_pipe_capacity_and_wakes);
    tcase_add_test(tcase(s, "waker_replaced"), test_pipe_waker_replaced);
    tcase_add_test(tcase(s, "integrity"), test_pipe_integrity);
    tcase_add_test(tcase(s, "vectored"), test_pipe_vectored);
    tcase_add_test(tcase(s, "eof_after_close"), test_pipe_eof_after_close);
    tcase_add_test(tcase(s, "epipe_discards"), test_pipe_epipe_discards);
    tcase_add_test(tcase(s, "poll_close"), test_pipe_poll_close);
    tcase_add_test(tcase(s, "poll_close_wakes_reader"),
                   test_pipe_poll_close_wakes_reader);
    tcase_add_test(tcase(s, "close_wakes"), test_pipe_close_wakes);
    tcase_add_test(tcase(s, "closed_end_ebadf"), test_pipe_closed_end_ebadf);
    tcase_add_test(tcase(s, "ends_movable"), test_pipe_ends_movable);
    tcase_add_test(tcase(s, "futures"), test_pipe_futures);
    tcase_add_test(tcase(s, "future_drop_forgets_waker"),
                   test_pipe_future_drop_forgets_waker);
    return s;
}
