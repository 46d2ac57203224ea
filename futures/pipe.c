/* SPDX-License-Identifier: MIT */
/* An in-memory duplex pipe: two ends, each an AsyncRead and an AsyncWrite. */
#include "internal.h"

#include <string.h>

/*
 * One direction of the pipe: a ring buffer of `capacity` bytes written by
 * one end and read by the other. Only one thread uses a pipe, so the
 * waker slots need no atomics.
 */
struct pipe_dir {
    unsigned char *data;
    size_t head;              /* first unread byte */
    size_t len;               /* bytes buffered */
    struct fut_waker reader;  /* a read waiting for bytes or end of file */
    struct fut_waker writer;  /* a write waiting for room */
    uint32_t reader_id;       /* number of the last registration in reader */
    uint32_t writer_id;       /* and in writer (struct fut_reg) */
    int shut;                 /* no more writes: reads drain, then EOF */
};

/*
 * The one allocation behind both ends: dir[s] carries what end s writes.
 * Ends do not point back into it from here, so the caller may move an end
 * struct freely; an end knows it is closed by its NULL `shared`.
 */
struct pipe_shared {
    size_t cap;
    int open[2];
    struct pipe_dir dir[2];
    unsigned char bytes[];
};

static void
ring_get(struct pipe_dir *d, size_t cap, unsigned char *dst, size_t n)
{
    size_t first = cap - d->head;

    if (first > n)
        first = n;
    memcpy(dst, d->data + d->head, first);
    memcpy(dst + first, d->data, n - first);
    d->head = (d->head + n) % cap;
    d->len -= n;
    /* An empty ring restarts at 0, so the next write is one memcpy. */
    if (d->len == 0)
        d->head = 0;
}

static void
ring_put(struct pipe_dir *d, size_t cap, const unsigned char *src, size_t n)
{
    size_t tail = (d->head + d->len) % cap;
    size_t first = cap - tail;

    if (first > n)
        first = n;
    memcpy(d->data + tail, src, first);
    memcpy(d->data, src + first, n - first);
    d->len += n;
}

/*
 * Drop the waker in @slot if it will_wake(@w): a future that left it there
 * is being dropped (the forget slots). A waker of another poller stays.
 */
static void
slot_forget(struct fut_waker *slot, const struct fut_waker *w)
{
    if (slot->vtable != NULL && fut_waker_will_wake(slot, w))
        fut_waker_drop(slot);
}

/* Store @w in @slot as a new registration, numbered in *@id. */
static void
slot_register(struct fut_waker *slot, uint32_t *id, const struct fut_waker *w)
{
    fut_waker_set(slot, w);
    *id = fut_reg_next(*id);
}

/*
 * The number of the registration in @slot, 0 when it is empty. A read or
 * write stores its waker only when it must wait; its coop yield happens
 * when bytes (or room) are there, and whoever made them so emptied the
 * slot: right after a PENDING poll, the slot holds that poll's own
 * registration or nothing.
 */
static uint32_t
slot_id(const struct fut_waker *slot, uint32_t id)
{
    return slot->vtable != NULL ? id : 0;
}

/* The numbered forget: only the registration @reg names goes. */
static void
slot_forget_reg(struct fut_waker *slot, uint32_t id, const struct fut_reg *reg)
{
    if (slot->vtable != NULL && id == reg->id &&
        fut_waker_will_wake(slot, &reg->waker))
        fut_waker_drop(slot);
}

/* Wake whatever waits in @d, emptying both slots. */
static void
dir_wake_all(struct pipe_dir *d)
{
    fut_waker_take_wake(&d->reader);
    fut_waker_take_wake(&d->writer);
}

/* ---- AsyncRead ----------------------------------------------------------- */

static enum fut_poll
pipe_readv_end(struct fut_pipe_end *e, struct fut_context *cx,
               const struct iovec *iov, int iovcnt, ssize_t *res)
{
    struct pipe_shared *sh = e->shared;
    struct pipe_dir *d;
    size_t n;
    size_t done = 0;
    int i;

    if (sh == NULL) {
        *res = -EBADF;
        return FUT_READY;
    }
    d = &sh->dir[1 - e->side];
    if (d->len == 0) {
        if (d->shut) {
            *res = 0;
            return FUT_READY;
        }
        slot_register(&d->reader, &d->reader_id, cx->waker);
        return FUT_PENDING;
    }
    /* A pipe whose peer keeps writing is always ready; the budget makes
     * this task give the others a turn. */
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    for (i = 0; i < iovcnt && d->len > 0; i++) {
        n = iov[i].iov_len < d->len ? iov[i].iov_len : d->len;
        if (n > 0)
            ring_get(d, sh->cap, iov[i].iov_base, n);
        done += n;
    }
    fut_waker_take_wake(&d->writer);
    *res = (ssize_t)done;
    return FUT_READY;
}

