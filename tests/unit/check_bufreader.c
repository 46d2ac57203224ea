/* SPDX-License-Identifier: MIT */
/* Unit tests for the buffered reader and read_until / read_line. */
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

/* Read through the bufreader's AsyncRead; -EINPROGRESS for PENDING. */
static ssize_t
br_read(struct fut_bufreader *br, void *buf, size_t len)
{
    ssize_t n;

    if (fut_async_read_poll_read(&br->reader, &cx, buf, len, &n) ==
        FUT_PENDING)
        return -EINPROGRESS;
    return n;
}

START_TEST(test_bufreader_init_bad_args)
{
    struct test_mock_io m;
    struct fut_bufreader br;
    unsigned char buf[8];
    const void *data;
    size_t len;
    ssize_t res;

    test_mock_io_init(&m, NULL, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(NULL, &m.reader, buf, 8), -EINVAL);
    ck_assert_int_eq(fut_bufreader_init(&br, NULL, buf, 8), -EINVAL);
    /* A failed init leaves a reader that answers -EINVAL. */
    ck_assert_int_eq(br_read(&br, buf, 1), -EINVAL);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, NULL, 8), -EINVAL);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, 0), -EINVAL);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf,
                                        ((size_t)1 << 30) + 1),
                     -EINVAL);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, SIZE_MAX),
                     -EINVAL);
    ck_assert_int_eq(fut_bufreader_init(&br, &br.reader, buf, 8), -EINVAL);
    res = 7;
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);

    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, 8), 0);
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, NULL),
                     FUT_READY);
    res = 7;
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(NULL, &cx, &data, &len,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 7;
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, NULL, &data, &len,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 7;
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, NULL, &len, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 7;
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, NULL,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    /* NULL is harmless for the two plain accessors. */
    fut_bufreader_consume(NULL, 3);
    ck_assert_uint_eq(fut_bufreader_buffered(NULL), 0);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 0);
}
END_TEST

START_TEST(test_bufreader_fill_consume)
{
    static const struct test_io_step rs[] = {
        STEP_PENDING, STEP_DATA("hello world"), STEP_ERROR(-EIO), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    unsigned char buf[4];
    const void *data;
    size_t len;
    ssize_t res;

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_uint_eq(len, 4);
    ck_assert_mem_eq(data, "hell", 4);
    fut_bufreader_consume(&br, 2);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 2);
    /* Buffered bytes are served without touching the inner reader. */
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_READY);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(data, "ll", 2);
    ck_assert_uint_eq(m.roff, 4);
    /* consume is clamped to what is buffered. */
    fut_bufreader_consume(&br, 100);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 0);
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_READY);
    ck_assert_uint_eq(len, 4);
    ck_assert_mem_eq(data, "o wo", 4);
    fut_bufreader_consume(&br, 4);
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_READY);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(data, "rld", 3);
    fut_bufreader_consume(&br, 3);
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EIO);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(fut_bufreader_poll_fill_buf(&br, &cx, &data, &len, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_bufreader_read_small)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("abcdefghijklmnop"), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    unsigned char buf[8];
    char out[16];

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    /* A small read fills the whole buffer once... */
    ck_assert_int_eq(br_read(&br, out, 3), 3);
    ck_assert_mem_eq(out, "abc", 3);
    ck_assert_uint_eq(m.roff, 8);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 5);
    /* ...and the next ones come from it. */
    ck_assert_int_eq(br_read(&br, out, 3), 3);
    ck_assert_mem_eq(out, "def", 3);
    /* A large read while bytes are buffered returns only those. */
    ck_assert_int_eq(br_read(&br, out, 16), 2);
    ck_assert_mem_eq(out, "gh", 2);
    ck_assert_uint_eq(m.roff, 8);
    ck_assert_int_eq(br_read(&br, out, 3), 3);
    ck_assert_mem_eq(out, "ijk", 3);
    ck_assert_int_eq(br_read(&br, out, 16), 5);
    ck_assert_mem_eq(out, "lmnop", 5);
    ck_assert_int_eq(br_read(&br, out, 16), 0);
    ck_assert_int_eq(br_read(&br, out, 1), 0);
}
END_TEST

