/* SPDX-License-Identifier: MIT */
/* AsyncRead/AsyncWrite wrappers and the read, write, flush, copy futures. */
#include "internal.h"

#include <limits.h>
#include <string.h>

/*
 * A future's output field holds this until the future is READY. It can be
 * neither a byte count nor an errno value, so "done" needs no extra field
 * in the public structs, and a READY future answers later polls with the
 * same output (every future is fused).
 */
#define NOT_DONE_SSIZE (-SSIZE_MAX - 1)
#define NOT_DONE_INT INT_MIN

/* ---- wrappers --------------------------------------------------------------
 *
 * These are the only functions that call through the AsyncRead and
 * AsyncWrite vtables (SQLite's os.c): they answer bad arguments and empty
 * transfers themselves, so an implementation never sees them, and they fill
 * in the defaults of the optional slots.
 */

/* 1 if @cx can be polled with: a context with a waker. */
static int
cx_ok(const struct fut_context *cx)
{
    return cx != NULL && cx->waker != NULL && cx->waker->vtable != NULL;
}

/*
 * The checks readv(2) makes: a count within 0..IOV_MAX, no NULL base with a
 * length, a total that fits in ssize_t. Returns the total length, or -1.
 */
static ssize_t
iov_total(const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    int i;

    if (iovcnt < 0 || iovcnt > IOV_MAX || (iov == NULL && iovcnt > 0))
        return -1;
    for (i = 0; i < iovcnt; i++) {
        if (iov[i].iov_base == NULL && iov[i].iov_len > 0)
            return -1;
        if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
            return -1;
        total += iov[i].iov_len;
    }
    return (ssize_t)total;
}

/* The first iovec with bytes in it; the caller knows there is one. */
static const struct iovec *
iov_first(const struct iovec *iov)
{
    while (iov->iov_len == 0)
        iov++;
    return iov;
}

/*
 * Debug check of an implementation's answer: a READY transfer never reports
 * more than was asked, and never the errors the contract turns into PENDING.
 */
static enum fut_poll
checked(enum fut_poll p, const ssize_t *res, size_t len)
{
    assert(p == FUT_PENDING || *res <= (ssize_t)len);
    assert(p == FUT_PENDING || (*res != -EAGAIN && *res != -EINTR));
    FUT__UNUSED(res);
    FUT__UNUSED(len);
    return p;
}

