/* SPDX-License-Identifier: MIT */
/* A buffered reader over any AsyncRead, and read_until / read_line. */
#include "internal.h"

#include <limits.h>
#include <string.h>

/* fut_read_until.res until the future is READY (see io.c). */
#define NOT_DONE_SSIZE (-SSIZE_MAX - 1)

/* ---- the buffer ---------------------------------------------------------- */

/*
 * Refill an empty buffer from the inner reader. READY with *res = 0 (the
 * buffer may still be empty: end of file) or -errno; PENDING as the inner
 * reader. A buffer that still holds bytes is left alone.
 */
static enum fut_poll
fill(struct fut_bufreader *br, struct fut_context *cx, ssize_t *res)
{
    ssize_t n;

    if (br->pos < br->filled) {
        *res = 0;
        return FUT_READY;
    }
    br->pos = br->filled = 0;
    if (fut_async_read_poll_read(br->inner, cx, br->buf, br->cap, &n) ==
        FUT_PENDING)
        return FUT_PENDING;
    if (n < 0) {
        *res = n;
        return FUT_READY;
    }
    br->filled = (size_t)n;
    *res = 0;
    return FUT_READY;
}

enum fut_poll
fut_bufreader_poll_fill_buf(struct fut_bufreader *br, struct fut_context *cx,
                            const void **data, size_t *len, ssize_t *res)
{
    enum fut_poll p;

    if (res == NULL)
        return FUT_READY;
    if (br == NULL || br->reader.vtable == NULL || data == NULL ||
        len == NULL || cx == NULL || cx->waker == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    p = fill(br, cx, res);
    if (p == FUT_PENDING)
        return FUT_PENDING;
    if (*res < 0) {
        *data = NULL;
        *len = 0;
        return FUT_READY;
    }
    *data = br->buf + br->pos;
    *len = br->filled - br->pos;
    return FUT_READY;
}

void
fut_bufreader_consume(struct fut_bufreader *br, size_t n)
{
    if (br == NULL)
        return;
    if (n > br->filled - br->pos)
        n = br->filled - br->pos;
    br->pos += n;
}

size_t
fut_bufreader_buffered(const struct fut_bufreader *br)
{
    return br == NULL ? 0 : br->filled - br->pos;
}

/* ---- the bufreader as an AsyncRead --------------------------------------- */

/*
 * Like Rust's BufReader, a read that finds the buffer empty and is at least
 * as large as it goes straight to the inner reader: copying through the
 * buffer would only add a memcpy.
 */
static enum fut_poll
br_poll_read(struct fut_async_read *self, struct fut_context *cx, void *buf,
             size_t len, ssize_t *res)
{
    struct fut_bufreader *br =
        FUT_CONTAINER_OF(self, struct fut_bufreader, reader);
    size_t n;

    if (br->pos == br->filled && len >= br->cap) {
        br->pos = br->filled = 0;
        return fut_async_read_poll_read(br->inner, cx, buf, len, res);
    }
    if (fill(br, cx, res) == FUT_PENDING)
        return FUT_PENDING;
    if (*res < 0)
        return FUT_READY;
    n = br->filled - br->pos;
    if (n > len)
        n = len;
    memcpy(buf, br->buf + br->pos, n);
    br->pos += n;
    *res = (ssize_t)n;
    return FUT_READY;
}

static enum fut_poll
br_poll_readv(struct fut_async_read *self, struct fut_context *cx,
              const struct iovec *iov, int iovcnt, ssize_t *res)
{
    struct fut_bufreader *br =
        FUT_CONTAINER_OF(self, struct fut_bufreader, reader);
    size_t total = 0;
    size_t n;
    size_t done = 0;
    int i;

    /* The wrapper has checked that the lengths add up without overflow. */
    for (i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (br->pos == br->filled && total >= br->cap) {
        br->pos = br->filled = 0;
        return fut_async_read_poll_readv(br->inner, cx, iov, iovcnt, res);
    }
    if (fill(br, cx, res) == FUT_PENDING)
        return FUT_PENDING;
    if (*res < 0)
        return FUT_READY;
    for (i = 0; i < iovcnt && br->pos < br->filled; i++) {
        n = br->filled - br->pos;
        if (n > iov[i].iov_len)
            n = iov[i].iov_len;
        if (n > 0)
            memcpy(iov[i].iov_base, br->buf + br->pos, n);
        br->pos += n;
        done += n;
    }
    *res = (ssize_t)done;
    return FUT_READY;
}

/* Every waker a read through the bufreader leaves is in the inner reader. */
static void
br_forget_read(struct fut_async_read *self, const struct fut_waker *w)
{
    struct fut_bufreader *br =
        FUT_CONTAINER_OF(self, struct fut_bufreader, reader);

    fut_async_read_forget(br->inner, w);
}

/* The registration is the inner reader's too, numbered by it. */
static void
br_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    struct fut_bufreader *br =
        FUT_CONTAINER_OF(self, struct fut_bufreader, reader);

    fut__async_read_note_id(br->inner, reg);
}

static void
br_forget_read_reg(struct fut_async_read *self, const struct fut_reg *reg)
{
    struct fut_bufreader *br =
        FUT_CONTAINER_OF(self, struct fut_bufreader, reader);

    fut_async_read_forget_reg(br->inner, reg);
}

static const struct fut_async_read_vtable br_vtable = {
    .version = 3,
    .poll_read = br_poll_read,
    .poll_readv = br_poll_readv,
    .forget_read = br_forget_read,
    .note_read = br_note_read,
    .forget_read_reg = br_forget_read_reg,
};

int
fut_bufreader_init(struct fut_bufreader *br, struct fut_async_read *inner,
                   void *buf, size_t cap)
{
    if (br == NULL)
        return -EINVAL;
    /* Left unreadable on failure: every read through it is -EINVAL. */
    br->reader.vtable = NULL;
    if (inner == NULL || buf == NULL || cap == 0 || cap > FUT__MAX_SIZE ||
        inner == &br->reader)
        return -EINVAL;
    br->reader.vtable = &br_vtable;
    br->inner = inner;
    br->buf = buf;
    br->cap = cap;
    br->pos = 0;
    br->filled = 0;
    return 0;
}

/* ---- read_until ---------------------------------------------------------- */

/*
 * A pending read_until has left a clone of the waker it was polled with in
 * the inner reader, which keeps it until its next event or close. The
 * future notes that registration (a plain copy of the waker and the inner
 * reader's number for it) when it returns PENDING and withdraws it through the bufreader's forget slot when it is
 * dropped or finishes (as the futures of io.c do), because the waker may
 * point into storage freed right after the drop.
 */
static void
read_until_forget(struct fut_read_until *f)
{
    if (f->reg.waker.vtable != NULL) {
        fut_async_read_forget_reg(&f->br->reader, &f->reg);
        fut_reg_clear(&f->reg);
    }
}

static enum fut_poll
read_until_finish(struct fut_read_until *f, ssize_t res)
{
    read_until_forget(f);
    f->res = res;
    return FUT_READY;
}

static enum fut_poll
read_until_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_read_until *f = (struct fut_read_until *)base;
    const unsigned char *data;
    const unsigned char *hit;
    const void *p;
    size_t avail;
    size_t n;
    ssize_t r;

    if (f->res != NOT_DONE_SSIZE)
        return FUT_READY;
    for (;;) {
        if (fut_bufreader_poll_fill_buf(f->br, cx, &p, &avail, &r) ==
            FUT_PENDING) {
            /* Noted for the drop: see read_until_forget(). */
            fut_async_read_note(&f->br->reader, cx, &f->reg);
            return FUT_PENDING;
        }
        if (r < 0)
            return read_until_finish(f, r);
        /* End of file: whatever was gathered is the (last) line. */
        if (avail == 0)
            return read_until_finish(f, (ssize_t)f->len);
        data = p;
        /* Look only at what still fits in @out, so a delimiter beyond
         * @max stays in the buffer for the caller's next read. */
        n = f->max - f->len;
        if (n > avail)
            n = avail;
        hit = memchr(data, f->delim, n);
        if (hit != NULL)
            n = (size_t)(hit - data) + 1;
        memcpy(f->out + f->len, data, n);
        fut_bufreader_consume(f->br, n);
        f->len += n;
        if (hit != NULL)
            return read_until_finish(f, (ssize_t)f->len);
        if (f->len == f->max)
            return read_until_finish(f, -EMSGSIZE);
    }
}