static enum fut_poll
pipe_poll_read(struct fut_async_read *self, struct fut_context *cx,
               void *buf, size_t len, ssize_t *res)
{
    struct iovec iov = { buf, len };

    return pipe_readv_end(FUT_CONTAINER_OF(self, struct fut_pipe_end, reader),
                          cx, &iov, 1, res);
}

static enum fut_poll
pipe_poll_readv(struct fut_async_read *self, struct fut_context *cx,
                const struct iovec *iov, int iovcnt, ssize_t *res)
{
    return pipe_readv_end(FUT_CONTAINER_OF(self, struct fut_pipe_end, reader),
                          cx, iov, iovcnt, res);
}

/* A read of end e waits in the direction the peer writes: dir[1 - side]. */
static void
pipe_forget_read(struct fut_async_read *self, const struct fut_waker *w)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              reader);
    struct pipe_shared *sh = e->shared;

    /* A closed end has no slot left: closing woke and released them. */
    if (sh != NULL)
        slot_forget(&sh->dir[1 - e->side].reader, w);
}

static void
pipe_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              reader);
    struct pipe_shared *sh = e->shared;
    struct pipe_dir *d;

    if (sh == NULL)
        return;
    d = &sh->dir[1 - e->side];
    reg->id = slot_id(&d->reader, d->reader_id);
}

static void
pipe_forget_read_reg(struct fut_async_read *self, const struct fut_reg *reg)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              reader);
    struct pipe_shared *sh = e->shared;
    struct pipe_dir *d;

    if (sh == NULL)
        return;
    d = &sh->dir[1 - e->side];
    slot_forget_reg(&d->reader, d->reader_id, reg);
}

static const struct fut_async_read_vtable pipe_read_vtable = {
    .version = 3,
    .poll_read = pipe_poll_read,
    .poll_readv = pipe_poll_readv,
    .forget_read = pipe_forget_read,
    .note_read = pipe_note_read,
    .forget_read_reg = pipe_forget_read_reg,
};

/* ---- AsyncWrite ---------------------------------------------------------- */

static enum fut_poll
pipe_writev_end(struct fut_pipe_end *e, struct fut_context *cx,
                const struct iovec *iov, int iovcnt, ssize_t *res)
{
    struct pipe_shared *sh = e->shared;
    struct pipe_dir *d;
    size_t n;
    size_t done = 0;
    int i;

    if (sh == NULL) {
        *res = -EBADF;
        return FUT_READY;
    }
    d = &sh->dir[e->side];
    if (d->shut || !sh->open[1 - e->side]) {
        *res = -EPIPE;
        return FUT_READY;
    }
    if (d->len == sh->cap) {
        slot_register(&d->writer, &d->writer_id, cx->waker);
        return FUT_PENDING;
    }
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    for (i = 0; i < iovcnt && d->len < sh->cap; i++) {
        n = sh->cap - d->len;
        if (n > iov[i].iov_len)
            n = iov[i].iov_len;
        if (n > 0)
            ring_put(d, sh->cap, iov[i].iov_base, n);
        done += n;
    }
    fut_waker_take_wake(&d->reader);
    *res = (ssize_t)done;
    return FUT_READY;
}

static enum fut_poll
pipe_poll_write(struct fut_async_write *self, struct fut_context *cx,
                const void *buf, size_t len, ssize_t *res)
{
    struct iovec iov = { (void *)buf, len };

    return pipe_writev_end(
        FUT_CONTAINER_OF(self, struct fut_pipe_end, writer), cx, &iov, 1, res);
}

static enum fut_poll
pipe_poll_writev(struct fut_async_write *self, struct fut_context *cx,
                 const struct iovec *iov, int iovcnt, ssize_t *res)
{
    return pipe_writev_end(
        FUT_CONTAINER_OF(self, struct fut_pipe_end, writer), cx, iov, iovcnt,
        res);
}

/* Written bytes are visible to the reader at once: nothing to flush. */
static enum fut_poll
pipe_poll_flush(struct fut_async_write *self, struct fut_context *cx,
                ssize_t *res)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              writer);

    FUT__UNUSED(cx);
    *res = e->shared == NULL ? -EBADF : 0;
    return FUT_READY;
}