enum fut_poll
fut_async_read_poll_read(struct fut_async_read *r, struct fut_context *cx,
                         void *buf, size_t len, ssize_t *res)
{
    if (res == NULL)
        return FUT_READY;
    if (r == NULL || r->vtable == NULL || r->vtable->poll_read == NULL ||
        !cx_ok(cx) || (buf == NULL && len > 0)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (len == 0) {
        *res = 0;
        return FUT_READY;
    }
    /* A count above SSIZE_MAX cannot be reported; Linux's read(2) clamps
     * the same way (to MAX_RW_COUNT). */
    if (len > (size_t)SSIZE_MAX)
        len = (size_t)SSIZE_MAX;
    return checked(r->vtable->poll_read(r, cx, buf, len, res), res, len);
}

enum fut_poll
fut_async_read_poll_readv(struct fut_async_read *r, struct fut_context *cx,
                          const struct iovec *iov, int iovcnt, ssize_t *res)
{
    const struct iovec *first;
    ssize_t total;

    if (res == NULL)
        return FUT_READY;
    total = iov_total(iov, iovcnt);
    if (r == NULL || r->vtable == NULL || r->vtable->poll_read == NULL ||
        !cx_ok(cx) || total < 0) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (total == 0) {
        *res = 0;
        return FUT_READY;
    }
    if (r->vtable->poll_readv != NULL)
        return checked(r->vtable->poll_readv(r, cx, iov, iovcnt, res), res,
                       (size_t)total);
    first = iov_first(iov);
    return checked(r->vtable->poll_read(r, cx, first->iov_base,
                                        first->iov_len, res),
                   res, first->iov_len);
}

enum fut_poll
fut_async_write_poll_write(struct fut_async_write *w, struct fut_context *cx,
                           const void *buf, size_t len, ssize_t *res)
{
    if (res == NULL)
        return FUT_READY;
    if (w == NULL || w->vtable == NULL || w->vtable->poll_write == NULL ||
        !cx_ok(cx) || (buf == NULL && len > 0)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (len == 0) {
        *res = 0;
        return FUT_READY;
    }
    if (len > (size_t)SSIZE_MAX)
        len = (size_t)SSIZE_MAX;
    return checked(w->vtable->poll_write(w, cx, buf, len, res), res, len);
}

enum fut_poll
fut_async_write_poll_writev(struct fut_async_write *w, struct fut_context *cx,
                            const struct iovec *iov, int iovcnt,
                            ssize_t *res)
{
    const struct iovec *first;
    ssize_t total;

    if (res == NULL)
        return FUT_READY;
    total = iov_total(iov, iovcnt);
    if (w == NULL || w->vtable == NULL || w->vtable->poll_write == NULL ||
        !cx_ok(cx) || total < 0) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (total == 0) {
        *res = 0;
        return FUT_READY;
    }
    if (w->vtable->poll_writev != NULL)
        return checked(w->vtable->poll_writev(w, cx, iov, iovcnt, res), res,
                       (size_t)total);
    first = iov_first(iov);
    return checked(w->vtable->poll_write(w, cx, first->iov_base,
                                         first->iov_len, res),
                   res, first->iov_len);
}

enum fut_poll
fut_async_write_poll_flush(struct fut_async_write *w, struct fut_context *cx,
                           ssize_t *res)
{
    if (res == NULL)
        return FUT_READY;
    if (w == NULL || w->vtable == NULL || !cx_ok(cx)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    /* An object without a flush slot buffers nothing. */
    if (w->vtable->poll_flush == NULL) {
        *res = 0;
        return FUT_READY;
    }
    return checked(w->vtable->poll_flush(w, cx, res), res, 0);
}

enum fut_poll
fut_async_write_poll_close(struct fut_async_write *w, struct fut_context *cx,
                           ssize_t *res)
{
    if (res == NULL)
        return FUT_READY;
    if (w == NULL || w->vtable == NULL || !cx_ok(cx)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    /* Without a close slot there is no write side to shut down, but what
     * is buffered must still go out. */
    if (w->vtable->poll_close == NULL)
        return fut_async_write_poll_flush(w, cx, res);
    return checked(w->vtable->poll_close(w, cx, res), res, 0);
}

/*
 * A table older than version 2 may end before the forget slot (it was
 * compiled against a shorter struct), so the slot is read only once the
 * version says it is there; the same goes for the version 3 slots.
 */
void
fut_async_read_forget(struct fut_async_read *r, const struct fut_waker *w)
{
    if (r == NULL || r->vtable == NULL || w == NULL || w->vtable == NULL)
        return;
    if (r->vtable->version < 2 || r->vtable->forget_read == NULL)
        return;
    r->vtable->forget_read(r, w);
}

void
fut_async_write_forget(struct fut_async_write *w,
                       const struct fut_waker *waker)
{
    if (w == NULL || w->vtable == NULL || waker == NULL ||
        waker->vtable == NULL)
        return;
    if (w->vtable->version < 2 || w->vtable->forget_write == NULL)
        return;
    w->vtable->forget_write(w, waker);
}

void
fut__async_read_note_id(struct fut_async_read *r, struct fut_reg *reg)
{
    reg->id = 0;
    if (r == NULL || r->vtable == NULL || r->vtable->version < 3 ||
        r->vtable->note_read == NULL)
        return;
    r->vtable->note_read(r, reg);
}

void
fut_async_read_note(struct fut_async_read *r, const struct fut_context *cx,
                    struct fut_reg *reg)
{
    if (reg == NULL)
        return;
    fut_reg_clear(reg);
    if (r == NULL || cx == NULL || cx->waker == NULL)
        return;
    reg->waker = *cx->waker;
    fut__async_read_note_id(r, reg);
}

void
fut_async_read_forget_reg(struct fut_async_read *r, const struct fut_reg *reg)
{
    if (r == NULL || r->vtable == NULL || reg == NULL ||
        reg->waker.vtable == NULL)
        return;
    /* A version 3 object numbers its registrations: only the one @reg
     * names goes, and an id of 0 names none (that poll stored nothing).
     * Asking the waker-only slot then would take a newer registration
     * of the same task away. */
    if (r->vtable->version >= 3 && r->vtable->forget_read_reg != NULL) {
        if (reg->id != 0)
            r->vtable->forget_read_reg(r, reg);
        return;
    }
    fut_async_read_forget(r, &reg->waker);
}

void
fut_async_write_note(struct fut_async_write *w, const struct fut_context *cx,
                     struct fut_reg *reg)
{
    if (reg == NULL)
        return;
    fut_reg_clear(reg);
    if (w == NULL || w->vtable == NULL || cx == NULL || cx->waker == NULL)
        return;
    reg->waker = *cx->waker;
    if (w->vtable->version >= 3 && w->vtable->note_write != NULL)
        w->vtable->note_write(w, reg);
}

void
fut_async_write_forget_reg(struct fut_async_write *w,
                           const struct fut_reg *reg)
{
    if (w == NULL || w->vtable == NULL || reg == NULL ||
        reg->waker.vtable == NULL)
        return;
    if (w->vtable->version >= 3 && w->vtable->forget_write_reg != NULL) {
        if (reg->id != 0)
            w->vtable->forget_write_reg(w, reg);
        return;
    }
    fut_async_write_forget(w, &reg->waker);
}

/* ---- shared by the futures ---------------------------------------------- */

/*
 * These futures hold no waker of their own: the reader or writer keeps a
 * clone of the waker each PENDING poll was made with, until its next event
 * or its close. That clone must not outlive the future, since the waker may
 * point into storage freed right after the drop (a join's or select's
 * child waker, block_on's waker). So a future notes the registration its
 * PENDING poll made (struct fut_reg: a plain copy of cx->waker, no clone,
 * no reference, and the object's number for it) and hands it to the
 * object's forget slot when it is dropped. The number matters when two
 * futures of one task poll the same object: their wakers are equal, and
 * only the newer one's registration is live.
 *
 * It also does so when it finishes: the event that made the object ready
 * has usually taken the waker already, but the contract does not promise
 * it, and a copy can finish on its writer while its reader still holds
 * one. A finished future's drop then has nothing left to do.
 */
static enum fut_poll
pending_read(struct fut_async_read *r, struct fut_reg *reg,
             const struct fut_context *cx)
{
    fut_async_read_note(r, cx, reg);
    return FUT_PENDING;
}

static enum fut_poll
pending_write(struct fut_async_write *w, struct fut_reg *reg,
              const struct fut_context *cx)
{
    fut_async_write_note(w, cx, reg);
    return FUT_PENDING;
}

static void
forget_read(struct fut_async_read *r, struct fut_reg *reg)
{
    if (reg->waker.vtable != NULL) {
        fut_async_read_forget_reg(r, reg);
        fut_reg_clear(reg);
    }
}

static void
forget_write(struct fut_async_write *w, struct fut_reg *reg)
{
    if (reg->waker.vtable != NULL) {
        fut_async_write_forget_reg(w, reg);
        fut_reg_clear(reg);
    }
}

/* 1 if a future over a buffer of @len bytes at @buf can be built. */
static int
buf_ok(const void *buf, size_t len)
{
    return (buf != NULL || len == 0) && len <= (size_t)SSIZE_MAX;
}

/* ---- read ---------------------------------------------------------------- */

static enum fut_poll
read_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_read *f = (struct fut_read *)base;
    ssize_t n;

    if (f->res != NOT_DONE_SSIZE)
        return FUT_READY;
    if (fut_async_read_poll_read(f->reader, cx, f->buf, f->len, &n) ==
        FUT_PENDING)
        return pending_read(f->reader, &f->reg, cx);
    forget_read(f->reader, &f->reg);
    f->res = n;
    return FUT_READY;
}

static void
read_drop(struct fut_future *base)
{
    struct fut_read *f = (struct fut_read *)base;

    forget_read(f->reader, &f->reg);
}

static int
read_result(const struct fut_future *base)
{
    const struct fut_read *f = (const struct fut_read *)base;

    return f->res < 0 && f->res != NOT_DONE_SSIZE ? (int)f->res : 0;
}

static const struct fut_future_vtable read_vtable = {
    .poll = read_poll,
    .drop = read_drop,
    .result = read_result,
};

int
fut_read_init(struct fut_read *f, struct fut_async_read *r, void *buf,
              size_t len)
{
    if (f == NULL)
        return -EINVAL;
    /* A future whose init failed is left dropped: dropping it again does
     * nothing and polling it is READY, so error paths need no special
     * case. */
    f->base.vtable = NULL;
    if (r == NULL || !buf_ok(buf, len))
        return -EINVAL;
    f->base.vtable = &read_vtable;
    f->reader = r;
    f->buf = buf;
    f->len = len;
    f->res = NOT_DONE_SSIZE;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- read_exact ---------------------------------------------------------- */

static enum fut_poll
read_exact_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_read_exact *f = (struct fut_read_exact *)base;
    ssize_t n;

    if (f->res != NOT_DONE_INT)
        return FUT_READY;
    while (f->done < f->len) {
        if (fut_async_read_poll_read(f->reader, cx, f->buf + f->done,
                                     f->len - f->done, &n) == FUT_PENDING)
            return pending_read(f->reader, &f->reg, cx);
        if (n <= 0) {
            forget_read(f->reader, &f->reg);
            f->res = n < 0 ? (int)n : -ENODATA;
            return FUT_READY;
        }
        f->done += (size_t)n;
    }
    forget_read(f->reader, &f->reg);
    f->res = 0;
    return FUT_READY;
}

static void
read_exact_drop(struct fut_future *base)
{
    struct fut_read_exact *f = (struct fut_read_exact *)base;

    forget_read(f->reader, &f->reg);
}

static int
read_exact_result(const struct fut_future *base)
{
    const struct fut_read_exact *f = (const struct fut_read_exact *)base;

    return f->res < 0 && f->res != NOT_DONE_INT ? f->res : 0;
}

static const struct fut_future_vtable read_exact_vtable = {
    .poll = read_exact_poll,
    .drop = read_exact_drop,
    .result = read_exact_result,
};

int
fut_read_exact_init(struct fut_read_exact *f, struct fut_async_read *r,
                    void *buf, size_t len)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (r == NULL || !buf_ok(buf, len))
        return -EINVAL;
    f->base.vtable = &read_exact_vtable;
    f->reader = r;
    f->buf = buf;
    f->len = len;
    f->done = 0;
    f->res = NOT_DONE_INT;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- write --------------------------------------------------------------- */

static enum fut_poll
write_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_write *f = (struct fut_write *)base;
    ssize_t n;

    if (f->res != NOT_DONE_SSIZE)
        return FUT_READY;
    if (fut_async_write_poll_write(f->writer, cx, f->buf, f->len, &n) ==
        FUT_PENDING)
        return pending_write(f->writer, &f->reg, cx);
    forget_write(f->writer, &f->reg);
    f->res = n;
    return FUT_READY;
}

static void
write_drop(struct fut_future *base)
{
    struct fut_write *f = (struct fut_write *)base;

    forget_write(f->writer, &f->reg);
}

static int
write_result(const struct fut_future *base)
{
    const struct fut_write *f = (const struct fut_write *)base;

    return f->res < 0 && f->res != NOT_DONE_SSIZE ? (int)f->res : 0;
}

static const struct fut_future_vtable write_vtable = {
    .poll = write_poll,
    .drop = write_drop,
    .result = write_result,
};

int
fut_write_init(struct fut_write *f, struct fut_async_write *w,
               const void *buf, size_t len)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (w == NULL || !buf_ok(buf, len))
        return -EINVAL;
    f->base.vtable = &write_vtable;
    f->writer = w;
    f->buf = buf;
    f->len = len;
    f->res = NOT_DONE_SSIZE;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- write_all ----------------------------------------------------------- */

static enum fut_poll
write_all_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_write_all *f = (struct fut_write_all *)base;
    ssize_t n;

    if (f->res != NOT_DONE_INT)
        return FUT_READY;
    while (f->done < f->len) {
        if (fut_async_write_poll_write(f->writer, cx, f->buf + f->done,
                                       f->len - f->done, &n) == FUT_PENDING)
            return pending_write(f->writer, &f->reg, cx);
        /* A writer that takes nothing from a non-empty buffer will never
         * take the rest: report it as a broken pipe rather than loop. */
        if (n <= 0) {
            forget_write(f->writer, &f->reg);
            f->res = n < 0 ? (int)n : -EPIPE;
            return FUT_READY;
        }
        f->done += (size_t)n;
    }
    forget_write(f->writer, &f->reg);
    f->res = 0;
    return FUT_READY;
}

static void
write_all_drop(struct fut_future *base)
{
    struct fut_write_all *f = (struct fut_write_all *)base;

    forget_write(f->writer, &f->reg);
}

static int
write_all_result(const struct fut_future *base)
{
    const struct fut_write_all *f = (const struct fut_write_all *)base;

    return f->res < 0 && f->res != NOT_DONE_INT ? f->res : 0;
}

static const struct fut_future_vtable write_all_vtable = {
    .poll = write_all_poll,
    .drop = write_all_drop,
    .result = write_all_result,
};

int
fut_write_all_init(struct fut_write_all *f, struct fut_async_write *w,
                   const void *buf, size_t len)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (w == NULL || !buf_ok(buf, len))
        return -EINVAL;
    f->base.vtable = &write_all_vtable;
    f->writer = w;
    f->buf = buf;
    f->len = len;
    f->done = 0;
    f->res = NOT_DONE_INT;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- flush and shutdown -------------------------------------------------- */

static enum fut_poll
flush_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_flush *f = (struct fut_flush *)base;
    ssize_t n;

    if (f->res != NOT_DONE_INT)
        return FUT_READY;
    if (fut_async_write_poll_flush(f->writer, cx, &n) == FUT_PENDING)
        return pending_write(f->writer, &f->reg, cx);
    forget_write(f->writer, &f->reg);
    f->res = n < 0 ? (int)n : 0;
    return FUT_READY;
}