START_TEST(test_bufreader_read_bypass)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("0123456789abcdef"), STEP_PENDING, STEP_DATA("XY"),
        STEP_ERROR(-ECONNRESET), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    unsigned char buf[4];
    char out[16];

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    /* Empty buffer, read at least as big as it: straight through, more
     * bytes than the buffer could hold. */
    ck_assert_int_eq(br_read(&br, out, 16), 16);
    ck_assert_mem_eq(out, "0123456789abcdef", 16);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 0);
    ck_assert_int_eq(br_read(&br, out, 4), -EINPROGRESS);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(br_read(&br, out, 4), 2);
    ck_assert_mem_eq(out, "XY", 2);
    ck_assert_int_eq(br_read(&br, out, 4), -ECONNRESET);
    ck_assert_int_eq(br_read(&br, out, 4), 0);
}
END_TEST

START_TEST(test_bufreader_readv)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("abcdefghij"), STEP_DATA("0123456789"), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    unsigned char buf[6];
    char x[2];
    char y[3];
    char z[8];
    struct iovec small[2] = { { x, 2 }, { y, 3 } };
    struct iovec big[2] = { { x, 2 }, { z, 8 } };
    ssize_t n;

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    /* 5 bytes asked, buffer of 6: through the buffer, scattered. */
    ck_assert_int_eq(fut_async_read_poll_readv(&br.reader, &cx, small, 2, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 5);
    ck_assert_mem_eq(x, "ab", 2);
    ck_assert_mem_eq(y, "cde", 3);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 1);
    ck_assert_int_eq(fut_async_read_poll_readv(&br.reader, &cx, big, 2, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 1);
    ck_assert_mem_eq(x, "f", 1);
    /* Empty buffer and 10 bytes asked: bypass; the mock has no readv, so
     * the inner read fills the first iovec only. */
    ck_assert_int_eq(fut_async_read_poll_readv(&br.reader, &cx, big, 2, &n),
                     FUT_READY);
    ck_assert_int_eq(n, 2);
    ck_assert_mem_eq(x, "gh", 2);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 0);
}
END_TEST

START_TEST(test_bufreader_as_reader)
{
    /* A bufreader is an AsyncRead like any other: read_exact over it. */
    static const struct test_io_step rs[] = {
        STEP_DATA("xyz"), STEP_PENDING, STEP_DATA("uvw"), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    struct fut_read_exact f;
    unsigned char buf[4];
    char out[6];

    test_mock_io_init(&m, rs, NULL, 2);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_read_exact_init(&f, &br.reader, out, 6), 0);
    ck_assert_int_eq(test_poll_until_ready(&f.base, &cx, 10), 2);
    ck_assert_int_eq(f.res, 0);
    ck_assert_mem_eq(out, "xyzuvw", 6);
    fut_future_drop(&f.base);
}
END_TEST

/* ---- read_until ---------------------------------------------------------- */

