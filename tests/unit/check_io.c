/* SPDX-License-Identifier: MIT */
/* Unit tests for the AsyncRead/AsyncWrite wrappers and the I/O futures. */
#include <limits.h>
#include <string.h>

#include "support.h"
#include "suites.h"

#define STEP_DATA(s) { TEST_IO_DATA, (s), sizeof(s) - 1, 0 }
#define STEP_PENDING { TEST_IO_PENDING, NULL, 0, 0 }
#define STEP_ERROR(e) { TEST_IO_ERROR, NULL, 0, (e) }
#define STEP_END { TEST_IO_END, NULL, 0, 0 }

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

/* ---- doubles ---------------------------------------------------------------
 *
 * A reader/writer that counts the calls that reach it, with optional slots
 * switched on and off per test, and a write slot that accepts nothing (to
 * prove write_all and copy do not spin on it).
 */
struct counter {
    struct fut_async_read r;
    struct fut_async_write w;
    int reads;
    int writes;
    int flushes;
    int closes;
};

static enum fut_poll
counter_read(struct fut_async_read *self, struct fut_context *c, void *buf,
             size_t len, ssize_t *res)
{
    struct counter *k = FUT_CONTAINER_OF(self, struct counter, r);

    k->reads++;
    memset(buf, 'x', len);
    *res = (ssize_t)len;
    return FUT_READY;
}

static enum fut_poll
counter_write_zero(struct fut_async_write *self, struct fut_context *c,
                   const void *buf, size_t len, ssize_t *res)
{
    struct counter *k = FUT_CONTAINER_OF(self, struct counter, w);

    k->writes++;
    *res = 0;
    return FUT_READY;
}

static enum fut_poll
counter_flush(struct fut_async_write *self, struct fut_context *c,
              ssize_t *res)
{
    struct counter *k = FUT_CONTAINER_OF(self, struct counter, w);

    k->flushes++;
    *res = 0;
    return FUT_READY;
}

static const struct fut_async_read_vtable counter_rvt = {
    .version = 1,
    .poll_read = counter_read,
};

/* No flush, no close: the wrappers' defaults answer. */
static const struct fut_async_write_vtable counter_wvt_bare = {
    .version = 1,
    .poll_write = counter_write_zero,
};

/* A flush but no close: close must fall back to the flush. */
static const struct fut_async_write_vtable counter_wvt_flush = {
    .version = 1,
    .poll_write = counter_write_zero,
    .poll_flush = counter_flush,
};

static void
counter_init(struct counter *k, const struct fut_async_write_vtable *wvt)
{
    memset(k, 0, sizeof(*k));
    k->r.vtable = &counter_rvt;
    k->w.vtable = wvt;
}

/* Write @len bytes of @buf into pipe end @e by hand; all must fit. */
static void
pipe_feed(struct fut_pipe_end *e, const void *buf, size_t len)
{
    struct fut_context ncx = test_noop_cx();
    ssize_t n = -1;

    ck_assert_int_eq(fut_async_write_poll_write(&e->writer, &ncx, buf, len,
                                                &n),
                     FUT_READY);
    ck_assert_int_eq(n, (ssize_t)len);
}

/* ---- wrappers ------------------------------------------------------------ */