static enum fut_poll
shutdown_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_shutdown *f = (struct fut_shutdown *)base;
    ssize_t n;

    if (f->res != NOT_DONE_INT)
        return FUT_READY;
    if (fut_async_write_poll_close(f->writer, cx, &n) == FUT_PENDING)
        return pending_write(f->writer, &f->reg, cx);
    forget_write(f->writer, &f->reg);
    f->res = n < 0 ? (int)n : 0;
    return FUT_READY;
}

static void
flush_drop(struct fut_future *base)
{
    struct fut_flush *f = (struct fut_flush *)base;

    forget_write(f->writer, &f->reg);
}

static int
flush_result(const struct fut_future *base)
{
    const struct fut_flush *f = (const struct fut_flush *)base;

    return f->res < 0 && f->res != NOT_DONE_INT ? f->res : 0;
}

static const struct fut_future_vtable flush_vtable = {
    .poll = flush_poll,
    .drop = flush_drop,
    .result = flush_result,
};

static void
shutdown_drop(struct fut_future *base)
{
    struct fut_shutdown *f = (struct fut_shutdown *)base;

    forget_write(f->writer, &f->reg);
}

static int
shutdown_result(const struct fut_future *base)
{
    const struct fut_shutdown *f = (const struct fut_shutdown *)base;

    return f->res < 0 && f->res != NOT_DONE_INT ? f->res : 0;
}