/* Shut down this end's write direction; the end can still read. */
static enum fut_poll
pipe_poll_close(struct fut_async_write *self, struct fut_context *cx,
                ssize_t *res)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              writer);
    struct pipe_shared *sh = e->shared;

    FUT__UNUSED(cx);
    if (sh == NULL) {
        *res = -EBADF;
        return FUT_READY;
    }
    sh->dir[e->side].shut = 1;
    /* The peer's pending read sees EOF once drained; a write of our own
     * still waiting for room learns of the shutdown (-EPIPE). */
    dir_wake_all(&sh->dir[e->side]);
    *res = 0;
    return FUT_READY;
}

/* A write of end e waits for room in its own direction: dir[side]. Flush
 * and close never wait, so only writes leave a waker. */
static void
pipe_forget_write(struct fut_async_write *self, const struct fut_waker *w)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              writer);
    struct pipe_shared *sh = e->shared;

    if (sh != NULL)
        slot_forget(&sh->dir[e->side].writer, w);
}

static void
pipe_note_write(struct fut_async_write *self, struct fut_reg *reg)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              writer);
    struct pipe_shared *sh = e->shared;
    struct pipe_dir *d;

    if (sh == NULL)
        return;
    d = &sh->dir[e->side];
    reg->id = slot_id(&d->writer, d->writer_id);
}

static void
pipe_forget_write_reg(struct fut_async_write *self,
                      const struct fut_reg *reg)
{
    struct fut_pipe_end *e = FUT_CONTAINER_OF(self, struct fut_pipe_end,
                                              writer);
    struct pipe_shared *sh = e->shared;
    struct pipe_dir *d;

    if (sh == NULL)
        return;
    d = &sh->dir[e->side];
    slot_forget_reg(&d->writer, d->writer_id, reg);
}

static const struct fut_async_write_vtable pipe_write_vtable = {
    .version = 3,
    .poll_write = pipe_poll_write,
    .poll_writev = pipe_poll_writev,
    .poll_flush = pipe_poll_flush,
    .poll_close = pipe_poll_close,
    .forget_write = pipe_forget_write,
    .note_write = pipe_note_write,
    .forget_write_reg = pipe_forget_write_reg,
};

/* ---- ends ---------------------------------------------------------------- */

/* An end that answers -EBADF to everything, until fut_pipe_new succeeds. */
static void
end_init(struct fut_pipe_end *e, int side)
{
    e->reader.vtable = &pipe_read_vtable;
    e->writer.vtable = &pipe_write_vtable;
    e->shared = NULL;
    e->side = side;
}

int
fut_pipe_new(struct fut_pipe_end *a, struct fut_pipe_end *b, size_t capacity)
{
    struct pipe_shared *sh;
    int s;

    if (a != NULL)
        end_init(a, 0);
    if (b != NULL)
        end_init(b, 1);
    if (a == NULL || b == NULL || a == b || capacity == 0 ||
        capacity > FUT__MAX_SIZE)
        return -EINVAL;
    /* capacity <= 1 GiB, so the sum cannot overflow. */
    sh = fut__malloc(sizeof(*sh) + 2 * capacity);
    if (sh == NULL)
        return -ENOMEM;
    /* The header only: the buffers behind it are written before read. */
    memset(sh, 0, sizeof(*sh));
    sh->cap = capacity;
    for (s = 0; s < 2; s++) {
        sh->open[s] = 1;
        sh->dir[s].data = sh->bytes + (size_t)s * capacity;
    }
    a->shared = sh;
    b->shared = sh;
    return 0;
}

int
fut_pipe_end_close(struct fut_pipe_end *e)
{
    struct pipe_shared *sh;
    int s;

    if (e == NULL || e->shared == NULL)
        return -EINVAL;
    sh = e->shared;
    s = e->side;
    e->shared = NULL;
    sh->open[s] = 0;
    /* What this end wrote is still readable by the peer, then EOF; the
     * peer's writes see open[s] == 0 and fail with -EPIPE. */
    sh->dir[s].shut = 1;
    /*
     * Wake every slot, not only the peer's: a task still pending on this
     * end would otherwise never run again; woken, it polls and gets
     * -EBADF. Waking also releases the wakers, so none outlives the end.
     */
    dir_wake_all(&sh->dir[0]);
    dir_wake_all(&sh->dir[1]);
    if (!sh->open[1 - s])
        fut__free(sh);
    return 0;
}
