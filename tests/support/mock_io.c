/* SPDX-License-Identifier: MIT */
/* A scripted AsyncRead/AsyncWrite double for the tests. */
#include <string.h>

#include "support.h"

/*
 * The mock implements only the required slots plus flush and close, so the
 * wrappers' fallbacks (readv through poll_read, writev through poll_write)
 * are exercised whenever a test uses it with iovecs.
 *
 * Flush and close also play a PENDING or ERROR step found at the current
 * write position, so scripts can make them wait or fail; any other step is
 * left for the next write.
 */

static size_t
chunk(const struct test_mock_io *m, size_t want, size_t avail)
{
    size_t n = want < avail ? want : avail;

    if (m->max_chunk > 0 && n > m->max_chunk)
        n = m->max_chunk;
    return n;
}

static enum fut_poll
mock_poll_read(struct fut_async_read *self, struct fut_context *cx,
               void *buf, size_t len, ssize_t *res)
{
    struct test_mock_io *m = FUT_CONTAINER_OF(self, struct test_mock_io,
                                              reader);
    const struct test_io_step *st;
    size_t n;

    for (;;) {
        st = m->rsteps == NULL ? NULL : &m->rsteps[m->rpos];
        if (st == NULL || st->kind == TEST_IO_END) {
            *res = 0;
            return FUT_READY;
        }
        switch (st->kind) {
        case TEST_IO_DATA:
            if (m->roff >= st->len) {
                /* An empty (or used up) data step gives nothing. */
                m->rpos++;
                m->roff = 0;
                continue;
            }
            n = chunk(m, len, st->len - m->roff);
            memcpy(buf, st->data + m->roff, n);
            m->roff += n;
            if (m->roff == st->len) {
                m->rpos++;
                m->roff = 0;
            }
            *res = (ssize_t)n;
            return FUT_READY;
        case TEST_IO_PENDING:
            m->rpos++;
            fut_waker_wake_by_ref(cx->waker);
            return FUT_PENDING;
        case TEST_IO_ERROR:
            m->rpos++;
            *res = st->err;
            return FUT_READY;
        default:
            *res = 0;
            return FUT_READY;
        }
    }
}

/* The mock stores no waker (a PENDING step wakes at once), so it needs no
 * forget slot; leaving it NULL exercises the wrappers' NULL path. */
static const struct fut_async_read_vtable mock_read_vtable = {
    .version = 2,
    .poll_read = mock_poll_read,
    .poll_readv = NULL,
    .forget_read = NULL,
};

static void
record(struct test_mock_io *m, const void *buf, size_t n)
{
    size_t room = sizeof(m->written) - m->nwritten;

    if (n > room)
        n = room;
    memcpy(m->written + m->nwritten, buf, n);
    m->nwritten += n;
}

static enum fut_poll
mock_poll_write(struct fut_async_write *self, struct fut_context *cx,
                const void *buf, size_t len, ssize_t *res)
{
    struct test_mock_io *m = FUT_CONTAINER_OF(self, struct test_mock_io,
                                              writer);
    const struct test_io_step *st;
    size_t n;

    for (;;) {
        st = m->wsteps == NULL ? NULL : &m->wsteps[m->wpos];
        if (st == NULL || st->kind == TEST_IO_END || m->closes > 0) {
            *res = -EPIPE;
            return FUT_READY;
        }
        switch (st->kind) {
        case TEST_IO_DATA:
            if (m->woff >= st->len) {
                m->wpos++;
                m->woff = 0;
                continue;
            }
            /* Accept at most what the step expects: a longer write is a
             * short write here, and the rest meets the next step. */
            n = chunk(m, len, st->len - m->woff);
            if (memcmp(buf, st->data + m->woff, n) != 0)
                m->mismatch = 1;
            record(m, buf, n);
            m->woff += n;
            if (m->woff == st->len) {
                m->wpos++;
                m->woff = 0;
            }
            *res = (ssize_t)n;
            return FUT_READY;
        case TEST_IO_PENDING:
            m->wpos++;
            fut_waker_wake_by_ref(cx->waker);
            return FUT_PENDING;
        case TEST_IO_ERROR:
            m->wpos++;
            *res = st->err;
            return FUT_READY;
        default:
            *res = -EPIPE;
            return FUT_READY;
        }
    }
}

/* Plays a PENDING or ERROR write step for flush and close; returns 1 if it
 * did (the poll's answer is then in *p and *res). */
static int
script_step(struct test_mock_io *m, struct fut_context *cx,
            enum fut_poll *p, ssize_t *res)
{
    const struct test_io_step *st;

    if (m->wsteps == NULL)
        return 0;
    st = &m->wsteps[m->wpos];
    if (st->kind == TEST_IO_PENDING) {
        m->wpos++;
        fut_waker_wake_by_ref(cx->waker);
        *p = FUT_PENDING;
        return 1;
    }
    if (st->kind == TEST_IO_ERROR) {
        m->wpos++;
        *res = st->err;
        *p = FUT_READY;
        return 1;
    }
    return 0;
}

static enum fut_poll
mock_poll_flush(struct fut_async_write *self, struct fut_context *cx,
                ssize_t *res)
{
    struct test_mock_io *m = FUT_CONTAINER_OF(self, struct test_mock_io,
                                              writer);
    enum fut_poll p;

    if (script_step(m, cx, &p, res))
        return p;
    m->flushes++;
    *res = 0;
    return FUT_READY;
}

static enum fut_poll
mock_poll_close(struct fut_async_write *self, struct fut_context *cx,
                ssize_t *res)
{
    struct test_mock_io *m = FUT_CONTAINER_OF(self, struct test_mock_io,
                                              writer);
    enum fut_poll p;

    if (script_step(m, cx, &p, res))
        return p;
    m->closes++;
    *res = 0;
    return FUT_READY;
}

static const struct fut_async_write_vtable mock_write_vtable = {
    .version = 2,
    .poll_write = mock_poll_write,
    .poll_writev = NULL,
    .poll_flush = mock_poll_flush,
    .poll_close = mock_poll_close,
    .forget_write = NULL,
};

void
test_mock_io_init(struct test_mock_io *m, const struct test_io_step *rsteps,
                  const struct test_io_step *wsteps, size_t max_chunk)
{
    m->reader.vtable = &mock_read_vtable;
    m->writer.vtable = &mock_write_vtable;
    m->rsteps = rsteps;
    m->wsteps = wsteps;
    m->rpos = 0;
    m->roff = 0;
    m->wpos = 0;
    m->woff = 0;
    m->max_chunk = max_chunk;
    m->nwritten = 0;
    m->mismatch = 0;
    m->flushes = 0;
    m->closes = 0;
}