static const struct fut_future_vtable shutdown_vtable = {
    .poll = shutdown_poll,
    .drop = shutdown_drop,
    .result = shutdown_result,
};

int
fut_flush_init(struct fut_flush *f, struct fut_async_write *w)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (w == NULL)
        return -EINVAL;
    f->base.vtable = &flush_vtable;
    f->writer = w;
    f->res = NOT_DONE_INT;
    fut_reg_clear(&f->reg);
    return 0;
}

int
fut_shutdown_init(struct fut_shutdown *f, struct fut_async_write *w)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (w == NULL)
        return -EINVAL;
    f->base.vtable = &shutdown_vtable;
    f->writer = w;
    f->res = NOT_DONE_INT;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- copy ---------------------------------------------------------------- */

/*
 * The low bits of fut_copy.state say what the copy does next; COPY_DIRTY
 * says bytes were written since the last flush. When the reader is pending
 * and the writer is dirty, the copy flushes while it waits (as tokio's
 * copy does): a buffering writer in a proxy would otherwise sit on the
 * last reply until the peer speaks again.
 */
enum {
    COPY_READ = 0,
    COPY_WRITE = 1,
    COPY_FLUSH = 2,
    COPY_DONE = 3,
    COPY_STEP = 0xff,
    COPY_DIRTY = 0x100
};