START_TEST(test_bufreader_read_until_init_bad_args)
{
    struct test_mock_io m;
    struct fut_bufreader br;
    struct fut_read_until f;
    struct fut_read_line lf;
    unsigned char buf[8];
    char out[8];

    test_mock_io_init(&m, NULL, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_read_until_init(NULL, &br, '\n', out, 8), -EINVAL);
    ck_assert_int_eq(fut_read_until_init(&f, NULL, '\n', out, 8), -EINVAL);
    ck_assert_ptr_null(f.base.vtable);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_read_until_init(&f, &br, '\n', NULL, 8), -EINVAL);
    ck_assert_int_eq(fut_read_until_init(&f, &br, '\n', out, 0), -EINVAL);
    ck_assert_int_eq(fut_read_until_init(&f, &br, -1, out, 8), -EINVAL);
    ck_assert_int_eq(fut_read_until_init(&f, &br, 256, out, 8), -EINVAL);
    ck_assert_int_eq(fut_read_until_init(&f, &br, '\n', out,
                                         (size_t)SSIZE_MAX + 1),
                     -EINVAL);
    ck_assert_int_eq(fut_read_line_init(NULL, &br, out, 8), -EINVAL);
    ck_assert_int_eq(fut_read_line_init(&lf, &br, out, 0), -EINVAL);
    ck_assert_int_eq(fut_read_until_init(&f, &br, 0, out, 8), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_read_until_init(&f, &br, 255, out, 8), 0);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_bufreader_read_line)
{
    /* Lines split across reads and across buffer refills. */
    static const struct test_io_step rs[] = {
        STEP_DATA("first li"), STEP_PENDING, STEP_DATA("ne\nsecond\n\nla"),
        STEP_DATA("st"), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    struct fut_read_line f;
    unsigned char buf[5];
    char out[32];

    test_mock_io_init(&m, rs, NULL, 3);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);

    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(f.len, 8);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 11);
    ck_assert_uint_eq(f.len, 11);
    ck_assert_mem_eq(out, "first line\n", 11);
    ck_assert_int_eq(fut_future_result(&f.base), 0);
    /* Fused: nothing more is consumed. */
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 11);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 7);
    ck_assert_mem_eq(out, "second\n", 7);
    fut_future_drop(&f.base);

    /* An empty line is the delimiter alone. */
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 1);
    ck_assert_mem_eq(out, "\n", 1);
    fut_future_drop(&f.base);

    /* EOF before the delimiter: the partial line, as a count. */
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 4);
    ck_assert_mem_eq(out, "last", 4);
    fut_future_drop(&f.base);

    /* EOF with nothing read: 0. */
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 0);
    ck_assert_uint_eq(f.len, 0);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_bufreader_read_until_delims)
{
    static const char data[] = "a,b\0c,";
    static const struct test_io_step rs[] = {
        { TEST_IO_DATA, data, sizeof(data) - 1, 0 }, STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    struct fut_read_until f;
    unsigned char buf[16];
    char out[8];

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_read_until_init(&f, &br, ',', out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 2);
    ck_assert_mem_eq(out, "a,", 2);
    fut_future_drop(&f.base);
    /* A NUL delimiter works like any other byte. */
    ck_assert_int_eq(fut_read_until_init(&f, &br, 0, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 2);
    ck_assert_mem_eq(out, "b\0", 2);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_read_until_init(&f, &br, ',', out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 2);
    ck_assert_mem_eq(out, "c,", 2);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_bufreader_read_until_msgsize)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("abcdefgh\nwxyz\n"), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    struct fut_read_line f;
    unsigned char buf[32];
    char out[8];

    test_mock_io_init(&m, rs, NULL, 3);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    /* max 4 with a guard after it: the overlong line stops at 4 bytes,
     * which are kept and reported, and nothing is written beyond. */
    memset(out, '#', sizeof(out));
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, 4), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EMSGSIZE);
    ck_assert_int_eq(fut_future_result(&f.base), -EMSGSIZE);
    ck_assert_uint_eq(f.len, 4);
    ck_assert_mem_eq(out, "abcd####", 8);
    fut_future_drop(&f.base);
    /* Nothing was dropped: the rest of the line is still there. */
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 5);
    ck_assert_mem_eq(out, "efgh\n", 5);
    fut_future_drop(&f.base);
    /* A line of exactly max bytes, delimiter included, fits. */
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, 5), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 5);
    ck_assert_mem_eq(out, "wxyz\n", 5);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_bufreader_read_until_delim_beyond_max)
{
    static const struct test_io_step rs[] = { STEP_DATA("abcdef\n"),
                                              STEP_END };
    struct test_mock_io m;
    struct fut_bufreader br;
    struct fut_read_line f;
    unsigned char buf[16];
    char out[8];

    /* The delimiter is already in the buffer, but past max: it must not
     * be taken, and the bytes after max stay buffered. */
    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, 3), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -EMSGSIZE);
    ck_assert_mem_eq(out, "abc", 3);
    ck_assert_uint_eq(fut_bufreader_buffered(&br), 4);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_bufreader_read_until_error)
{
    static const struct test_io_step rs[] = {
        STEP_DATA("par"), STEP_PENDING, STEP_DATA("tial"),
        STEP_ERROR(-ECONNRESET), STEP_DATA("after\n"), STEP_END
    };
    struct test_mock_io m;
    struct fut_bufreader br;
    struct fut_read_line f;
    unsigned char buf[4];
    char out[16];

    test_mock_io_init(&m, rs, NULL, 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &m.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -ECONNRESET);
    ck_assert_int_eq(fut_future_result(&f.base), -ECONNRESET);
    /* What was gathered before the error is in out and counted. */
    ck_assert_uint_eq(f.len, 7);
    ck_assert_mem_eq(out, "partial", 7);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, -ECONNRESET);
    fut_future_drop(&f.base);
    /* The stream goes on after the error. */
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 6);
    ck_assert_mem_eq(out, "after\n", 6);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_bufreader_read_until_drop_after_n_polls)
{
    static const char msg[] = "hello world\nnext";
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_bufreader br;
    struct fut_read_line f;
    unsigned char buf[4];
    char out[32];
    char rest[32];
    size_t fed = 0;
    size_t n;
    size_t got;
    ssize_t r;
    int k;
    int ready = 0;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 3), 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &b.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    for (k = 0; k < _i; k++) {
        if (fut_future_poll(&f.base, &cx) == FUT_READY) {
            ready = 1;
            break;
        }
        ck_assert_int_eq(tw.live, 1);
        n = sizeof(msg) - 1 - fed < 3 ? sizeof(msg) - 1 - fed : 3;
        if (n > 0) {
            ck_assert_int_eq(fut_async_write_poll_write(&a.writer, &cx,
                                                        msg + fed, n, &r),
                             FUT_READY);
            ck_assert_int_eq(r, (ssize_t)n);
            fed += n;
        }
    }
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    if (ready) {
        ck_assert_int_eq(f.res, 12);
        ck_assert_mem_eq(out, "hello world\n", 12);
    }
    /* No byte is lost or duplicated: what the line took, plus what the
     * bufreader holds, plus what is still in the pipe, is what was fed. */
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    memcpy(rest, out, f.len);
    got = f.len;
    while ((r = br_read(&br, rest + got, sizeof(rest) - got)) > 0)
        got += (size_t)r;
    ck_assert_int_eq(r, 0);
    ck_assert_uint_eq(got, fed);
    ck_assert_mem_eq(rest, msg, fed);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
}
END_TEST