static void
read_until_drop(struct fut_future *base)
{
    read_until_forget((struct fut_read_until *)base);
}

static int
read_until_result(const struct fut_future *base)
{
    const struct fut_read_until *f = (const struct fut_read_until *)base;

    return f->res < 0 && f->res != NOT_DONE_SSIZE ? (int)f->res : 0;
}

static const struct fut_future_vtable read_until_vtable = {
    .poll = read_until_poll,
    .drop = read_until_drop,
    .result = read_until_result,
};

int
fut_read_until_init(struct fut_read_until *f, struct fut_bufreader *br,
                    int delim, void *out, size_t max)
{
    if (f == NULL)
        return -EINVAL;
    /* A failed init leaves a dropped future (see io.c). */
    f->base.vtable = NULL;
    if (br == NULL || out == NULL || max == 0 || max > (size_t)SSIZE_MAX ||
        delim < 0 || delim > 255)
        return -EINVAL;
    f->base.vtable = &read_until_vtable;
    f->br = br;
    f->delim = delim;
    f->out = out;
    f->max = max;
    f->len = 0;
    f->res = NOT_DONE_SSIZE;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- read_line: read_until with '\n', under a type of its own ----------- */

static enum fut_poll
read_line_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_read_line *f = (struct fut_read_line *)base;
    enum fut_poll p = read_until_poll(&f->until.base, cx);

    f->len = f->until.len;
    if (p == FUT_READY)
        f->res = f->until.res;
    return p;
}

static void
read_line_drop(struct fut_future *base)
{
    read_until_drop(&((struct fut_read_line *)base)->until.base);
}

static int
read_line_result(const struct fut_future *base)
{
    return read_until_result(&((const struct fut_read_line *)base)->until.base);
}

static const struct fut_future_vtable read_line_vtable = {
    .poll = read_line_poll,
    .drop = read_line_drop,
    .result = read_line_result,
};

int
fut_read_line_init(struct fut_read_line *f, struct fut_bufreader *br,
                   void *out, size_t max)
{
    int err;

    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    err = fut_read_until_init(&f->until, br, '\n', out, max);
    if (err != 0)
        return err;
    f->res = 0;
    f->len = 0;
    f->base.vtable = &read_line_vtable;
    return 0;
}