/* Finishing withdraws the waker either side may still hold (see above). */
static enum fut_poll
copy_finish(struct fut_copy *f, int res)
{
    forget_read(f->reader, &f->read_reg);
    forget_write(f->writer, &f->write_reg);
    f->res = res;
    f->state = COPY_DONE;
    return FUT_READY;
}

static enum fut_poll
copy_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_copy *f = (struct fut_copy *)base;
    ssize_t n;

    for (;;) {
        switch (f->state & COPY_STEP) {
        case COPY_READ:
            if (fut_async_read_poll_read(f->reader, cx, f->buf, f->cap, &n) ==
                FUT_PENDING) {
                (void)pending_read(f->reader, &f->read_reg, cx);
                if (f->state & COPY_DIRTY) {
                    if (fut_async_write_poll_flush(f->writer, cx, &n) ==
                        FUT_PENDING)
                        return pending_write(f->writer, &f->write_reg, cx);
                    if (n < 0)
                        return copy_finish(f, (int)n);
                    f->state &= ~COPY_DIRTY;
                }
                return FUT_PENDING;
            }
            if (n < 0)
                return copy_finish(f, (int)n);
            if (n == 0) {
                f->state = COPY_FLUSH;
                break;
            }
            f->pos = 0;
            f->filled = (size_t)n;
            f->state = (f->state & COPY_DIRTY) | COPY_WRITE;
            break;
        case COPY_WRITE:
            while (f->pos < f->filled) {
                if (fut_async_write_poll_write(f->writer, cx, f->buf + f->pos,
                                               f->filled - f->pos, &n) ==
                    FUT_PENDING)
                    return pending_write(f->writer, &f->write_reg, cx);
                if (n < 0)
                    return copy_finish(f, (int)n);
                if (n == 0)
                    return copy_finish(f, -EPIPE);
                f->pos += (size_t)n;
                f->total += (uint64_t)n;
                f->state |= COPY_DIRTY;
            }
            f->pos = f->filled = 0;
            f->state = (f->state & COPY_DIRTY) | COPY_READ;
            break;
        case COPY_FLUSH:
            if (fut_async_write_poll_flush(f->writer, cx, &n) == FUT_PENDING)
                return pending_write(f->writer, &f->write_reg, cx);
            return copy_finish(f, n < 0 ? (int)n : 0);
        default:
            return FUT_READY;
        }
    }
}

static void
copy_drop(struct fut_future *base)
{
    struct fut_copy *f = (struct fut_copy *)base;

    forget_read(f->reader, &f->read_reg);
    forget_write(f->writer, &f->write_reg);
}

static int
copy_result(const struct fut_future *base)
{
    const struct fut_copy *f = (const struct fut_copy *)base;

    return f->state == COPY_DONE ? f->res : 0;
}

static const struct fut_future_vtable copy_vtable = {
    .poll = copy_poll,
    .drop = copy_drop,
    .result = copy_result,
};

int
fut_copy_init(struct fut_copy *f, struct fut_async_read *r,
              struct fut_async_write *w, void *buf, size_t cap)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (r == NULL || w == NULL || buf == NULL || cap == 0)
        return -EINVAL;
    f->base.vtable = &copy_vtable;
    f->reader = r;
    f->writer = w;
    f->buf = buf;
    f->cap = cap;
    f->pos = 0;
    f->filled = 0;
    f->total = 0;
    f->state = COPY_READ;
    f->res = 0;
    fut_reg_clear(&f->read_reg);
    fut_reg_clear(&f->write_reg);
    return 0;
}