/*
 * read_until dropped while pending: the waker it left in the pipe, through
 * the bufreader, is taken back (the bufreader's forget slot delegates to the
 * inner reader), and the bytes gathered so far are not lost to the reader.
 */
START_TEST(test_bufreader_read_until_drop_forgets_waker)
{
    struct fut_pipe_end a;
    struct fut_pipe_end b;
    struct fut_bufreader br;
    struct fut_read_line f;
    unsigned char buf[4];
    char out[16];
    ssize_t r;
    int wakes;

    ck_assert_int_eq(fut_pipe_new(&a, &b, 8), 0);
    ck_assert_int_eq(fut_bufreader_init(&br, &b.reader, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    /* Half a line: read_until takes it and waits again. */
    ck_assert_int_eq(fut_async_write_poll_write(&a.writer, &cx, "ab", 2, &r),
                     FUT_READY);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(f.len, 2);
    ck_assert_int_eq(tw.live, 1);
    fut_future_drop(&f.base);
    ck_assert_int_eq(tw.live, 0);
    wakes = tw.wakes;
    ck_assert_int_eq(fut_async_write_poll_write(&a.writer, &cx, "c\n", 2,
                                                &r),
                     FUT_READY);
    ck_assert_int_eq(tw.wakes, wakes);
    /* The rest of the line is there for the next reader. */
    ck_assert_int_eq(fut_read_line_init(&f, &br, out, sizeof(out)), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.res, 2);
    ck_assert_mem_eq(out, "c\n", 2);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_pipe_end_close(&a), 0);
    ck_assert_int_eq(fut_pipe_end_close(&b), 0);
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
fut_test_bufreader_suite(void)
{
    Suite *s = suite_create("bufreader");

    tcase_add_test(tcase(s, "init_bad_args"), test_bufreader_init_bad_args);
    tcase_add_test(tcase(s, "fill_consume"), test_bufreader_fill_consume);
    tcase_add_test(tcase(s, "read_small"), test_bufreader_read_small);
    tcase_add_test(tcase(s, "read_bypass"), test_bufreader_read_bypass);
    tcase_add_test(tcase(s, "readv"), test_bufreader_readv);
    tcase_add_test(tcase(s, "as_reader"), test_bufreader_as_reader);
    tcase_add_test(tcase(s, "read_until_init_bad_args"),
                   test_bufreader_read_until_init_bad_args);
    tcase_add_test(tcase(s, "read_line"), test_bufreader_read_line);
    tcase_add_test(tcase(s, "read_until_delims"),
                   test_bufreader_read_until_delims);
    tcase_add_test(tcase(s, "read_until_msgsize"),
                   test_bufreader_read_until_msgsize);
    tcase_add_test(tcase(s, "read_until_delim_beyond_max"),
                   test_bufreader_read_until_delim_beyond_max);
    tcase_add_test(tcase(s, "read_until_error"),
                   test_bufreader_read_until_error);
    tcase_add_loop_test(tcase(s, "read_until_drop"),
                        test_bufreader_read_until_drop_after_n_polls, 0, 10);
    tcase_add_test(tcase(s, "read_until_drop_forgets_waker"),
                   test_bufreader_read_until_drop_forgets_waker);
    return s;
}