START_TEST(test_io_wrapper_bad_args)
{
    struct counter k;
    struct fut_async_read no_rvt = { NULL };
    struct fut_async_write no_wvt = { NULL };
    struct fut_context no_waker = { NULL, NULL };
    static struct iovec many[IOV_MAX + 1];
    struct iovec iov[2];
    char buf[4];
    ssize_t res;
    int i;

    counter_init(&k, &counter_wvt_flush);
    for (i = 0; i < IOV_MAX + 1; i++) {
        many[i].iov_base = buf;
        many[i].iov_len = 1;
    }

    /* Nowhere to report: READY and nothing else. */
    ck_assert_int_eq(fut_async_read_poll_read(&k.r, &cx, buf, 4, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_async_read_poll_readv(&k.r, &cx, iov, 1, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_async_write_poll_write(&k.w, &cx, buf, 4, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_async_write_poll_writev(&k.w, &cx, iov, 1, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_async_write_poll_flush(&k.w, &cx, NULL), FUT_READY);
    ck_assert_int_eq(fut_async_write_poll_close(&k.w, &cx, NULL), FUT_READY);

#define EXPECT_EINVAL(call)                                                 \
    do {                                                                    \
        res = 12345;                                                        \
        ck_assert_int_eq((call), FUT_READY);                                \
        ck_assert_int_eq(res, -EINVAL);                                     \
    } while (0)

    EXPECT_EINVAL(fut_async_read_poll_read(NULL, &cx, buf, 4, &res));
    EXPECT_EINVAL(fut_async_read_poll_read(&no_rvt, &cx, buf, 4, &res));
    EXPECT_EINVAL(fut_async_read_poll_read(&k.r, NULL, buf, 4, &res));
    EXPECT_EINVAL(fut_async_read_poll_read(&k.r, &no_waker, buf, 4, &res));
    EXPECT_EINVAL(fut_async_read_poll_read(&k.r, &cx, NULL, 4, &res));

    iov[0].iov_base = buf;
    iov[0].iov_len = 4;
    iov[1].iov_base = NULL;
    iov[1].iov_len = 1;
    EXPECT_EINVAL(fut_async_read_poll_readv(NULL, &cx, iov, 1, &res));
    EXPECT_EINVAL(fut_async_read_poll_readv(&k.r, NULL, iov, 1, &res));
    EXPECT_EINVAL(fut_async_read_poll_readv(&k.r, &cx, iov, -1, &res));
    EXPECT_EINVAL(fut_async_read_poll_readv(&k.r, &cx, many, IOV_MAX + 1,
                                            &res));
    EXPECT_EINVAL(fut_async_read_poll_readv(&k.r, &cx, NULL, 1, &res));
    EXPECT_EINVAL(fut_async_read_poll_readv(&k.r, &cx, iov, 2, &res));
    /* Lengths whose sum does not fit in ssize_t. */
    iov[0].iov_len = (size_t)SSIZE_MAX;
    iov[1].iov_base = buf;
    iov[1].iov_len = 2;
    EXPECT_EINVAL(fut_async_read_poll_readv(&k.r, &cx, iov, 2, &res));
    EXPECT_EINVAL(fut_async_write_poll_writev(&k.w, &cx, iov, 2, &res));
    iov[0].iov_len = 4;
    iov[1].iov_base = NULL;
    iov[1].iov_len = 1;

    EXPECT_EINVAL(fut_async_write_poll_write(NULL, &cx, buf, 4, &res));
    EXPECT_EINVAL(fut_async_write_poll_write(&no_wvt, &cx, buf, 4, &res));
    EXPECT_EINVAL(fut_async_write_poll_write(&k.w, NULL, buf, 4, &res));
    EXPECT_EINVAL(fut_async_write_poll_write(&k.w, &cx, NULL, 4, &res));
    EXPECT_EINVAL(fut_async_write_poll_writev(NULL, &cx, iov, 1, &res));
    EXPECT_EINVAL(fut_async_write_poll_writev(&k.w, &cx, iov, -1, &res));
    EXPECT_EINVAL(fut_async_write_poll_writev(&k.w, &cx, many, IOV_MAX + 1,
                                              &res));
    EXPECT_EINVAL(fut_async_write_poll_writev(&k.w, &cx, NULL, 1, &res));
    EXPECT_EINVAL(fut_async_write_poll_writev(&k.w, &cx, iov, 2, &res));
    EXPECT_EINVAL(fut_async_write_poll_flush(NULL, &cx, &res));
    EXPECT_EINVAL(fut_async_write_poll_flush(&no_wvt, &cx, &res));
    EXPECT_EINVAL(fut_async_write_poll_flush(&k.w, NULL, &res));
    EXPECT_EINVAL(fut_async_write_poll_close(NULL, &cx, &res));
    EXPECT_EINVAL(fut_async_write_poll_close(&k.w, &no_waker, &res));
#undef EXPECT_EINVAL

    /* None of it reached the object. */
    ck_assert_int_eq(k.reads, 0);
    ck_assert_int_eq(k.writes, 0);
    ck_assert_int_eq(k.flushes, 0);

    /* IOV_MAX entries are fine. */
    ck_assert_int_eq(fut_async_read_poll_readv(&k.r, &cx, many, IOV_MAX,
                                               &res),
                     FUT_READY);
    ck_assert_int_eq(res, 1);
    ck_assert_int_eq(k.reads, 1);
}
END_TEST

START_TEST(test_io_wrapper_zero_length)
{
    struct counter k;
    struct iovec iov[3] = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
    char buf[1];
    ssize_t res;

    counter_init(&k, &counter_wvt_bare);
    res = -1;
    ck_assert_int_eq(fut_async_read_poll_read(&k.r, &cx, buf, 0, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    res = -1;
    ck_assert_int_eq(fut_async_read_poll_read(&k.r, &cx, NULL, 0, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    res = -1;
    ck_assert_int_eq(fut_async_read_poll_readv(&k.r, &cx, iov, 3, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    res = -1;
    ck_assert_int_eq(fut_async_read_poll_readv(&k.r, &cx, NULL, 0, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    res = -1;
    ck_assert_int_eq(fut_async_write_poll_write(&k.w, &cx, buf, 0, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    res = -1;
    ck_assert_int_eq(fut_async_write_poll_writev(&k.w, &cx, iov, 3, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(k.reads, 0);
    ck_assert_int_eq(k.writes, 0);

    /* One byte does reach it. */
    ck_assert_int_eq(fut_async_read_poll_read(&k.r, &cx, buf, 1, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 1);
    ck_assert_int_eq(k.reads, 1);
}
END_TEST

START_TEST(test_io_wrapper_readv_fallback)
{
    static const struct test_io_step rs[] = { STEP_DATA("abcdefgh"),
                                              STEP_END };
    struct test_mock_io m;
    char b[4];
    char c[4] = "zzzz";
    struct iovec iov[3] = { { NULL, 0 }, { b, 4 }, { c, 4 } };
    ssize_t res = -1;

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_ptr_null(m.reader.vtable->poll_readv);
    /* Without a readv slot only the first non-empty iovec is filled. */
    ck_assert_int_eq(fut_async_read_poll_readv(&m.reader, &cx, iov, 3, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 4);
    ck_assert_mem_eq(b, "abcd", 4);
    ck_assert_mem_eq(c, "zzzz", 4);
    ck_assert_int_eq(fut_async_read_poll_readv(&m.reader, &cx, iov, 3, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 4);
    ck_assert_mem_eq(b, "efgh", 4);
    ck_assert_int_eq(fut_async_read_poll_readv(&m.reader, &cx, iov, 3, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
}
END_TEST

START_TEST(test_io_wrapper_writev_fallback)
{
    static const struct test_io_step ws[] = { STEP_DATA("hello"),
                                              STEP_DATA("world"), STEP_END };
    struct test_mock_io m;
    struct iovec iov[3] = { { (void *)"", 0 },
                            { (void *)"hello", 5 },
                            { (void *)"world", 5 } };
    ssize_t res = -1;

    test_mock_io_init(&m, NULL, ws, 0);
    ck_assert_int_eq(fut_async_write_poll_writev(&m.writer, &cx, iov, 3,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, 5);
    ck_assert_uint_eq(m.nwritten, 5);
    ck_assert_mem_eq(m.written, "hello", 5);
    ck_assert_int_eq(fut_async_write_poll_writev(&m.writer, &cx, iov + 2, 1,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, 5);
    ck_assert_int_eq(m.mismatch, 0);
    ck_assert_mem_eq(m.written, "helloworld", 10);
}
END_TEST

START_TEST(test_io_wrapper_flush_close_defaults)
{
    struct counter k;
    ssize_t res;

    /* No flush slot: READY with 0. No close slot either: close is a
     * flush, i.e. also 0. */
    counter_init(&k, &counter_wvt_bare);
    res = -1;
    ck_assert_int_eq(fut_async_write_poll_flush(&k.w, &cx, &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    res = -1;
    ck_assert_int_eq(fut_async_write_poll_close(&k.w, &cx, &res), FUT_READY);
    ck_assert_int_eq(res, 0);

    /* A flush slot but no close slot: close calls the flush. */
    counter_init(&k, &counter_wvt_flush);
    ck_assert_int_eq(fut_async_write_poll_close(&k.w, &cx, &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(k.flushes, 1);
    ck_assert_int_eq(fut_async_write_poll_flush(&k.w, &cx, &res), FUT_READY);
    ck_assert_int_eq(k.flushes, 2);
}
END_TEST

/* ---- init arguments ------------------------------------------------------ */

/*
 * The forget wrappers are NULL-safe, ignore an empty waker, skip a NULL
 * slot, and never read the slot of a table older than version 2: such a
 * table may end before it (struct v1_read_vtable is what a reader built
 * against version 1 has; under ASan, reading past it is an error).
 */
struct v1_read_vtable {
    unsigned int version;
    enum fut_poll (*poll_read)(struct fut_async_read *self,
                               struct fut_context *cx, void *buf, size_t len,
                               ssize_t *res);
    enum fut_poll (*poll_readv)(struct fut_async_read *self,
                                struct fut_context *cx,
                                const struct iovec *iov, int iovcnt,
                                ssize_t *res);
};

static int v1_reads;

static enum fut_poll
v1_read(struct fut_async_read *self, struct fut_context *c, void *buf,
        size_t len, ssize_t *res)
{
    (void)self;
    (void)c;
    v1_reads++;
    memset(buf, 'v', len);
    *res = (ssize_t)len;
    return FUT_READY;
}

static const struct v1_read_vtable v1_rvt = {
    .version = 1,
    .poll_read = v1_read,
    .poll_readv = NULL,
};

START_TEST(test_io_wrapper_forget)
{
    struct counter k;
    struct test_mock_io m;
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_async_read old = {
        (const struct fut_async_read_vtable *)(const void *)&v1_rvt
    };
    struct fut_async_read no_rvt = { NULL };
    struct fut_async_write no_wvt = { NULL };
    struct fut_waker empty = { NULL, NULL };
    char buf[4];
    ssize_t n;

    counter_init(&k, &counter_wvt_flush);
    test_mock_io_init(&m, NULL, NULL, 0);
    fut_async_read_forget(NULL, &tw.waker);
    fut_async_read_forget(&no_rvt, &tw.waker);
    fut_async_read_forget(&k.r, NULL);
    fut_async_write_forget(NULL, &tw.waker);
    fut_async_write_forget(&no_wvt, &tw.waker);
    fut_async_write_forget(&k.w, NULL);
    /* Version 1 tables: the slot is not looked at. */
    fut_async_read_forget(&k.r, &tw.waker);
    fut_async_write_forget(&k.w, &tw.waker);
    fut_async_read_forget(&old, &tw.waker);
    ck_assert_int_eq(fut_async_read_poll_read(&old, &cx, buf, sizeof buf,
                                              &n),
                     FUT_READY);
    ck_assert_int_eq(n, (ssize_t)sizeof buf);
    ck_assert_int_eq(v1_reads, 1);
    /* Version 2 with NULL slots (the mock stores no waker). */
    fut_async_read_forget(&m.reader, &tw.waker);
    fut_async_write_forget(&m.writer, &tw.waker);
    ck_assert_int_eq(k.reads + k.writes + k.flushes + k.closes, 0);

    /* A pipe's slot: an empty waker is ignored, a matching one goes. */
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(fut_async_read_poll_read(&b.reader, &cx, buf,
                                              sizeof buf, &n),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    fut_async_read_forget(&b.reader, &empty);
    ck_assert_int_eq(tw.live, 1);
    fut_async_read_forget(&b.reader, &tw.waker);
    ck_assert_int_eq(tw.live, 0);
    /* Forgetting again, or on a closed end, does nothing. */
    fut_async_read_forget(&b.reader, &tw.waker);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    fut_async_read_forget(&b.reader, &tw.waker);
    fut_async_write_forget(&b.writer, &tw.waker);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(tw.wakes, 0);
}
END_TEST

START_TEST(test_io_init_bad_args)
{
    struct test_mock_io m;
    struct fut_read rd;
    struct fut_read_exact re;
    struct fut_write wr;
    struct fut_write_all wa;
    struct fut_flush fl;
    struct fut_shutdown sd;
    struct fut_copy cp;
    char buf[8];
    size_t huge = (size_t)SSIZE_MAX + 1;

    test_mock_io_init(&m, NULL, NULL, 0);
    ck_assert_int_eq(fut_read_init(NULL, &m.reader, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_read_init(&rd, NULL, buf, 8), -EINVAL);
    /* A failed init leaves a dropped future: polling it is READY and
     * dropping it does nothing. */
    ck_assert_ptr_null(rd.base.vtable);
    ck_assert_int_eq(fut_future_poll(&rd.base, &cx), FUT_READY);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(fut_read_init(&rd, &m.reader, NULL, 8), -EINVAL);
    ck_assert_int_eq(fut_read_init(&rd, &m.reader, buf, huge), -EINVAL);
    ck_assert_int_eq(fut_read_init(&rd, &m.reader, NULL, 0), 0);
    fut_future_drop(&rd.base);

    ck_assert_int_eq(fut_read_exact_init(NULL, &m.reader, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_read_exact_init(&re, NULL, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_read_exact_init(&re, &m.reader, NULL, 8), -EINVAL);
    ck_assert_int_eq(fut_read_exact_init(&re, &m.reader, buf, huge),
                     -EINVAL);

    ck_assert_int_eq(fut_write_init(NULL, &m.writer, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_write_init(&wr, NULL, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_write_init(&wr, &m.writer, NULL, 8), -EINVAL);
    ck_assert_int_eq(fut_write_init(&wr, &m.writer, buf, huge), -EINVAL);

    ck_assert_int_eq(fut_write_all_init(NULL, &m.writer, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_write_all_init(&wa, NULL, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_write_all_init(&wa, &m.writer, NULL, 8), -EINVAL);
    ck_assert_int_eq(fut_write_all_init(&wa, &m.writer, buf, huge), -EINVAL);

    ck_assert_int_eq(fut_flush_init(NULL, &m.writer), -EINVAL);
    ck_assert_int_eq(fut_flush_init(&fl, NULL), -EINVAL);
    ck_assert_int_eq(fut_shutdown_init(NULL, &m.writer), -EINVAL);
    ck_assert_int_eq(fut_shutdown_init(&sd, NULL), -EINVAL);

    ck_assert_int_eq(fut_copy_init(NULL, &m.reader, &m.writer, buf, 8),
                     -EINVAL);
    ck_assert_int_eq(fut_copy_init(&cp, NULL, &m.writer, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_copy_init(&cp, &m.reader, NULL, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_copy_init(&cp, &m.reader, &m.writer, NULL, 8),
                     -EINVAL);
    ck_assert_int_eq(fut_copy_init(&cp, &m.reader, &m.writer, buf, 0),
                     -EINVAL);
    ck_assert_ptr_null(cp.base.vtable);
}
END_TEST

/* ---- read ---------------------------------------------------------------- */

START_TEST(test_io_read_basic)
{
    static const struct test_io_step rs[] = {
        STEP_PENDING, STEP_DATA("hello"), STEP_ERROR(-ECONNRESET), STEP_END
    };
    struct test_mock_io m;
    struct fut_read f;
    char buf[16];

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_read_init(&f, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 5);
    ck_assert_mem_eq(buf, "hello", 5);
    ck_assert_int_eq(fut_future_result(&f.base), 0);
    /* Fused: the same answer, and the reader is not touched again. */
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 5);
    ck_assert_uint_eq(m.rpos, 2);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_read_init(&f, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -ECONNRESET);
    ck_assert_int_eq(fut_future_result(&f.base), -ECONNRESET);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_read_init(&f, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    fut_future_drop(&f.base);

    /* Zero length: READY with 0 at once, even with data waiting. */
    test_mock_io_init(&m, rs + 1, NULL, 0);
    ck_assert_int_eq(fut_read_init(&f, &m.reader, buf, 0), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_uint_eq(m.rpos, 0);
    fut_future_drop(&f.base);
}
END_TEST

/* ---- read_exact ---------------------------------------------------------- */

START_TEST(test_io_read_exact_basic)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("0123"), STEP_PENDING, STEP_DATA("456789"), STEP_END
    };
    struct test_mock_io m;
    struct fut_read_exact f;
    char buf[10];
    int polls;

    test_mock_io_init(&m, rs, NULL, 3);
    ck_assert_int_eq(fut_read_exact_init(&f, &m.reader, buf, 10), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(f.done, 4);
    polls = test_poll_until_ready(&f.base, &cx, 10);
    ck_assert_int_eq(polls, 1);
    ck_assert_int_eq(f.res, 0);
    ck_assert_uint_eq(f.done, 10);
    ck_assert_mem_eq(buf, "0123456789", 10);
    ck_assert_int_eq(fut_future_result(&f.base), 0);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_io_read_exact_short)
{
    static const struct test_io_step eof[] = { STEP_DATA("abc"), STEP_END };
    static const struct test_io_step err[] = { STEP_DATA("ab"),
                                               STEP_ERROR(-EIO) };
    struct test_mock_io m;
    struct fut_read_exact f;
    char buf[8];

    test_mock_io_init(&m, eof, NULL, 0);
    ck_assert_int_eq(fut_read_exact_init(&f, &m.reader, buf, 8), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -ENODATA);
    ck_assert_uint_eq(f.done, 3);
    ck_assert_mem_eq(buf, "abc", 3);
    ck_assert_int_eq(fut_future_result(&f.base), -ENODATA);
    fut_future_drop(&f.base);

    test_mock_io_init(&m, err, NULL, 0);
    ck_assert_int_eq(fut_read_exact_init(&f, &m.reader, buf, 8), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EIO);
    ck_assert_uint_eq(f.done, 2);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EIO);
    fut_future_drop(&f.base);

    /* Zero bytes are read at once, even from a reader at EOF. */
    test_mock_io_init(&m, NULL, NULL, 0);
    ck_assert_int_eq(fut_read_exact_init(&f, &m.reader, buf, 0), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    fut_future_drop(&f.base);
}
END_TEST

/* ---- write and write_all ------------------------------------------------- */

START_TEST(test_io_write_basic)
{
    static const struct test_io_step ws[] = {
        STEP_PENDING, STEP_DATA("hello world"), STEP_ERROR(-ECONNRESET),
        STEP_END
    };
    struct test_mock_io m;
    struct fut_write f;

    test_mock_io_init(&m, NULL, ws, 4);
    ck_assert_int_eq(fut_write_init(&f, &m.writer, "hello world", 11), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    /* One write, limited by max_chunk: a short write is a success. */
    ck_assert_int_eq(f.res, 4);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_uint_eq(m.nwritten, 4);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_write_init(&f, &m.writer, "o world", 7), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 4);
    ck_assert_int_eq(m.mismatch, 0);
    fut_future_drop(&f.base);

    /* A write that differs from the script is caught by the mock. */
    ck_assert_int_eq(fut_write_init(&f, &m.writer, "XYZ", 3), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 3);
    ck_assert_int_eq(m.mismatch, 1);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_write_init(&f, &m.writer, "x", 1), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -ECONNRESET);
    ck_assert_int_eq(fut_future_result(&f.base), -ECONNRESET);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_write_init(&f, &m.writer, "x", 1), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EPIPE);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_io_write_all_basic)
{
    static const struct test_io_step ws[] = {
        STEP_DATA("abc"), STEP_PENDING, STEP_DATA("defghij"), STEP_END
    };
    struct test_mock_io m;
    struct fut_write_all f;

    test_mock_io_init(&m, NULL, ws, 2);
    ck_assert_int_eq(fut_write_all_init(&f, &m.writer, "abcdefghij", 10), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(f.done, 3);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_uint_eq(f.done, 10);
    ck_assert_uint_eq(m.nwritten, 10);
    ck_assert_mem_eq(m.written, "abcdefghij", 10);
    ck_assert_int_eq(m.mismatch, 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(fut_future_result(&f.base), 0);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_io_write_all_errors)
{
    static const struct test_io_step ws[] = { STEP_DATA("abc"), STEP_END };
    static const struct test_io_step werr[] = { STEP_DATA("a"),
                                                STEP_ERROR(-ENOSPC) };
    struct test_mock_io m;
    struct counter k;
    struct fut_write_all f;

    /* The script ends after 3 bytes: the rest meets -EPIPE. */
    test_mock_io_init(&m, NULL, ws, 0);
    ck_assert_int_eq(fut_write_all_init(&f, &m.writer, "abcdef", 6), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EPIPE);
    ck_assert_uint_eq(f.done, 3);
    fut_future_drop(&f.base);

    test_mock_io_init(&m, NULL, werr, 0);
    ck_assert_int_eq(fut_write_all_init(&f, &m.writer, "abc", 3), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -ENOSPC);
    ck_assert_int_eq(fut_future_result(&f.base), -ENOSPC);
    ck_assert_uint_eq(f.done, 1);
    fut_future_drop(&f.base);

    /* A writer that accepts zero bytes is a broken pipe, not a spin. */
    counter_init(&k, &counter_wvt_bare);
    ck_assert_int_eq(fut_write_all_init(&f, &k.w, "abc", 3), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EPIPE);
    ck_assert_int_eq(k.writes, 1);
    fut_future_drop(&f.base);

    /* Zero length: nothing to write, nothing called. */
    ck_assert_int_eq(fut_write_all_init(&f, &k.w, NULL, 0), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_int_eq(k.writes, 1);
    fut_future_drop(&f.base);
}
END_TEST

/* ---- flush and shutdown -------------------------------------------------- */

START_TEST(test_io_flush_basic)
{
    static const struct test_io_step ws[] = { STEP_PENDING, STEP_PENDING,
                                              STEP_ERROR(-EIO), STEP_END };
    struct test_mock_io m;
    struct fut_flush f;

    test_mock_io_init(&m, NULL, ws, 0);
    ck_assert_int_eq(fut_flush_init(&f, &m.writer), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.wakes, 2);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EIO);
    ck_assert_int_eq(fut_future_result(&f.base), -EIO);
    ck_assert_int_eq(m.flushes, 0);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_flush_init(&f, &m.writer), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_int_eq(m.flushes, 1);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(m.flushes, 1);
    ck_assert_int_eq(m.closes, 0);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_io_shutdown_basic)
{
    static const struct test_io_step ws[] = { STEP_PENDING, STEP_END };
    struct test_mock_io m;
    struct counter k;
    struct fut_shutdown f;

    test_mock_io_init(&m, NULL, ws, 0);
    ck_assert_int_eq(fut_shutdown_init(&f, &m.writer), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_int_eq(m.closes, 1);
    ck_assert_int_eq(m.flushes, 0);
    fut_future_drop(&f.base);

    /* Without a close slot, shutdown is a flush. */
    counter_init(&k, &counter_wvt_flush);
    ck_assert_int_eq(fut_shutdown_init(&f, &k.w), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_int_eq(k.flushes, 1);
    fut_future_drop(&f.base);
}
END_TEST

/* ---- copy ---------------------------------------------------------------- */

START_TEST(test_io_copy_basic)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("The quick "), STEP_PENDING, STEP_DATA("brown fox "),
        STEP_DATA("jumps over the lazy dog"), STEP_END
    };
    static const struct test_io_step ws[] = {
        STEP_DATA("The quick brown fox "), STEP_PENDING,
        STEP_DATA("jumps over the lazy dog"), STEP_END
    };
    static const char all[] = "The quick brown fox jumps over the lazy dog";
    struct test_mock_io src;
    struct test_mock_io dst;
    struct fut_copy f;
    unsigned char buf[7];
    int polls;

    test_mock_io_init(&src, rs, NULL, 0);
    test_mock_io_init(&dst, NULL, ws, 3);
    ck_assert_int_eq(fut_copy_init(&f, &src.reader, &dst.writer, buf,
                                   sizeof(buf)),
                     0);
    polls = test_poll_until_ready(&f.base, &cx, 100);
    ck_assert_int_gt(polls, 0);
    ck_assert_int_eq(f.res, 0);
    ck_assert_uint_eq(f.total, sizeof(all) - 1);
    ck_assert_uint_eq(dst.nwritten, sizeof(all) - 1);
    ck_assert_mem_eq(dst.written, all, sizeof(all) - 1);
    ck_assert_int_eq(dst.mismatch, 0);
    /* The final flush happened, once the reader reached EOF. */
    ck_assert_int_ge(dst.flushes, 1);
    ck_assert_int_eq(fut_future_result(&f.base), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_uint_eq(f.total, sizeof(all) - 1);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_io_copy_flushes_while_waiting)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("ab"), STEP_PENDING, STEP_PENDING, STEP_DATA("cd"), STEP_END
    };
    static const struct test_io_step ws[] = { STEP_DATA("abcd"), STEP_END };
    struct test_mock_io src;
    struct test_mock_io dst;
    struct fut_copy f;
    unsigned char buf[16];

    test_mock_io_init(&src, rs, NULL, 0);
    test_mock_io_init(&dst, NULL, ws, 0);
    ck_assert_int_eq(fut_copy_init(&f, &src.reader, &dst.writer, buf, 16), 0);
    /* "ab" went out; the reader waits, so the writer is flushed. */
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(f.total, 2);
    ck_assert_int_eq(dst.flushes, 1);
    /* Nothing new written: no second flush while still waiting. */
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(dst.flushes, 1);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_uint_eq(f.total, 4);
    ck_assert_int_eq(dst.flushes, 2);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_io_copy_errors)
{
    static const struct test_io_step rs[] = { STEP_DATA("abcdef"),
                                              STEP_ERROR(-ECONNRESET) };
    static const struct test_io_step rs_ok[] = { STEP_DATA("abcdef"),
                                                 STEP_END };
    static const struct test_io_step ws_ok[] = { STEP_DATA("abcdef"),
                                                 STEP_END };
    static const struct test_io_step ws_short[] = { STEP_DATA("abc"),
                                                    STEP_END };
    static const struct test_io_step ws_err[] = { STEP_DATA("ab"),
                                                  STEP_ERROR(-ENOSPC) };
    static const struct test_io_step ws_flush[] = {
        STEP_DATA("abcdef"), STEP_ERROR(-EIO)
    };
    struct test_mock_io src;
    struct test_mock_io dst;
    struct counter k;
    struct fut_copy f;
    unsigned char buf[4];

    /* A read error ends the copy; what was written is counted. */
    test_mock_io_init(&src, rs, NULL, 0);
    test_mock_io_init(&dst, NULL, ws_ok, 0);
    ck_assert_int_eq(fut_copy_init(&f, &src.reader, &dst.writer, buf, 4), 0);
    ck_assert_int_eq(test_poll_until_ready(&f.base, &cx, 10), 1);
    ck_assert_int_eq(f.res, -ECONNRESET);
    ck_assert_int_eq(fut_future_result(&f.base), -ECONNRESET);
    ck_assert_uint_eq(f.total, 6);
    fut_future_drop(&f.base);

    /* The writer goes away. */
    test_mock_io_init(&src, rs_ok, NULL, 0);
    test_mock_io_init(&dst, NULL, ws_short, 0);
    ck_assert_int_eq(fut_copy_init(&f, &src.reader, &dst.writer, buf, 4), 0);
    ck_assert_int_eq(test_poll_until_ready(&f.base, &cx, 10), 1);
    ck_assert_int_eq(f.res, -EPIPE);
    ck_assert_uint_eq(f.total, 3);
    fut_future_drop(&f.base);

    /* A write error. */
    test_mock_io_init(&src, rs_ok, NULL, 0);
    test_mock_io_init(&dst, NULL, ws_err, 0);
    ck_assert_int_eq(fut_copy_init(&f, &src.reader, &dst.writer, buf, 4), 0);
    ck_assert_int_eq(test_poll_until_ready(&f.base, &cx, 10), 1);
    ck_assert_int_eq(f.res, -ENOSPC);
    ck_assert_uint_eq(f.total, 2);
    fut_future_drop(&f.base);

    /* The final flush fails. */
    test_mock_io_init(&src, rs_ok, NULL, 0);
    test_mock_io_init(&dst, NULL, ws_flush, 0);
    ck_assert_int_eq(fut_copy_init(&f, &src.reader, &dst.writer, buf, 4), 0);
    ck_assert_int_eq(test_poll_until_ready(&f.base, &cx, 10), 1);
    ck_assert_int_eq(f.res, -EIO);
    ck_assert_uint_eq(f.total, 6);
    fut_future_drop(&f.base);

    /* A writer that accepts nothing. */
    test_mock_io_init(&src, rs_ok, NULL, 0);
    counter_init(&k, &counter_wvt_bare);
    ck_assert_int_eq(fut_copy_init(&f, &src.reader, &k.w, buf, 4), 0);
    ck_assert_int_eq(test_poll_until_ready(&f.base, &cx, 10), 1);
    ck_assert_int_eq(f.res, -EPIPE);
    ck_assert_uint_eq(f.total, 0);
    ck_assert_int_eq(k.writes, 1);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_io_copy_pipes)
{
    /* src_w -> src_r --copy--> dst_w -> dst_r, each pipe 5 bytes deep,
     * driven by hand: the copy and the two ends take turns. */
    struct fut_pipe_end src_w;
    struct fut_pipe_end src_r;
    struct fut_pipe_end dst_w;
    struct fut_pipe_end dst_r;
    struct fut_copy f;
    unsigned char in[3000];
    unsigned char out[3000];
    unsigned char buf[8];
    size_t sent = 0;
    size_t got = 0;
    ssize_t n;
    int i;
    int ready = 0;

    for (i = 0; i < (int)sizeof(in); i++)
        in[i] = (unsigned char)(i * 7 + i / 256);
    ck_assert_int_eq(fut_pipe_new(&src_w, &src_r, 5), 0);
    ck_assert_int_eq(fut_pipe_new(&dst_w, &dst_r, 5), 0);
    ck_assert_int_eq(fut_copy_init(&f, &src_r.reader, &dst_w.writer, buf,
                                   sizeof(buf)),
                     0);
    for (i = 0; i < 100000 && !ready; i++) {
        if (sent < sizeof(in)) {
            if (fut_async_write_poll_write(&src_w.writer, &cx, in + sent,
                                           sizeof(in) - sent,
                                           &n) == FUT_READY) {
                ck_assert_int_gt(n, 0);
                sent += (size_t)n;
            }
            if (sent == sizeof(in))
                ck_assert_int_eq(fut_pipe_end_close(&src_w), 0);
        }
        ready = fut_future_poll(&f.base, &cx) == FUT_READY;
        if (fut_async_read_poll_read(&dst_r.reader, &cx, out + got,
                                     sizeof(out) - got, &n) == FUT_READY) {
            ck_assert_int_gt(n, 0);
            got += (size_t)n;
        }
    }
    ck_assert(ready);
    ck_assert_int_eq(f.res, 0);
    ck_assert_uint_eq(f.total, sizeof(in));
    while (got < sizeof(out)) {
        ck_assert_int_eq(fut_async_read_poll_read(&dst_r.reader, &cx,
                                                  out + got,
                                                  sizeof(out) - got, &n),
                         FUT_READY);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    ck_assert_mem_eq(in, out, sizeof(in));
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_pipe_end_close(&src_r), 0);
    ck_assert_int_eq(fut_pipe_end_close(&dst_w), 0);
    ck_assert_int_eq(fut_pipe_end_close(&dst_r), 0);
}
END_TEST

/* ---- drop after N polls -----------------------------------------------------
 *
 * The loop index is the number of polls before the drop. The futures run
 * over pipes, which keep a clone of the waker while a future waits, so a
 * waker that outlives the pipe shows up in tw.live; the test's data source
 * makes progress between polls so every state is reached.
 */

START_TEST(test_io_read_drop_after_n_polls)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_read f;
    char buf[8];
    char rest[8];
    ssize_t n;
    int k;
    int ready = 0;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(fut_read_init(&f, &b.reader, buf, sizeof(buf)), 0);
    for (k = 0; k < _i; k++) {
        if (fut_future_poll(&f.base, &cx) == FUT_READY) {
            ready = 1;
            break;
        }
        /* Pending: the pipe holds our waker. */
        ck_assert_int_eq(tw.live, 1);
        pipe_feed(&a, "abc", 3);
    }
    fut_future_drop(&f.base);
    ck_assert_ptr_null(f.base.vtable);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    if (ready) {
        ck_assert_int_eq(f.res, 3);
        ck_assert_mem_eq(buf, "abc", 3);
    } else if (_i > 0) {
        /* The read is cancel-safe: the bytes it did not take are still
         * in the pipe. */
        ck_assert_int_eq(fut_async_read_poll_read(&b.reader, &cx, rest,
                                                  sizeof(rest), &n),
                         FUT_READY);
        ck_assert_int_eq(n, 3);
        ck_assert_mem_eq(rest, "abc", 3);
    }
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

START_TEST(test_io_read_exact_drop_after_n_polls)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_read_exact f;
    char buf[10];
    int k;
    int ready = 0;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 3), 0);
    ck_assert_int_eq(fut_read_exact_init(&f, &b.reader, buf, sizeof(buf)),
                     0);
    for (k = 0; k < _i; k++) {
        if (fut_future_poll(&f.base, &cx) == FUT_READY) {
            ready = 1;
            break;
        }
        ck_assert_int_eq(tw.live, 1);
        pipe_feed(&a, "xyz", 3);
    }
    ck_assert_uint_le(f.done, sizeof(buf));
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    if (ready) {
        ck_assert_int_eq(f.res, 0);
        ck_assert_mem_eq(buf, "xyzxyzxyzx", 10);
    }
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

/* Read everything buffered in the pipe towards @e, to make room. */
static size_t
pipe_drain(struct fut_pipe_end *e)
{
    struct fut_context ncx = test_noop_cx();
    char tmp[64];
    ssize_t n;
    size_t total = 0;

    while (fut_async_read_poll_read(&e->reader, &ncx, tmp, sizeof(tmp), &n) ==
               FUT_READY &&
           n > 0)
        total += (size_t)n;
    return total;
}

START_TEST(test_io_write_drop_after_n_polls)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_write f;
    int k;
    int ready = 0;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    pipe_feed(&a, "full", 4);
    ck_assert_int_eq(fut_write_init(&f, &a.writer, "hello", 5), 0);
    for (k = 0; k < _i; k++) {
        if (fut_future_poll(&f.base, &cx) == FUT_READY) {
            ready = 1;
            break;
        }
        ck_assert_int_eq(tw.live, 1);
        ck_assert_uint_eq(pipe_drain(&b), 4);
        /* The drain made room and woke the waiting writer. */
        ck_assert_int_eq(tw.live, 0);
        ck_assert_int_eq(tw.wakes, k + 1);
    }
    fut_future_drop(&f.base);
    if (ready) {
        ck_assert_int_eq(f.res, 4);
        ck_assert_uint_eq(pipe_drain(&b), 4);
    }
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

START_TEST(test_io_write_all_drop_after_n_polls)
{
    static const char msg[] = "0123456789abcdef";
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_write_all f;
    size_t drained = 0;
    int k;
    int ready = 0;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 5), 0);
    ck_assert_int_eq(fut_write_all_init(&f, &a.writer, msg, 16), 0);
    for (k = 0; k < _i; k++) {
        if (fut_future_poll(&f.base, &cx) == FUT_READY) {
            ready = 1;
            break;
        }
        ck_assert_int_eq(tw.live, 1);
        drained += pipe_drain(&b);
    }
    drained += pipe_drain(&b);
    /* Whatever write_all reports as done is exactly what went through. */
    ck_assert_uint_eq(drained, f.done);
    fut_future_drop(&f.base);
    if (ready)
        ck_assert_int_eq(f.res, 0);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

START_TEST(test_io_flush_drop_after_n_polls)
{
    static const struct test_io_step ws[] = { STEP_PENDING, STEP_PENDING,
                                              STEP_PENDING, STEP_END };
    struct test_mock_io m;
    struct fut_flush f;
    int k;

    test_mock_io_init(&m, NULL, ws, 0);
    ck_assert_int_eq(fut_flush_init(&f, &m.writer), 0);
    for (k = 0; k < _i; k++)
        if (fut_future_poll(&f.base, &cx) == FUT_READY)
            break;
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(m.flushes, _i > 3 ? 1 : 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_io_shutdown_drop_after_n_polls)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_shutdown f;
    struct fut_read rd;
    char c;
    int k;

    /* Over a pipe: shutdown is ready at once; the peer's pending read is
     * woken by it and sees EOF. */
    ck_assert_int_eq(fut_pipe_new(&a, &b, 4), 0);
    ck_assert_int_eq(fut_read_init(&rd, &b.reader, &c, 1), 0);
    ck_assert_int_eq(fut_future_poll(&rd.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_shutdown_init(&f, &a.writer), 0);
    for (k = 0; k < _i; k++)
        if (fut_future_poll(&f.base, &cx) == FUT_READY)
            break;
    fut_future_drop(&f.base);
    if (_i > 0) {
        ck_assert_int_eq(f.res, 0);
        ck_assert_int_eq(tw.wakes, 1);
        ck_assert_int_eq(fut_future_poll(&rd.base, &cx), FUT_READY);
        ck_assert_int_eq(rd.res, 0);
    } else {
        ck_assert_int_eq(tw.live, 1);
    }
    fut_future_drop(&rd.base);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

START_TEST(test_io_copy_drop_after_n_polls)
{
    static const char msg[] = "copy me through two small pipes";
    struct fut_pipe_end src_w;
    struct fut_pipe_end src_r;
    struct fut_pipe_end dst_w;
    struct fut_pipe_end dst_r;
    struct fut_copy f;
    unsigned char buf[4];
    size_t sent = 0;
    ssize_t n;
    int k;
    int src_open = 1;

    ck_assert_int_eq(fut_pipe_new(&src_w, &src_r, 6), 0);
    ck_assert_int_eq(fut_pipe_new(&dst_w, &dst_r, 3), 0);
    ck_assert_int_eq(fut_copy_init(&f, &src_r.reader, &dst_w.writer, buf,
                                   sizeof(buf)),
                     0);
    for (k = 0; k < _i; k++) {
        if (fut_future_poll(&f.base, &cx) == FUT_READY)
            break;
        /* Waiting on one of the pipes, which holds the waker. */
        ck_assert_int_ge(tw.live, 1);
        if (sent < sizeof(msg) - 1 &&
            fut_async_write_poll_write(&src_w.writer, &cx, msg + sent,
                                       sizeof(msg) - 1 - sent,
                                       &n) == FUT_READY)
            sent += (size_t)n;
        else if (sent == sizeof(msg) - 1 && src_open) {
            ck_assert_int_eq(fut_pipe_end_close(&src_w), 0);
            src_open = 0;
        }
        pipe_drain(&dst_r);
    }
    ck_assert_uint_le(f.total, sent);
    fut_future_drop(&f.base);
    if (src_open)
        ck_assert_int_eq(fut_pipe_end_close(&src_w), 0);
    ck_assert_int_eq(fut_pipe_end_close(&src_r), 0);
    ck_assert_int_eq(fut_pipe_end_close(&dst_w), 0);
    ck_assert_int_eq(fut_pipe_end_close(&dst_r), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

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
fut_test_io_suite(void)
{
    Suite *s = suite_create("io");

    tcase_add_test(tcase(s, "wrapper_bad_args"), test_io_wrapper_bad_args);
    tcase_add_test(tcase(s, "wrapper_zero_length"),
                   test_io_wrapper_zero_length);
    tcase_add_test(tcase(s, "wrapper_readv_fallback"),
                   test_io_wrapper_readv_fallback);
    tcase_add_test(tcase(s, "wrapper_writev_fallback"),
                   test_io_wrapper_writev_fallback);
    tcase_add_test(tcase(s, "wrapper_flush_close_defaults"),
                   test_io_wrapper_flush_close_defaults);
    tcase_add_test(tcase(s, "wrapper_forget"), test_io_wrapper_forget);
    tcase_add_test(tcase(s, "init_bad_args"), test_io_init_bad_args);
    tcase_add_test(tcase(s, "read"), test_io_read_basic);
    tcase_add_test(tcase(s, "read_exact"), test_io_read_exact_basic);
    tcase_add_test(tcase(s, "read_exact_short"), test_io_read_exact_short);
    tcase_add_test(tcase(s, "write"), test_io_write_basic);
    tcase_add_test(tcase(s, "write_all"), test_io_write_all_basic);
    tcase_add_test(tcase(s, "write_all_errors"), test_io_write_all_errors);
    tcase_add_test(tcase(s, "flush"), test_io_flush_basic);
    tcase_add_test(tcase(s, "shutdown"), test_io_shutdown_basic);
    tcase_add_test(tcase(s, "copy"), test_io_copy_basic);
    tcase_add_test(tcase(s, "copy_flushes_while_waiting"),
                   test_io_copy_flushes_while_waiting);
    tcase_add_test(tcase(s, "copy_errors"), test_io_copy_errors);
    tcase_add_test(tcase(s, "copy_pipes"), test_io_copy_pipes);
    tcase_add_loop_test(tcase(s, "read_drop"),
                        test_io_read_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tcase(s, "read_exact_drop"),
                        test_io_read_exact_drop_after_n_polls, 0, 7);
    tcase_add_loop_test(tcase(s, "write_drop"),
                        test_io_write_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tcase(s, "write_all_drop"),
                        test_io_write_all_drop_after_n_polls, 0, 8);
    tcase_add_loop_test(tcase(s, "flush_drop"),
                        test_io_flush_drop_after_n_polls, 0, 6);
    tcase_add_loop_test(tcase(s, "shutdown_drop"),
                        test_io_shutdown_drop_after_n_polls, 0, 3);
    tcase_add_loop_test(tcase(s, "copy_drop"),
                        test_io_copy_drop_after_n_polls, 0, 40);
    return s;
}
